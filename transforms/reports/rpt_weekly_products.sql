with

order_lines as (

    select
        shop_id,
        paid_date,
        product_name,
        buyer_key,
        quantity,
        paid_amount
    from fct_order_lines
    where is_paid

),

refunds as (

    select
        shop_id,
        refund_date,
        product_name,
        refund_amount
    from fct_refunds

),

sales as (

    select
        shop_id,
        date_trunc('week', paid_date)::date as week_start,
        product_name,
        sum(paid_amount) as gmv,
        sum(quantity) as quantity,
        count(distinct buyer_key) as paying_buyers
    from order_lines
    group by shop_id, date_trunc('week', paid_date), product_name

),

refunded as (

    select
        shop_id,
        date_trunc('week', refund_date)::date as week_start,
        product_name,
        sum(refund_amount) as refund_amount,
        count(*) as refund_lines
    from refunds
    group by shop_id, date_trunc('week', refund_date), product_name

),

combined as (

    select
        coalesce(sales.shop_id, refunded.shop_id) as shop_id,
        coalesce(sales.week_start, refunded.week_start) as week_start,
        coalesce(sales.product_name, refunded.product_name) as product_name,
        coalesce(sales.gmv, 0) as gmv,
        coalesce(sales.quantity, 0) as quantity,
        coalesce(sales.paying_buyers, 0) as paying_buyers,
        coalesce(refunded.refund_amount, 0) as refund_amount,
        coalesce(refunded.refund_lines, 0) as refund_lines
    from sales
    full outer join refunded
        on
            sales.shop_id = refunded.shop_id
            and sales.week_start = refunded.week_start
            and sales.product_name = refunded.product_name

),

final as (

    select
        week_start,
        strftime(week_start, '%G-W%V') as iso_week,
        shop_id as scope_id,
        product_name,
        gmv,
        quantity,
        paying_buyers,
        refund_amount,
        refund_lines,
        refund_amount / nullif(gmv, 0) as refund_rate,
        row_number() over (
            partition by shop_id, week_start order by gmv desc, product_name asc
        ) as sales_rank,
        row_number() over (
            partition by shop_id, week_start order by refund_amount desc, product_name asc
        ) as refund_rank
    from combined

)

select * from final
