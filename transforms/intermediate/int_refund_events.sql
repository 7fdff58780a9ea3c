with

snapshots as (

    select
        shop_id,
        order_id,
        line_id,
        product_name,
        paid_at,
        shipped_at,
        completed_at,
        closed_at,
        refunded_at,
        refund_reason,
        refund_amount,
        previous_refund_amount,
        snapshot_seq,
        snapshot_date,
        currency
    from int_order_line_snapshots

),

shops as (

    select
        shop_id,
        timezone
    from stg_shops

),

changes as (

    -- a refund event is an increase (rarely a reversal) of the line's refunded amount between
    -- two snapshots
    select
        shop_id,
        order_id,
        line_id,
        product_name,
        refund_reason,
        currency,
        snapshot_seq,
        snapshot_date,
        refunded_at,
        greatest(closed_at, completed_at, shipped_at, paid_at) as latest_event_at,
        refund_amount - previous_refund_amount as refund_amount
    from snapshots
    where refund_amount <> previous_refund_amount

),

dated as (

    select
        changes.shop_id,
        changes.order_id,
        changes.line_id,
        changes.product_name,
        changes.refund_reason,
        changes.currency,
        changes.refund_amount,
        case
            when changes.refunded_at is not null
                then timezone(shops.timezone, changes.refunded_at)::date
            when changes.snapshot_seq > 1
                then changes.snapshot_date
            else timezone(shops.timezone, changes.latest_event_at)::date
        end as refund_date,
        case
            when changes.refunded_at is not null then 'refund time in export'
            when changes.snapshot_seq > 1 then 'first export showing it'
            else 'latest order event'
        end as refund_date_basis
    from changes
    inner join shops
        on changes.shop_id = shops.shop_id

),

final as (

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
    from dated

)

select * from final
