with

latest as (

    select
        shop_id,
        order_id,
        line_id,
        sku,
        product_name,
        buyer_key,
        created_at,
        paid_at,
        status,
        quantity,
        paid_amount,
        refund_amount,
        refund_status,
        currency,
        is_paid
    from int_order_line_snapshots
    where is_latest

),

shops as (

    select
        shop_id,
        timezone
    from stg_shops

),

final as (

    select
        latest.shop_id,
        latest.order_id,
        latest.line_id,
        latest.sku,
        latest.product_name,
        latest.buyer_key,
        latest.created_at,
        latest.paid_at,
        timezone(shops.timezone, latest.created_at)::date as created_date,
        timezone(shops.timezone, latest.paid_at)::date as paid_date,
        latest.status,
        latest.quantity,
        latest.paid_amount,
        latest.refund_amount,
        latest.refund_status,
        latest.currency,
        latest.is_paid
    from latest
    inner join shops
        on latest.shop_id = shops.shop_id

)

select * from final
