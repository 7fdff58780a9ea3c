with

product_daily as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        quantity,
        order_lines,
        paid_orders,
        paying_buyers,
        refund_amount,
        refund_lines,
        visitors
    from fct_product_daily

),

order_lines as (

    select
        shop_id,
        coalesce(sku, product_name) as product_key,
        buyer_key,
        paid_date
    from fct_order_lines
    where is_paid

),

rules as (

    select min_visitors
    from seed_thresholds

),

weekly_sums as (

    -- ISO weeks, Monday to Sunday; visitors only over the days with by-product traffic
    select
        date_trunc('week', business_date)::date as week_start,
        shop_id,
        product_key,
        arg_max(product_name, business_date) as product_name,
        any_value(currency) as currency,
        count(*) as days_in_week,
        sum(gmv)::decimal(18, 2) as gmv,
        sum(quantity)::bigint as quantity,
        sum(order_lines)::bigint as order_lines,
        sum(paid_orders)::bigint as paid_orders,
        sum(paying_buyers)::bigint as buyer_days,
        sum(refund_amount)::decimal(18, 2) as refund_amount,
        sum(refund_lines)::bigint as refund_lines,
        count(visitors) as traffic_days,
        sum(visitors)::bigint as visitors,
        sum(paying_buyers) filter (where visitors is not null)::bigint as traffic_buyer_days
    from product_daily
    group by date_trunc('week', business_date), shop_id, product_key

),

weekly_buyers as (

    select
        date_trunc('week', paid_date)::date as week_start,
        shop_id,
        product_key,
        count(distinct buyer_key) as paying_buyers
    from order_lines
    group by date_trunc('week', paid_date), shop_id, product_key

),

with_shares as (

    select
        weekly_sums.week_start,
        weekly_sums.shop_id,
        weekly_sums.product_key,
        weekly_sums.product_name,
        weekly_sums.currency,
        weekly_sums.days_in_week,
        weekly_sums.gmv,
        weekly_sums.quantity,
        weekly_sums.order_lines,
        weekly_sums.paid_orders,
        coalesce(weekly_buyers.paying_buyers, 0) as paying_buyers,
        weekly_sums.buyer_days,
        weekly_sums.refund_amount,
        weekly_sums.refund_lines,
        weekly_sums.traffic_days,
        weekly_sums.visitors,
        weekly_sums.traffic_buyer_days / nullif(weekly_sums.visitors, 0) as conversion,
        weekly_sums.gmv / nullif(
            sum(weekly_sums.gmv) over (partition by weekly_sums.week_start, weekly_sums.shop_id),
            0
        ) as gmv_share,
        weekly_sums.visitors >= rules.min_visitors * weekly_sums.traffic_days as has_enough_visitors
    from weekly_sums
    cross join rules
    left join weekly_buyers
        on
            weekly_sums.week_start = weekly_buyers.week_start
            and weekly_sums.shop_id = weekly_buyers.shop_id
            and weekly_sums.product_key = weekly_buyers.product_key

),

final as (

    select
        week_start,
        strftime(week_start, '%G-W%V') as week_label,
        shop_id,
        product_key,
        product_name,
        currency,
        days_in_week,
        gmv,
        quantity,
        order_lines,
        paid_orders,
        paying_buyers,
        buyer_days,
        refund_amount,
        refund_lines,
        refund_amount / nullif(gmv, 0) as refund_rate,
        traffic_days,
        visitors,
        conversion,
        gmv_share,
        case
            when gmv > 0
                then row_number() over (
                    partition by week_start, shop_id order by gmv desc, product_key asc
                )
        end as gmv_rank,
        case
            when visitors > 0
                then row_number() over (
                    partition by week_start, shop_id
                    order by visitors desc nulls last, product_key asc
                )
        end as visitors_rank,
        case
            when has_enough_visitors
                then row_number() over (
                    partition by week_start, shop_id
                    order by has_enough_visitors desc nulls last, conversion desc, product_key asc
                )
        end as conversion_rank
    from with_shares

)

select * from final
