with

cohort_months as (

    select
        shop_id,
        cohort_month,
        paid_month,
        first_orders,
        repurchase_buyers,
        first_time_repurchasers,
        repeat_orders,
        repeat_gmv
    from fct_buyer_cohort_months

),

shop_history as (

    select
        shop_id,
        max(business_date) as last_date
    from fct_shop_daily
    group by shop_id

),

cohorts as (

    select
        shop_id,
        cohort_month,
        sum(first_orders)::bigint as cohort_buyers
    from cohort_months
    group by shop_id, cohort_month
    having sum(first_orders) > 0

),

cohort_grid as (

    -- every month from the cohort month to the shop's last month of data
    select
        cohorts.shop_id,
        cohorts.cohort_month,
        cohorts.cohort_buyers,
        shop_history.last_date,
        unnest(
            range(0, datediff('month', cohorts.cohort_month, shop_history.last_date) + 1)
        ) as months_since_first
    from cohorts
    inner join shop_history
        on cohorts.shop_id = shop_history.shop_id

),

activity as (

    select
        shop_id,
        cohort_month,
        datediff('month', cohort_month, paid_month) as months_since_first,
        repurchase_buyers,
        first_time_repurchasers,
        repeat_orders,
        repeat_gmv
    from cohort_months

),

final as (

    select
        cohort_grid.shop_id,
        cohort_grid.cohort_month,
        cohort_grid.months_since_first,
        (cohort_grid.cohort_month + to_months(cohort_grid.months_since_first))::date
            as activity_month,
        cohort_grid.cohort_buyers,
        coalesce(activity.repurchase_buyers, 0) as repurchase_buyers,
        coalesce(activity.repurchase_buyers, 0) / cohort_grid.cohort_buyers
            as repurchase_rate,
        sum(coalesce(activity.first_time_repurchasers, 0)) over cohort_months_so_far
            as cumulative_repurchase_buyers,
        sum(coalesce(activity.first_time_repurchasers, 0)) over cohort_months_so_far
        / cohort_grid.cohort_buyers as cumulative_repurchase_rate,
        coalesce(activity.repeat_orders, 0) as repeat_orders,
        coalesce(activity.repeat_gmv, 0)::decimal(18, 2) as repeat_gmv,
        cohort_grid.cohort_month + to_months(cohort_grid.months_since_first + 1)
        <= cohort_grid.last_date + 1 as is_complete_month
    from cohort_grid
    left join activity
        on
            cohort_grid.shop_id = activity.shop_id
            and cohort_grid.cohort_month = activity.cohort_month
            and cohort_grid.months_since_first = activity.months_since_first
    window cohort_months_so_far as (
        partition by cohort_grid.shop_id, cohort_grid.cohort_month
        order by cohort_grid.months_since_first
    )

)

select * from final
