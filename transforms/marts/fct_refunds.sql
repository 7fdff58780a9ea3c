with

refund_events as (

    select
        shop_id,
        order_id,
        line_id,
        product_name,
        refund_reason,
        currency,
        refund_amount,
        refund_date,
        refund_date_basis
    from int_refund_events

),

order_lines as (

    select
        shop_id,
        order_id,
        line_id,
        coalesce(sku, product_name) as product_key,
        paid_date
    from fct_order_lines

),

final as (

    select
        refund_events.shop_id,
        refund_events.order_id,
        refund_events.line_id,
        refund_events.product_name,
        refund_events.refund_reason,
        refund_events.currency,
        refund_events.refund_amount,
        refund_events.refund_date,
        refund_events.refund_date_basis,
        order_lines.product_key,
        order_lines.paid_date
    from refund_events
    left join order_lines
        on
            refund_events.shop_id = order_lines.shop_id
            and refund_events.order_id = order_lines.order_id
            and refund_events.line_id = order_lines.line_id

)

select * from final
