with

scope_daily as (

    select
        business_date,
        scope_id,
        scope_name,
        currency,
        gmv::double as gmv,
        visitors::double as visitors,
        conversion,
        aov::double as aov,
        paying_buyers::double as paying_buyers,
        refund_amount::double as refund_amount,
        net_sales::double as net_sales,
        ad_cost::double as ad_cost,
        roas
    from fct_scope_daily

),

metric_catalogue (metric, metric_order, is_ratio, higher_is_better) as (

    -- the headline tiles, in reading order
    values
    ('gmv', 1, false, true),
    ('visitors', 2, false, true),
    ('conversion', 3, true, true),
    ('aov', 4, false, true),
    ('paying_buyers', 5, false, true),
    ('refund_amount', 6, false, false),
    ('net_sales', 7, false, true),
    ('ad_cost', 8, false, false),
    ('roas', 9, true, true)

),

long_values as (

    select
        business_date,
        scope_id,
        scope_name,
        currency,
        metric,
        metric_value
    from scope_daily
    unpivot include nulls (
        metric_value for metric in (
            gmv, visitors, conversion, aov, paying_buyers, refund_amount, net_sales, ad_cost, roas
        )
    )

),

compared as (

    select
        this_day.business_date,
        this_day.scope_id,
        this_day.scope_name,
        this_day.currency,
        this_day.metric,
        this_day.metric_value as value,
        prev_day.metric_value as value_prev_day,
        last_week.metric_value as value_last_week,
        last_year.metric_value as value_last_year
    from long_values as this_day
    left join long_values as prev_day
        on
            this_day.scope_id = prev_day.scope_id
            and this_day.metric = prev_day.metric
            and prev_day.business_date = this_day.business_date - 1
    left join long_values as last_week
        on
            this_day.scope_id = last_week.scope_id
            and this_day.metric = last_week.metric
            and last_week.business_date = this_day.business_date - 7
    left join long_values as last_year
        on
            this_day.scope_id = last_year.scope_id
            and this_day.metric = last_year.metric
            and last_year.business_date = this_day.business_date - 364

),

final as (

    select
        compared.business_date,
        compared.scope_id,
        compared.scope_name,
        compared.currency,
        compared.metric,
        metric_catalogue.metric_order,
        metric_catalogue.is_ratio,
        metric_catalogue.higher_is_better,
        compared.value,
        compared.value_prev_day,
        compared.value_last_week,
        compared.value_last_year,
        compared.value / nullif(compared.value_prev_day, 0) - 1 as change_prev_day,
        compared.value / nullif(compared.value_last_week, 0) - 1 as change_last_week,
        compared.value / nullif(compared.value_last_year, 0) - 1 as change_last_year,
        compared.value - compared.value_prev_day as diff_prev_day,
        compared.value - compared.value_last_week as diff_last_week,
        compared.value - compared.value_last_year as diff_last_year
    from compared
    inner join metric_catalogue
        on compared.metric = metric_catalogue.metric

)

select * from final
