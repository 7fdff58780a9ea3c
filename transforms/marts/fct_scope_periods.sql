with

scope_daily as (

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
    from fct_scope_daily

),

days as (

    select
        'day' as period,
        business_date as period_start,
        strftime(business_date, '%Y-%m-%d') as period_label,
        scope_id,
        scope_name,
        currency,
        1 as days_with_data,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        refund_amount,
        ad_cost,
        attributed_revenue
    from scope_daily

),

weeks as (

    -- ISO weeks (Monday to Sunday); counts are sums of the daily counts, so the week keeps
    -- the identity GMV = visitors × conversion × AOV; visitors only when every day has them
    select
        'week' as period,
        date_trunc('week', business_date)::date as period_start,
        strftime(date_trunc('week', business_date), '%G-W%V') as period_label,
        scope_id,
        any_value(scope_name) as scope_name,
        any_value(currency) as currency,
        count(*) as days_with_data,
        case when count(visitors) = count(*) then sum(visitors) end as visitors,
        case
            when count(add_to_cart_users) = count(*) then sum(add_to_cart_users)
        end as add_to_cart_users,
        sum(order_buyers) as order_buyers,
        sum(paying_buyers) as paying_buyers,
        sum(refund_events) as refund_events,
        sum(gmv) as gmv,
        sum(refund_amount) as refund_amount,
        sum(ad_cost) as ad_cost,
        sum(attributed_revenue) as attributed_revenue
    from scope_daily
    group by scope_id, date_trunc('week', business_date)

),

periods as (

    select
        period,
        period_start,
        period_label,
        scope_id,
        scope_name,
        currency,
        days_with_data,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        refund_amount,
        ad_cost,
        attributed_revenue
    from days
    union all
    select
        period,
        period_start,
        period_label,
        scope_id,
        scope_name,
        currency,
        days_with_data,
        visitors,
        add_to_cart_users,
        order_buyers,
        paying_buyers,
        refund_events,
        gmv,
        refund_amount,
        ad_cost,
        attributed_revenue
    from weeks

),

final as (

    select
        period,
        period_start,
        period_label,
        scope_id,
        scope_name,
        currency,
        days_with_data,
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
    from periods

)

select * from final
