with

order_lines as (

    select
        shop_id,
        order_id,
        buyer_key,
        created_date,
        paid_date,
        paid_amount,
        is_paid
    from fct_order_lines

),

refunds as (

    select
        shop_id,
        refund_date,
        refund_amount
    from fct_refunds

),

traffic as (

    select
        shop_id,
        business_date,
        source,
        visitors,
        add_to_cart_users
    from fct_traffic_daily

),

ad_spend as (

    select
        shop_id,
        business_date,
        cost,
        attributed_revenue
    from fct_ad_spend_daily
    where counts_in_shop_total

),

shops as (

    select
        shop_id,
        currency
    from dim_shops

),

sales_daily as (

    select
        shop_id,
        paid_date as business_date,
        sum(paid_amount) as gmv,
        count(distinct buyer_key) as paying_buyers,
        count(distinct order_id) as paid_orders
    from order_lines
    where is_paid
    group by shop_id, paid_date

),

order_buyers_daily as (

    select
        shop_id,
        created_date as business_date,
        count(distinct buyer_key) as order_buyers
    from order_lines
    group by shop_id, created_date

),

refunds_daily as (

    select
        shop_id,
        refund_date as business_date,
        sum(refund_amount) as refund_amount,
        count(*) as refund_events
    from refunds
    group by shop_id, refund_date

),

traffic_daily as (

    -- a whole-shop row is the console's de-duplicated count; without one, sources are summed
    select
        shop_id,
        business_date,
        coalesce(
            max(visitors) filter (where source = 'all'),
            sum(visitors) filter (where source <> 'all')
        ) as visitors,
        coalesce(
            max(add_to_cart_users) filter (where source = 'all'),
            sum(add_to_cart_users) filter (where source <> 'all')
        ) as add_to_cart_users
    from traffic
    group by shop_id, business_date

),

ads_daily as (

    select
        shop_id,
        business_date,
        sum(cost) as ad_cost,
        sum(attributed_revenue) as attributed_revenue
    from ad_spend
    group by shop_id, business_date

),

activity_dates as (

    select
        shop_id,
        business_date
    from sales_daily
    union
    select
        shop_id,
        business_date
    from order_buyers_daily
    union
    select
        shop_id,
        business_date
    from traffic_daily
    union
    select
        shop_id,
        business_date
    from ads_daily

),

date_spine as (

    select
        shop_id,
        unnest(generate_series(min(business_date), max(business_date), interval 1 day))::date
            as business_date
    from activity_dates
    group by shop_id

),

final as (

    select
        date_spine.business_date,
        date_spine.shop_id,
        shops.currency,
        traffic_daily.visitors,
        traffic_daily.add_to_cart_users,
        coalesce(order_buyers_daily.order_buyers, 0) as order_buyers,
        coalesce(sales_daily.paying_buyers, 0) as paying_buyers,
        coalesce(sales_daily.paid_orders, 0) as paid_orders,
        coalesce(sales_daily.gmv, 0)::decimal(18, 2) as gmv,
        coalesce(sales_daily.paying_buyers, 0) / nullif(traffic_daily.visitors, 0) as conversion,
        sales_daily.gmv / nullif(sales_daily.paying_buyers, 0) as aov,
        coalesce(refunds_daily.refund_amount, 0)::decimal(18, 2) as refund_amount,
        coalesce(refunds_daily.refund_events, 0) as refund_events,
        (
            coalesce(sales_daily.gmv, 0) - coalesce(refunds_daily.refund_amount, 0)
        )::decimal(18, 2) as net_sales,
        coalesce(ads_daily.ad_cost, 0)::decimal(18, 2) as ad_cost,
        coalesce(ads_daily.attributed_revenue, 0)::decimal(18, 2) as attributed_revenue,
        ads_daily.attributed_revenue / nullif(ads_daily.ad_cost, 0) as roas
    from date_spine
    inner join shops
        on date_spine.shop_id = shops.shop_id
    left join sales_daily
        on
            date_spine.shop_id = sales_daily.shop_id
            and date_spine.business_date = sales_daily.business_date
    left join order_buyers_daily
        on
            date_spine.shop_id = order_buyers_daily.shop_id
            and date_spine.business_date = order_buyers_daily.business_date
    left join refunds_daily
        on
            date_spine.shop_id = refunds_daily.shop_id
            and date_spine.business_date = refunds_daily.business_date
    left join traffic_daily
        on
            date_spine.shop_id = traffic_daily.shop_id
            and date_spine.business_date = traffic_daily.business_date
    left join ads_daily
        on
            date_spine.shop_id = ads_daily.shop_id
            and date_spine.business_date = ads_daily.business_date

)

select * from final
