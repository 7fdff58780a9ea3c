with

refunds as (

    select
        shop_id,
        refund_date,
        product_name,
        refund_amount
    from fct_refunds

),

per_product as (

    select
        shop_id,
        refund_date,
        product_name,
        sum(refund_amount) as refund_amount,
        count(*) as refund_lines
    from refunds
    group by shop_id, refund_date, product_name

),

ranked as (

    select
        shop_id,
        refund_date,
        product_name,
        refund_amount,
        refund_lines,
        row_number() over (
            partition by shop_id, refund_date order by refund_amount desc, product_name asc
        ) as product_rank
    from per_product

),

final as (

    select
        refund_date as business_date,
        shop_id as scope_id,
        product_rank,
        product_name,
        refund_amount,
        refund_lines
    from ranked
    where product_rank <= 5

)

select * from final
