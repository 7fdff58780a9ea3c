with

product_weekly as (

    select
        week_start,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        quantity,
        order_lines,
        buyer_days,
        refund_amount,
        visitors
    from fct_product_weekly

),

shop_daily as (

    select
        business_date,
        shop_id
    from fct_shop_daily

),

rules as (

    select
        window_weeks,
        new_weeks,
        growth,
        decline,
        min_window_lines,
        hit_gmv_share,
        traffic_driver_share,
        traffic_driver_price_ratio,
        profit_price_ratio,
        profit_min_gmv_share,
        profit_max_refund_rate
    from seed_thresholds

),

shop_history as (

    -- the Monday of the shop's first complete week of data
    select
        shop_id,
        date_trunc('week', min(business_date) + 6)::date as first_full_week
    from shop_daily
    group by shop_id

),

shop_week_days as (

    select
        date_trunc('week', business_date)::date as week_start,
        shop_id,
        count(*) as days_with_data
    from shop_daily
    group by date_trunc('week', business_date), shop_id

),

first_sales as (

    select
        shop_id,
        product_key,
        min(week_start) filter (where gmv > 0) as first_sale_week
    from product_weekly
    group by shop_id, product_key

),

product_windows as (

    -- the window: the week and the (window_weeks - 1) weeks before it; the previous window: the
    -- window_weeks weeks before that
    select
        this_week.week_start,
        this_week.shop_id,
        this_week.product_key,
        sum(past.gmv) filter (where past.week_start > this_week.week_start - 7 * rules.window_weeks)
            as window_gmv,
        sum(past.quantity) filter (
            where past.week_start > this_week.week_start - 7 * rules.window_weeks
        ) as window_quantity,
        sum(past.order_lines) filter (
            where past.week_start > this_week.week_start - 7 * rules.window_weeks
        ) as window_order_lines,
        sum(past.buyer_days) filter (
            where past.week_start > this_week.week_start - 7 * rules.window_weeks
        ) as window_buyer_days,
        sum(past.visitors) filter (
            where past.week_start > this_week.week_start - 7 * rules.window_weeks
        ) as window_visitors,
        sum(past.refund_amount) filter (
            where past.week_start > this_week.week_start - 7 * rules.window_weeks
        ) as window_refund_amount,
        coalesce(
            sum(past.gmv) filter (
                where past.week_start <= this_week.week_start - 7 * rules.window_weeks
            ),
            0
        ) as previous_gmv,
        coalesce(
            sum(past.order_lines) filter (
                where past.week_start <= this_week.week_start - 7 * rules.window_weeks
            ),
            0
        ) as previous_order_lines
    from product_weekly as this_week
    cross join rules
    inner join product_weekly as past
        on
            this_week.shop_id = past.shop_id
            and this_week.product_key = past.product_key
            and past.week_start
            between this_week.week_start - 7 * (2 * rules.window_weeks - 1)
            and this_week.week_start
    group by this_week.week_start, this_week.shop_id, this_week.product_key

),

shop_windows as (

    select
        week_start,
        shop_id,
        sum(window_gmv) as shop_window_gmv,
        sum(window_quantity) as shop_window_quantity,
        sum(window_buyer_days) as shop_window_buyer_days,
        sum(window_visitors) as shop_window_visitors
    from product_windows
    group by week_start, shop_id

),

