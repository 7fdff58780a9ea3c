with

traffic as (

    select
        shop_id,
        business_date,
        source,
        visitors,
        page_views,
        add_to_cart_users,
        favorite_users,
        order_buyers,
        paying_buyers,
        paid_amount
    from int_traffic_deduped
    where is_shop_level

),

final as (

    select
        shop_id,
        business_date,
        source,
        visitors,
        page_views,
        add_to_cart_users,
        favorite_users,
        order_buyers,
        paying_buyers,
        paid_amount
    from traffic

)

select * from final
