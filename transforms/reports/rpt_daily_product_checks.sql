with

alerts as (

    select
        business_date,
        shop_id,
        has_full_baseline,
        visitors,
        is_abnormal
    from fct_product_alerts_daily

),

final as (

    select
        business_date,
        shop_id as scope_id,
        count(*) filter (where has_full_baseline) as products_checked,
        count(*) filter (where is_abnormal) as products_abnormal,
        count(visitors) > 0 as has_product_traffic
    from alerts
    group by business_date, shop_id

)

select * from final
