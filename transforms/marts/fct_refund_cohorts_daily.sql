with

order_lines as (

    select
        shop_id,
        paid_date,
        paid_amount,
        refund_amount
    from fct_order_lines
    where is_paid

),

shop_daily as (

    select
        business_date,
        shop_id,
        currency
    from fct_shop_daily

),

cohorts as (

    select
        shop_id,
        paid_date,
        sum(paid_amount) as cohort_gmv,
        sum(refund_amount) as cohort_refund_amount
    from order_lines
    group by shop_id, paid_date

),

final as (

    select
        shop_daily.business_date,
        shop_daily.shop_id,
        shop_daily.currency,
        coalesce(cohorts.cohort_gmv, 0)::decimal(18, 2) as cohort_gmv,
        coalesce(cohorts.cohort_refund_amount, 0)::decimal(18, 2) as cohort_refund_amount,
        cohorts.cohort_refund_amount / nullif(cohorts.cohort_gmv, 0) as cohort_refund_rate
    from shop_daily
    left join cohorts
        on
            shop_daily.shop_id = cohorts.shop_id
            and shop_daily.business_date = cohorts.paid_date

)

select * from final
