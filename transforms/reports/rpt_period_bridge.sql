with

scope_periods as (

    select
        period,
        period_start,
        period_label,
        scope_id,
        currency,
        gmv::double as gmv,
        visitors::double as visitors,
        conversion,
        aov::double as aov
    from fct_scope_periods

),

traffic_sources as (

    -- the console's own per-source visitors, paying buyers and sales; whole-shop rows ('all')
    -- are the scope totals above, not a source
    select
        fct_traffic_daily.shop_id,
        fct_traffic_daily.business_date,
        fct_traffic_daily.source,
        dim_shops.currency,
        fct_traffic_daily.visitors,
        fct_traffic_daily.paying_buyers,
        fct_traffic_daily.paid_amount
    from fct_traffic_daily
    inner join dim_shops
        on fct_traffic_daily.shop_id = dim_shops.shop_id
    where fct_traffic_daily.source <> 'all'

),

source_periods as (

    select
        'day' as period,
        business_date as period_start,
        strftime(business_date, '%Y-%m-%d') as period_label,
        shop_id as scope_id,
        source,
        currency,
        visitors,
        paying_buyers,
        paid_amount
    from traffic_sources
    union all
    select
        'week' as period,
        date_trunc('week', business_date)::date as period_start,
        strftime(date_trunc('week', business_date), '%G-W%V') as period_label,
        shop_id as scope_id,
        source,
        any_value(currency) as currency,
        sum(visitors) as visitors,
        sum(paying_buyers) as paying_buyers,
        sum(paid_amount) as paid_amount
    from traffic_sources
    group by shop_id, source, date_trunc('week', business_date)

),

segments as (

    -- source 'all' is the whole scope; other rows are its traffic sources
    select
        period,
        period_start,
        period_label,
        scope_id,
        'all' as source,
        currency,
        gmv,
        visitors,
        conversion,
        aov
    from scope_periods
    union all
    select
        period,
        period_start,
        period_label,
        scope_id,
        source,
        currency,
        paid_amount::double as gmv,
        visitors::double as visitors,
        paying_buyers / nullif(visitors, 0) as conversion,
        paid_amount::double / nullif(paying_buyers, 0) as aov
    from source_periods

),

comparisons as (

    select
        period,
        comparison,
        comparison_order,
        days_back
    from dim_period_comparisons

),

paired as (

    select
        this_period.period,
        this_period.period_start,
        this_period.period_label,
        this_period.scope_id,
        this_period.source,
        this_period.currency,
        comparisons.comparison,
        comparisons.comparison_order,
        this_period.period_start - comparisons.days_back as base_start,
        base_period.gmv as gmv_base,
        this_period.gmv,
        base_period.visitors as visitors_base,
        this_period.visitors,
        base_period.conversion as conversion_base,
        this_period.conversion,
        base_period.aov as aov_base,
        this_period.aov
    from segments as this_period
    inner join comparisons
        on this_period.period = comparisons.period
    left join segments as base_period
        on
            this_period.period = base_period.period
            and this_period.scope_id = base_period.scope_id
            and this_period.source = base_period.source
            and base_period.period_start = this_period.period_start - comparisons.days_back

),

classified as (

    -- the split needs every factor positive on both days; otherwise say why there is none
    select
        period,
        period_start,
        period_label,
        scope_id,
        source,
        currency,
        comparison,
        comparison_order,
        base_start,
        gmv_base,
        gmv,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        case
            when gmv_base is null then 'no_base_period'
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
        period,
        period_start,
        period_label,
        scope_id,
        source,
        currency,
        comparison,
        comparison_order,
        base_start,
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
            -- ln of the ratio, as the effects take theirs: ln(gmv) - ln(gmv_base) loses digits when
            -- two large GMVs are close, and the effects then miss the change by 1e-9 of it
            else (gmv - gmv_base) / ln(gmv / gmv_base)
        end as log_mean_gmv
    from classified

),

final as (

    select
        period,
        period_start,
        period_label,
        scope_id,
        source,
        currency,
        comparison,
        comparison_order,
        base_start,
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
