with

order_lines as (

    select
        shop_id,
        order_id,
        coalesce(sku, product_name) as product_key,
        buyer_key,
        paid_date,
        quantity,
        paid_amount,
        is_paid
    from fct_order_lines

),

refunds as (

    select
        shop_id,
        order_id,
        line_id,
        product_key,
        refund_date,
        refund_amount
    from fct_refunds
    where product_key is not null

),

products as (

    select
        shop_id,
        product_key,
        product_name,
        first_date
    from dim_products

),

product_traffic as (

    -- rows of a by-product traffic export (生意参谋 商品): sku is the product
    select
        shop_id,
        business_date,
        source,
        sku as product_key,
        visitors,
        add_to_cart_users
    from int_traffic_deduped
    where not is_shop_level

),

shop_days as (

    -- the shop's days of data (every day from its first to its last)
    select
        shop_id,
        business_date,
        currency
    from fct_shop_daily

),

sales as (

    select
        shop_id,
        paid_date as business_date,
        product_key,
        sum(paid_amount) as gmv,
        sum(quantity) as quantity,
        count(*) as order_lines,
        count(distinct order_id) as paid_orders,
        count(distinct buyer_key) as paying_buyers
    from order_lines
    where is_paid
    group by shop_id, paid_date, product_key

),

product_refunds as (

    select
        shop_id,
        refund_date as business_date,
        product_key,
        sum(refund_amount) as refund_amount,
        count(distinct order_id || '/' || line_id) as refund_lines
    from refunds
    group by shop_id, refund_date, product_key

),

traffic as (

    -- a whole-product row is the console's de-duplicated count; without one, sources are summed
    select
        shop_id,
        business_date,
        product_key,
        coalesce(
            max(visitors) filter (where source = 'all'),
            sum(visitors) filter (where source <> 'all')
        ) as visitors,
        coalesce(
            max(add_to_cart_users) filter (where source = 'all'),
            sum(add_to_cart_users) filter (where source <> 'all')
        ) as add_to_cart_users
    from product_traffic
    group by shop_id, business_date, product_key

),

traffic_days as (

    -- days on which the shop has by-product traffic at all
    select distinct
        shop_id,
        business_date
    from traffic

),

product_spine as (

    -- every day of the shop from the product's first activity on
    select
        products.shop_id,
        products.product_key,
        products.product_name,
        shop_days.business_date,
        shop_days.currency
    from products
    inner join shop_days
        on
            products.shop_id = shop_days.shop_id
            and products.first_date <= shop_days.business_date

),

final as (

    select
        product_spine.business_date,
        product_spine.shop_id,
        product_spine.product_key,
        product_spine.product_name,
        product_spine.currency,
        coalesce(sales.gmv, 0)::decimal(18, 2) as gmv,
        coalesce(sales.quantity, 0)::bigint as quantity,
        coalesce(sales.order_lines, 0)::bigint as order_lines,
        coalesce(sales.paid_orders, 0) as paid_orders,
        coalesce(sales.paying_buyers, 0) as paying_buyers,
        coalesce(product_refunds.refund_amount, 0)::decimal(18, 2) as refund_amount,
        coalesce(product_refunds.refund_lines, 0) as refund_lines,
        case
            when traffic_days.shop_id is not null then coalesce(traffic.visitors, 0)::bigint
        end as visitors,
        case
            when traffic_days.shop_id is not null
                then coalesce(traffic.add_to_cart_users, 0)::bigint
        end as add_to_cart_users,
        case
            when traffic_days.shop_id is not null
                then coalesce(sales.paying_buyers, 0) / nullif(coalesce(traffic.visitors, 0), 0)
        end as conversion
    from product_spine
    left join sales
        on
            product_spine.shop_id = sales.shop_id
            and product_spine.product_key = sales.product_key
            and product_spine.business_date = sales.business_date
    left join product_refunds
        on
            product_spine.shop_id = product_refunds.shop_id
            and product_spine.product_key = product_refunds.product_key
            and product_spine.business_date = product_refunds.business_date
    left join traffic
        on
            product_spine.shop_id = traffic.shop_id
            and product_spine.product_key = traffic.product_key
            and product_spine.business_date = traffic.business_date
    left join traffic_days
        on
            product_spine.shop_id = traffic_days.shop_id
            and product_spine.business_date = traffic_days.business_date

)

select * from final
