with

comparisons (period, comparison, comparison_order, days_back) as (

    -- what each report period is compared with: 环比 / 上周同期 / 同比 for a day, the week
    -- before and the same ISO week last year for a week (364 days = 52 weeks, same weekday)
    values
    ('day', 'prev_day', 1, 1),
    ('day', 'last_week', 2, 7),
    ('day', 'last_year', 3, 364),
    ('week', 'prev_week', 1, 7),
    ('week', 'last_year', 2, 364)

),

final as (

    select
        period,
        comparison,
        comparison_order,
        days_back
    from comparisons

)

select * from final
