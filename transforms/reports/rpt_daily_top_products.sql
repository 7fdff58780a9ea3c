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

per_product as (

    select
        shop_id,
        paid_date,
        product_name,
        sum(paid_amount) as gmv,
        sum(quantity) as quantity,
        count(distinct buyer_key) as paying_buyers
    from order_lines
    group by shop_id, paid_date, product_name

),

ranked as (

    select
        shop_id,
        paid_date,
        product_name,
        gmv,
        quantity,
        paying_buyers,
        row_number() over (
            partition by shop_id, paid_date order by gmv desc, product_name asc
        ) as product_rank
    from per_product

),

final as (

    select
        paid_date as business_date,
        shop_id as scope_id,
        product_rank,
        product_name,
        gmv,
        quantity,
        paying_buyers
    from ranked
    where product_rank <= 10

)

select * from final
