with

raw_lines as (

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
        platform_status,
        quantity,
        unit_price,
        paid_amount,
        order_paid_amount,
        refund_amount,
        order_refund_amount,
        refund_status,
        refunded_at,
        refund_reason,
        currency
    from raw_orders

),

files_to_allocate as (

    -- the files with lines that lack their own amounts (e.g. Shopify's orders export): only
    -- their orders go through the allocation below; the other files' lines keep theirs
    select distinct source_file_id
    from raw_orders
    where paid_amount is null or refund_amount is null

),

amount_lines as (

    -- read apart from raw_lines on purpose: a CTE read twice is kept whole, and the windows
    -- below would then sort every column of every line (3x slower at 10M lines)
    select
        source_file_id,
        source_row,
        shop_id,
        order_id,
        quantity,
        unit_price,
        paid_amount,
        order_paid_amount,
        refund_amount,
        order_refund_amount
    from raw_orders
    where source_file_id in (select files_to_allocate.source_file_id from files_to_allocate)

),

weighted as (

    select
        source_file_id,
        source_row,
        shop_id,
        order_id,
        paid_amount,
        order_paid_amount,
        refund_amount,
        order_refund_amount,
        coalesce(unit_price, 0) * coalesce(quantity, 1) as line_weight,
        sum(coalesce(unit_price, 0) * coalesce(quantity, 1)) over order_in_file as order_weight,
        count(*) over order_in_file as order_line_count,
        row_number() over (order_in_file order by source_row) as line_position
    from amount_lines
    window order_in_file as (partition by source_file_id, shop_id, order_id)

),

shares as (

    -- a line's share of the order, as a fraction weight_units / total_units in whole cents
    -- (by value; equal parts when the order has no line values)
    select
        source_file_id,
        source_row,
        shop_id,
        order_id,
        paid_amount,
        refund_amount,
        order_paid_amount,
        order_refund_amount,
        line_position,
        order_line_count,
        case
            when order_weight > 0 then (line_weight * 100)::hugeint
            else 1
        end as weight_units,
        case
            when order_weight > 0 then (order_weight * 100)::hugeint
            else order_line_count::hugeint
        end as total_units
    from weighted

),

rounded as (

    -- each share rounded half up to the cent in exact integer arithmetic (never through a
    -- double, which would round some exact half cents down)
    select
        source_file_id,
        source_row,
        shop_id,
        order_id,
        paid_amount,
        refund_amount,
        order_paid_amount,
        order_refund_amount,
        line_position,
        order_line_count,
        (
            (2 * (order_paid_amount * 100)::hugeint * weight_units + total_units)
            // (2 * total_units)
        )::decimal(38, 0) * 0.01 as paid_share,
        (
            (2 * (order_refund_amount * 100)::hugeint * weight_units + total_units)
            // (2 * total_units)
        )::decimal(38, 0) * 0.01 as refund_share
    from shares

),

allocated as (

    -- order-level amounts go to lines by value; the last line takes the rounding remainder,
    -- so the lines always add up to the order to the cent
    select
        source_file_id,
        source_row,
        coalesce(
            paid_amount,
            paid_share + case
                when line_position = order_line_count
                    then order_paid_amount - sum(paid_share) over order_in_file
                else 0
            end
        ) as line_paid_amount,
        coalesce(
            refund_amount,
            refund_share + case
                when line_position = order_line_count
                    then order_refund_amount - sum(refund_share) over order_in_file
                else 0
            end,
            0
        ) as line_refund_amount
    from rounded
    window order_in_file as (partition by source_file_id, shop_id, order_id)

),

final as (

    select
        raw_lines.source_file_id,
        raw_lines.source_row,
        raw_lines.shop_id,
        raw_lines.order_id,
        coalesce(raw_lines.line_id, '1') as line_id,
        raw_lines.sku,
        coalesce(raw_lines.product_name, raw_lines.sku, '(unnamed)') as product_name,
        coalesce(
            raw_lines.buyer_key, 'anonymous:' || raw_lines.shop_id || ':' || raw_lines.order_id
        ) as buyer_key,
        raw_lines.created_at,
        raw_lines.paid_at,
        raw_lines.shipped_at,
        raw_lines.completed_at,
        raw_lines.closed_at,
        raw_lines.status,
        raw_lines.platform_status,
        coalesce(raw_lines.quantity, 1) as quantity,
        raw_lines.unit_price,
        -- a line's own amounts where the export has them, else its allocated share
        coalesce(
            raw_lines.paid_amount, allocated.line_paid_amount, 0
        )::decimal(18, 2) as paid_amount,
        coalesce(
            raw_lines.refund_amount, allocated.line_refund_amount
        )::decimal(18, 2) as refund_amount,
        raw_lines.refunded_at,
        raw_lines.refund_reason,
        raw_lines.currency,
        coalesce(
            raw_lines.refund_status,
            case
                when
                    coalesce(raw_lines.refund_amount, allocated.line_refund_amount) <= 0
                    then 'none'
                when
                    coalesce(raw_lines.refund_amount, allocated.line_refund_amount)
                    >= coalesce(raw_lines.paid_amount, allocated.line_paid_amount)
                    then 'full'
                else 'partial'
            end
        ) as refund_status,
        raw_lines.paid_at is not null as is_paid
    from raw_lines
    left join allocated
        on
            raw_lines.source_file_id = allocated.source_file_id
            and raw_lines.source_row = allocated.source_row

)

select * from final
