with

order_lines as (

    select
        source_file_id,
        source_row,
        shop_id,
        order_id,
        line_id,
        sku,
        product_name,
        buyer_key,
        created_at,
        paid_at,
        shipped_at,
        completed_at,
        closed_at,
        status,
        quantity,
        paid_amount,
        refund_amount,
        refund_status,
        refunded_at,
        refund_reason,
        currency,
        is_paid
    from stg_orders

),

loaded_files as (

    select
        source_file_id,
        coverage_end
    from stg_source_files
    where is_loaded

),

final as (

    -- snapshots of one line are ordered by the day their export covers, then by load order
    select
        order_lines.source_file_id,
        order_lines.source_row,
        order_lines.shop_id,
        order_lines.order_id,
        order_lines.line_id,
        order_lines.sku,
        order_lines.product_name,
        order_lines.buyer_key,
        order_lines.created_at,
        order_lines.paid_at,
        order_lines.shipped_at,
        order_lines.completed_at,
        order_lines.closed_at,
        order_lines.status,
        order_lines.quantity,
        order_lines.paid_amount,
        order_lines.refund_amount,
        order_lines.refund_status,
        order_lines.refunded_at,
        order_lines.refund_reason,
        order_lines.currency,
        order_lines.is_paid,
        loaded_files.coverage_end as snapshot_date,
        -- a snapshot's columns look only at the snapshots before it, but for is_latest: a new
        -- export's snapshot leaves the earlier ones as they are (an incremental build appends
        -- it and clears is_latest on the one before)
        row_number() over snapshot_order as snapshot_seq,
        -- the last snapshot in that order is the current one (one window, one sort)
        lead(order_lines.source_row) over snapshot_order is null as is_latest,
        lag(order_lines.refund_amount, 1, 0) over snapshot_order as previous_refund_amount,
        -- the export changed something of the line: its first snapshot, or any column but the
        -- lineage differs from the snapshot before. A line re-listed as it was changes no order
        -- line: fct_order_lines refreshes only the lines whose snapshots change them
        (
            row_number() over snapshot_order = 1
            or order_lines.sku
            is distinct from lag(order_lines.sku) over snapshot_order
            or order_lines.product_name
            is distinct from lag(order_lines.product_name) over snapshot_order
            or order_lines.buyer_key
            is distinct from lag(order_lines.buyer_key) over snapshot_order
            or order_lines.created_at
            is distinct from lag(order_lines.created_at) over snapshot_order
            or order_lines.paid_at
            is distinct from lag(order_lines.paid_at) over snapshot_order
            or order_lines.shipped_at
            is distinct from lag(order_lines.shipped_at) over snapshot_order
            or order_lines.completed_at
            is distinct from lag(order_lines.completed_at) over snapshot_order
            or order_lines.closed_at
            is distinct from lag(order_lines.closed_at) over snapshot_order
            or order_lines.status
            is distinct from lag(order_lines.status) over snapshot_order
            or order_lines.quantity
            is distinct from lag(order_lines.quantity) over snapshot_order
            or order_lines.paid_amount
            is distinct from lag(order_lines.paid_amount) over snapshot_order
            or order_lines.refund_amount
            is distinct from lag(order_lines.refund_amount) over snapshot_order
            or order_lines.refund_status
            is distinct from lag(order_lines.refund_status) over snapshot_order
            or order_lines.refunded_at
            is distinct from lag(order_lines.refunded_at) over snapshot_order
            or order_lines.refund_reason
            is distinct from lag(order_lines.refund_reason) over snapshot_order
            or order_lines.currency
            is distinct from lag(order_lines.currency) over snapshot_order
            or order_lines.is_paid
            is distinct from lag(order_lines.is_paid) over snapshot_order
        ) as is_change
    from order_lines
    inner join loaded_files
        on order_lines.source_file_id = loaded_files.source_file_id
    window snapshot_order as (
        partition by order_lines.shop_id, order_lines.order_id, order_lines.line_id
        order by loaded_files.coverage_end, order_lines.source_file_id, order_lines.source_row
    )

)

select * from final
