with

traffic as (

    select
        shop_id,
        business_date,
        source,
        visitors,
        paying_buyers,
        paid_amount
    from fct_traffic_daily

),

final as (

    select
        business_date,
        shop_id as scope_id,
        source,
        visitors,
        paying_buyers,
        paid_amount,
        paying_buyers / nullif(visitors, 0) as conversion,
        visitors / nullif(sum(visitors) over (partition by shop_id, business_date), 0)
            as visitor_share
    from traffic

)

select * from final
