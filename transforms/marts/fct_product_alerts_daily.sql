with

product_daily as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        order_lines,
        paying_buyers,
        refund_amount,
        refund_lines,
        visitors,
        conversion
    from fct_product_daily

),

rules as (

    select
        baseline_weeks,
        min_orders,
        min_visitors,
        min_refund_lines,
        traffic_drop,
        conversion_drop,
        refund_spike
    from seed_thresholds

),

baselines as (

    -- the baseline of a day: the same weekday in each of the baseline_weeks weeks before it
    select
        this_day.business_date,
        this_day.shop_id,
        this_day.product_key,
        count(*) as baseline_days,
        avg(past.gmv) as baseline_gmv,
        avg(past.order_lines) as baseline_order_lines,
        avg(past.refund_amount) as baseline_refund_amount,
        count(past.visitors) as baseline_traffic_days,
        avg(past.visitors) as baseline_visitors,
        sum(past.paying_buyers) filter (where past.visitors is not null)
        / nullif(sum(past.visitors), 0) as baseline_conversion
    from product_daily as this_day
    cross join rules
    inner join product_daily as past
        on
            this_day.shop_id = past.shop_id
            and this_day.product_key = past.product_key
            and past.business_date
            between this_day.business_date - 7 * rules.baseline_weeks
            and this_day.business_date - 7
            and (this_day.business_date - past.business_date) % 7 = 0
    group by this_day.business_date, this_day.shop_id, this_day.product_key

),

compared as (

    select
        product_daily.business_date,
        product_daily.shop_id,
        product_daily.product_key,
        product_daily.product_name,
        product_daily.currency,
        product_daily.gmv,
        product_daily.order_lines,
        product_daily.paying_buyers,
        product_daily.refund_amount,
        product_daily.refund_lines,
        product_daily.visitors,
        product_daily.conversion,
        coalesce(baselines.baseline_days, 0) as baseline_days,
        baselines.baseline_gmv,
        baselines.baseline_order_lines,
        baselines.baseline_refund_amount,
        baselines.baseline_visitors,
        baselines.baseline_conversion,
        coalesce(baselines.baseline_days = rules.baseline_weeks, false) as has_full_baseline,
        coalesce(baselines.baseline_traffic_days = rules.baseline_weeks, false)
            as has_full_traffic_baseline,
        rules.min_orders,
        rules.min_visitors,
        rules.min_refund_lines,
        rules.traffic_drop,
        rules.conversion_drop,
        rules.refund_spike
    from product_daily
    cross join rules
    left join baselines
        on
            product_daily.business_date = baselines.business_date
            and product_daily.shop_id = baselines.shop_id
            and product_daily.product_key = baselines.product_key

),

flagged as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        order_lines,
        paying_buyers,
        refund_amount,
        refund_lines,
        visitors,
        conversion,
        baseline_days,
        has_full_baseline,
        baseline_gmv,
        baseline_order_lines,
        baseline_refund_amount,
        baseline_visitors,
        baseline_conversion,
        coalesce(
            has_full_baseline
            and order_lines = 0
            and baseline_order_lines >= min_orders,
            false
        ) as is_sales_stopped,
        coalesce(
            has_full_traffic_baseline
            and baseline_visitors >= min_visitors
            and visitors < (1 - traffic_drop) * baseline_visitors,
            false
        ) as is_traffic_drop,
        coalesce(
            has_full_traffic_baseline
            and baseline_visitors >= min_visitors
            and baseline_order_lines >= min_orders
            and visitors >= min_visitors
            and conversion < (1 - conversion_drop) * baseline_conversion,
            false
        ) as is_conversion_drop,
        coalesce(
            has_full_baseline
            and refund_amount > 0
            and refund_lines >= min_refund_lines
            and refund_amount >= refund_spike * baseline_refund_amount,
            false
        ) as is_refund_spike
    from compared

),

final as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        order_lines,
        paying_buyers,
        refund_amount,
        refund_lines,
        visitors,
        conversion,
        baseline_days,
        has_full_baseline,
        baseline_gmv,
        baseline_order_lines,
        baseline_refund_amount,
        baseline_visitors,
        baseline_conversion,
        visitors / nullif(baseline_visitors, 0) - 1 as visitors_change,
        conversion / nullif(baseline_conversion, 0) - 1 as conversion_change,
        refund_amount / nullif(baseline_refund_amount, 0) as refund_multiple,
        is_sales_stopped,
        is_traffic_drop,
        is_conversion_drop,
        is_refund_spike,
        is_sales_stopped or is_traffic_drop or is_conversion_drop or is_refund_spike
            as is_abnormal
    from flagged

)

select * from final
