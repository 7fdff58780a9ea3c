with

buyer_orders as (

    select
        shop_id,
        buyer_key,
        cohort_month,
        paid_month,
        gmv,
        buyer_order_seq
    from fct_buyer_orders

),

final as (

    -- what a cohort's buyers did in one month: each count reads only that month's orders of
    -- the cohort (a buyer's second order is their first repurchase)
    select
        shop_id,
        cohort_month,
        paid_month,
        count(*) filter (where buyer_order_seq = 1) as first_orders,
        count(distinct buyer_key) filter (where buyer_order_seq > 1) as repurchase_buyers,
        count(*) filter (where buyer_order_seq = 2) as first_time_repurchasers,
        count(*) filter (where buyer_order_seq > 1) as repeat_orders,
        coalesce(sum(gmv) filter (where buyer_order_seq > 1), 0)::decimal(18, 2) as repeat_gmv
    from buyer_orders
    group by shop_id, cohort_month, paid_month

)

select * from final
