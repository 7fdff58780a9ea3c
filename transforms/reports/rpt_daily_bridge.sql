with

scope_daily as (

    select
        business_date,
        scope_id,
        currency,
        gmv::double as gmv,
        visitors::double as visitors,
        conversion,
        aov::double as aov
    from fct_scope_daily

),

comparison_offsets (comparison, comparison_order, days_back) as (

    -- 环比, 上周同期, 同比 (364 days: the same weekday last year)
    values
    ('prev_day', 1, 1),
    ('last_week', 2, 7),
    ('last_year', 3, 364)

),

paired as (

    select
        this_day.business_date,
        this_day.scope_id,
        this_day.currency,
        comparison_offsets.comparison,
        comparison_offsets.comparison_order,
        this_day.business_date - comparison_offsets.days_back as base_date,
        base_day.gmv as gmv_base,
        this_day.gmv,
        base_day.visitors as visitors_base,
        this_day.visitors,
        base_day.conversion as conversion_base,
        this_day.conversion,
        base_day.aov as aov_base,
        this_day.aov
    from scope_daily as this_day
    cross join comparison_offsets
    left join scope_daily as base_day
        on
            this_day.scope_id = base_day.scope_id
            and base_day.business_date = this_day.business_date - comparison_offsets.days_back

),

classified as (

    -- the split needs every factor positive on both days; otherwise say why there is none
    select
        business_date,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_date,
        gmv_base,
        gmv,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        case
            when gmv_base is null then 'no_base_day'
            when coalesce(visitors_base, 0) <= 0 or coalesce(visitors, 0) <= 0 then 'no_traffic'
            when gmv_base <= 0 then 'no_sales_base'
            when gmv <= 0 then 'no_sales'
            else 'ok'
        end as bridge_status
    from paired

),

weighted as (

    -- log-mean weight L(a, b) = (a - b) / (ln a - ln b), and L(a, a) = a
    select
        business_date,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_date,
        gmv_base,
        gmv,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        bridge_status,
        case
            when bridge_status <> 'ok' then null
            when gmv = gmv_base then gmv
            else (gmv - gmv_base) / (ln(gmv) - ln(gmv_base))
        end as log_mean_gmv
    from classified

),

final as (

    select
        business_date,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_date,
        bridge_status,
        gmv_base,
        gmv,
        gmv - gmv_base as gmv_change,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        log_mean_gmv * ln(visitors / visitors_base) as traffic_effect,
        log_mean_gmv * ln(conversion / conversion_base) as conversion_effect,
        log_mean_gmv * ln(aov / aov_base) as aov_effect
    from weighted

)

select * from final