measured as (

    select
        product_windows.week_start,
        product_windows.shop_id,
        product_windows.product_key,
        product_weekly.product_name,
        product_weekly.currency,
        shop_week_days.days_with_data,
        product_windows.week_start
        >= shop_history.first_full_week + 7 * (2 * rules.window_weeks - 1) as has_full_history,
        datediff('week', first_sales.first_sale_week, product_windows.week_start)
            as weeks_since_first_sale,
        first_sales.first_sale_week > shop_history.first_full_week as is_launched_in_history,
        product_windows.window_gmv,
        product_windows.previous_gmv,
        product_windows.window_order_lines,
        product_windows.previous_order_lines,
        product_windows.window_gmv / nullif(product_windows.previous_gmv, 0) - 1 as gmv_trend,
        product_windows.window_gmv / nullif(shop_windows.shop_window_gmv, 0) as gmv_share,
        case
            when shop_windows.shop_window_visitors > 0 then 'visitors' else 'buyers'
        end as traffic_basis,
        case
            when shop_windows.shop_window_visitors > 0
                then
                    coalesce(product_windows.window_visitors, 0)
                    / shop_windows.shop_window_visitors
            else
                product_windows.window_buyer_days
                / nullif(shop_windows.shop_window_buyer_days, 0)
        end as traffic_share,
        (product_windows.window_gmv / nullif(product_windows.window_quantity, 0))
        / nullif(shop_windows.shop_window_gmv / nullif(shop_windows.shop_window_quantity, 0), 0)
            as price_index,
        product_windows.window_refund_amount / nullif(product_windows.window_gmv, 0)
            as refund_rate,
        rules.window_weeks,
        rules.new_weeks,
        rules.growth,
        rules.decline,
        rules.min_window_lines,
        rules.hit_gmv_share,
        rules.traffic_driver_share,
        rules.traffic_driver_price_ratio,
        rules.profit_price_ratio,
        rules.profit_min_gmv_share,
        rules.profit_max_refund_rate
    from product_windows
    cross join rules
    inner join product_weekly
        on
            product_windows.week_start = product_weekly.week_start
            and product_windows.shop_id = product_weekly.shop_id
            and product_windows.product_key = product_weekly.product_key
    inner join shop_windows
        on
            product_windows.week_start = shop_windows.week_start
            and product_windows.shop_id = shop_windows.shop_id
    inner join shop_history
        on product_windows.shop_id = shop_history.shop_id
    inner join shop_week_days
        on
            product_windows.week_start = shop_week_days.week_start
            and product_windows.shop_id = shop_week_days.shop_id
    left join first_sales
        on
            product_windows.shop_id = first_sales.shop_id
            and product_windows.product_key = first_sales.product_key
    where product_windows.window_gmv > 0 or product_windows.previous_gmv > 0

),

flagged as (

    select
        week_start,
        shop_id,
        product_key,
        product_name,
        currency,
        days_with_data,
        has_full_history,
        weeks_since_first_sale,
        window_gmv,
        previous_gmv,
        window_order_lines,
        previous_order_lines,
        gmv_trend,
        gmv_share,
        traffic_basis,
        traffic_share,
        price_index,
        refund_rate,
        coalesce(gmv_share >= hit_gmv_share, false) as is_hit,
        coalesce(
            traffic_share >= traffic_driver_share and price_index <= traffic_driver_price_ratio,
            false
        ) as is_traffic_driver,
        coalesce(
            price_index >= profit_price_ratio
            and gmv_share >= profit_min_gmv_share
            and coalesce(refund_rate, 0) <= profit_max_refund_rate,
            false
        ) as is_profit_item,
        case
            when is_launched_in_history and weeks_since_first_sale < new_weeks then 'new'
            when not has_full_history then null
            when
                greatest(window_order_lines, previous_order_lines) >= min_window_lines
                and window_gmv <= (1 - decline) * previous_gmv
                then 'decline'
            when gmv_share >= hit_gmv_share then 'hot'
            when
                greatest(window_order_lines, previous_order_lines) >= min_window_lines
                and window_gmv >= (1 + growth) * previous_gmv
                then 'growth'
            else 'stable'
        end as lifecycle_stage
    from measured

),

final as (

    select
        week_start,
        strftime(week_start, '%G-W%V') as week_label,
        shop_id,
        product_key,
        product_name,
        currency,
        days_with_data,
        has_full_history,
        weeks_since_first_sale,
        window_gmv::decimal(18, 2) as window_gmv,
        previous_gmv::decimal(18, 2) as previous_gmv,
        window_order_lines,
        previous_order_lines,
        gmv_trend,
        gmv_share,
        traffic_basis,
        traffic_share,
        price_index,
        refund_rate,
        is_hit,
        is_traffic_driver,
        is_profit_item,
        case
            when is_hit then 'hit'
            when is_traffic_driver then 'traffic_driver'
            when is_profit_item then 'profit_item'
            else 'regular'
        end as product_role,
        lifecycle_stage,
        lag(lifecycle_stage) over product_weeks as previous_stage,
        coalesce(lifecycle_stage <> lag(lifecycle_stage) over product_weeks, false)
            as is_stage_changed
    from flagged
    window product_weeks as (partition by shop_id, product_key order by week_start)

)

select * from final
