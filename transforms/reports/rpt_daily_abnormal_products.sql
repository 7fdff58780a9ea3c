with

alerts as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        order_lines,
        refund_amount,
        refund_lines,
        visitors,
        conversion,
        baseline_gmv,
        baseline_order_lines,
        baseline_refund_amount,
        baseline_visitors,
        baseline_conversion,
        visitors_change,
        conversion_change,
        refund_multiple,
        is_sales_stopped,
        is_traffic_drop,
        is_conversion_drop,
        is_refund_spike
    from fct_product_alerts_daily
    where is_abnormal

),

final as (

    -- the products that usually sell the most come first
    select
        business_date,
        shop_id as scope_id,
        row_number() over (
            partition by business_date, shop_id
            order by baseline_gmv desc nulls last, product_key asc
        ) as product_rank,
        product_key,
        product_name,
        currency,
        gmv,
        order_lines,
        refund_amount,
        refund_lines,
        visitors,
        conversion,
        baseline_gmv,
        baseline_order_lines,
        baseline_refund_amount,
        baseline_visitors,
        baseline_conversion,
        visitors_change,
        conversion_change,
        refund_multiple,
        is_sales_stopped,
        is_traffic_drop,
        is_conversion_drop,
        is_refund_spike
    from alerts

)

select * from final
