with

order_lines as (

    select
        shop_id,
        order_id,
        line_id,
        coalesce(sku, product_name) as product_key,
        product_name,
        buyer_key,
        created_at,
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
        refund_date,
        refund_amount
    from fct_refunds

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

shop_history as (

    select
        shop_id,
        currency,
        max(business_date) as last_date
    from fct_shop_daily
    group by shop_id, currency

),

product_names as (

    -- the title of the product's latest order
    select
        shop_id,
        product_key,
        arg_max(product_name, created_at) as product_name
    from order_lines
    group by shop_id, product_key

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
        refunds.shop_id,
        refunds.refund_date as business_date,
        order_lines.product_key,
        sum(refunds.refund_amount) as refund_amount,
        count(distinct refunds.order_id || '/' || refunds.line_id) as refund_lines
    from refunds
    inner join order_lines
        on
            refunds.shop_id = order_lines.shop_id
            and refunds.order_id = order_lines.order_id
            and refunds.line_id = order_lines.line_id
    group by refunds.shop_id, refunds.refund_date, order_lines.product_key

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

activity as (

    select
        shop_id,
        product_key,
        business_date
    from sales
    union
    select
        shop_id,
        product_key,
        business_date
    from product_refunds
    union
    select
        shop_id,
        product_key,
        business_date
    from traffic

),

product_spine as (

    -- every day from the product's first activity to the shop's last day of data
    select
        activity.shop_id,
        activity.product_key,
        unnest(
            generate_series(
                min(activity.business_date), any_value(shop_history.last_date), interval 1 day
            )
        )::date as business_date
    from activity
    inner join shop_history
        on activity.shop_id = shop_history.shop_id
    group by activity.shop_id, activity.product_key

),

final as (

    select
        product_spine.business_date,
        product_spine.shop_id,
        product_spine.product_key,
        coalesce(product_names.product_name, product_spine.product_key) as product_name,
        shop_history.currency,
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
    inner join shop_history
        on product_spine.shop_id = shop_history.shop_id
    left join product_names
        on
            product_spine.shop_id = product_names.shop_id
            and product_spine.product_key = product_names.product_key
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
