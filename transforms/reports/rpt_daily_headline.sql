with

day_values as (

    select
        period_start as business_date,
        scope_id,
        scope_name,
        currency,
        metric,
        metric_order,
        is_ratio,
        higher_is_better,
        comparison,
        value,
        base_value,
        relative_change,
        diff
    from rpt_period_values
    where period = 'day'

),

final as (

    select
        business_date,
        scope_id,
        scope_name,
        currency,
        metric,
        metric_order,
        is_ratio,
        higher_is_better,
        any_value(value) as value,
        max(base_value) filter (where comparison = 'prev_day') as value_prev_day,
        max(base_value) filter (where comparison = 'last_week') as value_last_week,
        max(base_value) filter (where comparison = 'last_year') as value_last_year,
        max(relative_change) filter (where comparison = 'prev_day') as change_prev_day,
        max(relative_change) filter (where comparison = 'last_week') as change_last_week,
        max(relative_change) filter (where comparison = 'last_year') as change_last_year,
        max(diff) filter (where comparison = 'prev_day') as diff_prev_day,
        max(diff) filter (where comparison = 'last_week') as diff_last_week,
        max(diff) filter (where comparison = 'last_year') as diff_last_year
    from day_values
    group by
        business_date, scope_id, scope_name, currency, metric, metric_order, is_ratio,
        higher_is_better

)

select * from final
