with

scope_periods as (

    select
        period,
        period_start,
        period_label,
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
    from fct_scope_periods

),

comparisons as (

    select
        period,
        comparison,
        comparison_order,
        days_back
    from dim_period_comparisons

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
        period,
        period_start,
        period_label,
        scope_id,
        scope_name,
        currency,
        metric,
        metric_value
    from scope_periods
    unpivot include nulls (
        metric_value for metric in (
            gmv, visitors, conversion, aov, paying_buyers, refund_amount, net_sales, ad_cost, roas
        )
    )

),

final as (

    select
        this_period.period,
        this_period.period_start,
        this_period.period_label,
        this_period.scope_id,
        this_period.scope_name,
        this_period.currency,
        this_period.metric,
        metric_catalogue.metric_order,
        metric_catalogue.is_ratio,
        metric_catalogue.higher_is_better,
        comparisons.comparison,
        comparisons.comparison_order,
        this_period.metric_value as value,
        base_period.metric_value as base_value,
        this_period.metric_value / nullif(base_period.metric_value, 0) - 1 as relative_change,
        this_period.metric_value - base_period.metric_value as diff
    from long_values as this_period
    inner join metric_catalogue
        on this_period.metric = metric_catalogue.metric
    inner join comparisons
        on this_period.period = comparisons.period
    left join long_values as base_period
        on
            this_period.period = base_period.period
            and this_period.scope_id = base_period.scope_id
            and this_period.metric = base_period.metric
            and base_period.period_start = this_period.period_start - comparisons.days_back

)

select * from final
