with

order_lines as (

    select
        shop_id,
        coalesce(sku, product_name) as product_key,
        product_name,
        created_at,
        paid_date,
        is_paid
    from fct_order_lines

),

refunds as (

    select
        shop_id,
        product_key,
        refund_date
    from fct_refunds
    where product_key is not null

),

product_traffic as (

    -- rows of a by-product traffic export (生意参谋 商品): sku is the product
    select
        shop_id,
        sku as product_key,
        business_date
    from int_traffic_deduped
    where not is_shop_level

),

names as (

    -- the title of the product's latest order
    select
        shop_id,
        product_key,
        arg_max(product_name, created_at) as product_name
    from order_lines
    group by shop_id, product_key

),

activity as (

    select
        shop_id,
        product_key,
        paid_date as business_date
    from order_lines
    where is_paid
    union all
    select
        shop_id,
        product_key,
        refund_date as business_date
    from refunds
    union all
    select
        shop_id,
        product_key,
        business_date
    from product_traffic

),

first_days as (

    select
        shop_id,
        product_key,
        min(business_date) as first_date
    from activity
    group by shop_id, product_key

),

final as (

    select
        first_days.shop_id,
        first_days.product_key,
        coalesce(names.product_name, first_days.product_key) as product_name,
        first_days.first_date
    from first_days
    left join names
        on
            first_days.shop_id = names.shop_id
            and first_days.product_key = names.product_key

)

select * from final
