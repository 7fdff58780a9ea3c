with

order_lines as (

    select
        shop_id,
        order_id,
        buyer_key,
        paid_at,
        paid_date,
        paid_amount,
        refund_amount
    from fct_order_lines
    where is_paid

),

orders as (

    select
        shop_id,
        order_id,
        min(buyer_key) as buyer_key,
        min(paid_at) as paid_at,
        min(paid_date) as paid_date,
        sum(paid_amount)::decimal(18, 2) as gmv,
        sum(refund_amount)::decimal(18, 2) as refund_amount
    from order_lines
    group by shop_id, order_id

),

sequenced as (

    -- a buyer's paid orders in the shop, in payment order; the first one makes them a new buyer
    select
        shop_id,
        order_id,
        buyer_key,
        paid_at,
        paid_date,
        gmv,
        refund_amount,
        row_number() over buyer_history as buyer_order_seq,
        lag(paid_date) over buyer_history as previous_paid_date,
        lag(paid_date, 2) over buyer_history as second_previous_paid_date,
        min(paid_date) over (partition by shop_id, buyer_key) as first_paid_date
    from orders
    window buyer_history as (partition by shop_id, buyer_key order by paid_at, order_id)

),

final as (

    select
        shop_id,
        order_id,
        buyer_key,
        paid_at,
        paid_date,
        gmv,
        refund_amount,
        buyer_order_seq,
        buyer_order_seq = 1 as is_first_order,
        previous_paid_date,
        second_previous_paid_date,
        first_paid_date,
        date_trunc('month', first_paid_date)::date as cohort_month,
        date_trunc('month', paid_date)::date as paid_month
    from sequenced

)

select * from final
