with

traffic as (

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
        bounce_rate,
        is_shop_level
    from stg_traffic

),

loaded_files as (

    select
        source_file_id,
        coverage_end
    from stg_source_files
    where is_loaded

),

ranked as (

    -- the same day and source may come in several exports (a monthly file, then a daily one):
    -- the export covering the latest day wins, then the one loaded last
    select
        traffic.shop_id,
        traffic.business_date,
        traffic.source,
        traffic.sku,
        traffic.visitors,
        traffic.page_views,
        traffic.add_to_cart_users,
        traffic.favorite_users,
        traffic.order_buyers,
        traffic.paying_buyers,
        traffic.paid_amount,
        traffic.bounce_rate,
        traffic.is_shop_level,
        row_number() over (
            partition by traffic.shop_id, traffic.business_date, traffic.source, traffic.sku
            order by
                loaded_files.coverage_end desc,
                traffic.source_file_id desc,
                traffic.source_row desc
        ) as copy_rank
    from traffic
    inner join loaded_files
        on traffic.source_file_id = loaded_files.source_file_id

),

final as (

    select
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
        bounce_rate,
        is_shop_level
    from ranked
    where copy_rank = 1

)

select * from final
