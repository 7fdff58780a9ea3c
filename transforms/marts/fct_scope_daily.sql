with

shop_daily as (

    select
        business_date,
        shop_id,
        currency,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        gmv,
        refund_amount,
        refund_events,
        net_sales,
        ad_cost,
        attributed_revenue
    from fct_shop_daily

),

shops as (

    select
        shop_id,
        shop_name
    from dim_shops

),

fx_rates as (

    select
        rate_date,
        currency,
        rate_to_reporting,
        reporting_currency
    from stg_fx_rates

),

reporting as (

    select reporting_currency
    from seed_reporting

),

converted as (

    -- each day uses the latest rate on or before it; the reporting currency converts at 1
    select
        shop_daily.business_date,
        shop_daily.shop_id,
        shop_daily.visitors,
        shop_daily.add_to_cart_users,
        shop_daily.order_buyers,
        shop_daily.paying_buyers,
        shop_daily.refund_events,
        case
            when shop_daily.currency = reporting.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as rate,
        shop_daily.gmv,
        shop_daily.refund_amount,
        shop_daily.net_sales,
        shop_daily.ad_cost,
        shop_daily.attributed_revenue
    from shop_daily
    cross join reporting
    asof left join fx_rates
        on
            shop_daily.currency = fx_rates.currency
            and shop_daily.business_date >= fx_rates.rate_date

),

all_shops as (

    -- visitors are only summed when every shop has them for the day, so that conversion is
    -- never computed over a partial denominator
    select
        business_date,
        'all' as scope_id,
        case when count(visitors) = count(*) then sum(visitors) end as visitors,
        case
            when count(add_to_cart_users) = count(*) then sum(add_to_cart_users)
        end as add_to_cart_users,
        sum(order_buyers) as order_buyers,
        sum(paying_buyers) as paying_buyers,
        sum(refund_events) as refund_events,
        sum(gmv * rate)::decimal(18, 2) as gmv,
        sum(refund_amount * rate)::decimal(18, 2) as refund_amount,
        sum(ad_cost * rate)::decimal(18, 2) as ad_cost,
        sum(attributed_revenue * rate)::decimal(18, 2) as attributed_revenue,
        count(*) filter (where rate is null) as shops_without_rate
    from converted
    group by business_date

),

per_shop as (

    select
        shop_daily.business_date,
        shop_daily.shop_id as scope_id,
        shops.shop_name as scope_name,
        shop_daily.currency,
        shop_daily.visitors,
        shop_daily.add_to_cart_users,
        shop_daily.order_buyers,
        shop_daily.paying_buyers,
        shop_daily.refund_events,
        shop_daily.gmv,
        shop_daily.refund_amount,
        shop_daily.ad_cost,
        shop_daily.attributed_revenue
    from shop_daily
    inner join shops
        on shop_daily.shop_id = shops.shop_id

),

all_scope as (

    select
        all_shops.business_date,
        all_shops.scope_id,
        'all' as scope_name,
        reporting.reporting_currency as currency,
        all_shops.visitors,
        all_shops.add_to_cart_users,
        all_shops.order_buyers,
        all_shops.paying_buyers,
        all_shops.refund_events,
        all_shops.gmv,
        all_shops.refund_amount,
        all_shops.ad_cost,
        all_shops.attributed_revenue
    from all_shops
    cross join reporting
    where all_shops.shops_without_rate = 0

),

scopes as (

    select
        business_date,
        scope_id,
        scope_name,
        currency,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        refund_amount,
        ad_cost,
        attributed_revenue
    from per_shop
    union all
    select
        business_date,
        scope_id,
        scope_name,
        currency,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        refund_amount,
        ad_cost,
        attributed_revenue
    from all_scope

),

final as (

    select
        business_date,
        scope_id,
        scope_name,
        currency,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        paying_buyers / nullif(visitors, 0) as conversion,
        gmv / nullif(paying_buyers, 0) as aov,
        refund_amount,
        (gmv - refund_amount)::decimal(18, 2) as net_sales,
        ad_cost,
        attributed_revenue,
        attributed_revenue / nullif(ad_cost, 0) as roas
    from scopes

)

select * from final
