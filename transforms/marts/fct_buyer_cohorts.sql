with

buyer_orders as (

    select
        shop_id,
        buyer_key,
        paid_date,
        gmv,
        buyer_order_seq,
        cohort_month
    from fct_buyer_orders

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
        count(*) as cohort_buyers
    from buyer_orders
    where buyer_order_seq = 1
    group by shop_id, cohort_month

),

repeat_orders as (

    -- every paid order after a buyer's first, by months since the cohort month
    select
        shop_id,
        buyer_key,
        cohort_month,
        datediff('month', cohort_month, date_trunc('month', paid_date)) as months_since_first,
        gmv
    from buyer_orders
    where buyer_order_seq > 1

),

repeat_months as (

    select
        shop_id,
        cohort_month,
        months_since_first,
        count(distinct buyer_key) as repurchase_buyers,
        count(*) as repeat_orders,
        sum(gmv)::decimal(18, 2) as repeat_gmv
    from repeat_orders
    group by shop_id, cohort_month, months_since_first

),

first_repeats as (

    -- the month of each buyer's first repurchase
    select
        shop_id,
        cohort_month,
        buyer_key,
        min(months_since_first) as months_since_first
    from repeat_orders
    group by shop_id, cohort_month, buyer_key

),

first_repeat_months as (

    select
        shop_id,
        cohort_month,
        months_since_first,
        count(*) as first_time_repurchasers
    from first_repeats
    group by shop_id, cohort_month, months_since_first

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

final as (

    select
        cohort_grid.shop_id,
        cohort_grid.cohort_month,
        cohort_grid.months_since_first,
        (cohort_grid.cohort_month + to_months(cohort_grid.months_since_first))::date
            as activity_month,
        cohort_grid.cohort_buyers,
        coalesce(repeat_months.repurchase_buyers, 0) as repurchase_buyers,
        coalesce(repeat_months.repurchase_buyers, 0) / cohort_grid.cohort_buyers
            as repurchase_rate,
        sum(coalesce(first_repeat_months.first_time_repurchasers, 0)) over (
            partition by cohort_grid.shop_id, cohort_grid.cohort_month
            order by cohort_grid.months_since_first
        ) as cumulative_repurchase_buyers,
        sum(coalesce(first_repeat_months.first_time_repurchasers, 0)) over (
            partition by cohort_grid.shop_id, cohort_grid.cohort_month
            order by cohort_grid.months_since_first
        ) / cohort_grid.cohort_buyers as cumulative_repurchase_rate,
        coalesce(repeat_months.repeat_orders, 0) as repeat_orders,
        coalesce(repeat_months.repeat_gmv, 0)::decimal(18, 2) as repeat_gmv,
        cohort_grid.cohort_month + to_months(cohort_grid.months_since_first + 1)
        <= cohort_grid.last_date + 1 as is_complete_month
    from cohort_grid
    left join repeat_months
        on
            cohort_grid.shop_id = repeat_months.shop_id
            and cohort_grid.cohort_month = repeat_months.cohort_month
            and cohort_grid.months_since_first = repeat_months.months_since_first
    left join first_repeat_months
        on
            cohort_grid.shop_id = first_repeat_months.shop_id
            and cohort_grid.cohort_month = first_repeat_months.cohort_month
            and cohort_grid.months_since_first = first_repeat_months.months_since_first

)

select * from final
