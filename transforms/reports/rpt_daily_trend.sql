with

scope_daily as (

    select
        business_date,
        scope_id,
        currency,
        gmv,
        net_sales,
        refund_amount,
        ad_cost,
        visitors,
        paying_buyers
    from fct_scope_daily

),

final as (

    select
        business_date,
        scope_id,
        currency,
        gmv,
        net_sales,
        refund_amount,
        ad_cost,
        visitors,
        paying_buyers
    from scope_daily

)

select * from final
