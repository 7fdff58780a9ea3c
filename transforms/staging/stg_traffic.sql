with

raw_rows as (

    select
        source_file_id,
        source_row,
        shop_id,
        business_date,
        source,
        sku,
        visitors,
        page_views,
        add_to_cart_users,
        favorite_users,
        order_buyers,
        paying_buyers,
        paid_amount,
        bounce_rate
    from raw_traffic

),

final as (

    select
        source_file_id,
        source_row,
        shop_id,
        business_date,
        coalesce(source, 'all') as source,
        sku,
        visitors,
        page_views,
        add_to_cart_users,
        favorite_users,
        order_buyers,
        paying_buyers,
        paid_amount,
        bounce_rate,
        sku is null as is_shop_level
    from raw_rows

)

select * from final
