with

week_values as (

    select
        period_start as week_start,
        period_label as iso_week,
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
    where period = 'week'

),

final as (

    select
        week_start,
        iso_week,
        scope_id,
        scope_name,
        currency,
        metric,
        metric_order,
        is_ratio,
        higher_is_better,
        any_value(value) as value,
        max(base_value) filter (where comparison = 'prev_week') as value_prev_week,
        max(base_value) filter (where comparison = 'last_year') as value_last_year,
        max(relative_change) filter (where comparison = 'prev_week') as change_prev_week,
        max(relative_change) filter (where comparison = 'last_year') as change_last_year,
        max(diff) filter (where comparison = 'prev_week') as diff_prev_week,
        max(diff) filter (where comparison = 'last_year') as diff_last_year
    from week_values
    group by
        week_start, iso_week, scope_id, scope_name, currency, metric, metric_order, is_ratio,
        higher_is_better

)

select * from final
