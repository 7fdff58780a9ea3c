with

weeks as (

    select
        period_start,
        period_label,
        scope_id,
        currency,
        days_with_data,
        gmv,
        net_sales,
        refund_amount,
        ad_cost,
        visitors,
        paying_buyers
    from fct_scope_periods
    where period = 'week'

),

final as (

    select
        period_start as week_start,
        period_label as iso_week,
        scope_id,
        currency,
        days_with_data,
        gmv,
        net_sales,
        refund_amount,
        ad_cost,
        visitors,
        paying_buyers
    from weeks

)

select * from final
