with

shop_days as (

    select
        business_date,
        shop_id
    from fct_shop_daily

),

order_rows as (

    select
        shop_id,
        created_date as business_date,
        count(*) as row_count
    from fct_order_lines
    group by shop_id, created_date

),

traffic_rows as (

    select
        shop_id,
        business_date,
        count(*) as row_count
    from fct_traffic_daily
    group by shop_id, business_date

),

ad_rows as (

    select
        shop_id,
        business_date,
        count(*) as row_count
    from fct_ad_spend_daily
    group by shop_id, business_date

),

entity_rows as (

    select
        shop_days.business_date,
        shop_days.shop_id,
        'orders' as entity,
        coalesce(order_rows.row_count, 0) as row_count
    from shop_days
    left join order_rows
        on
            shop_days.shop_id = order_rows.shop_id
            and shop_days.business_date = order_rows.business_date
    union all
    select
        shop_days.business_date,
        shop_days.shop_id,
        'traffic' as entity,
        coalesce(traffic_rows.row_count, 0) as row_count
    from shop_days
    left join traffic_rows
        on
            shop_days.shop_id = traffic_rows.shop_id
            and shop_days.business_date = traffic_rows.business_date
    union all
    select
        shop_days.business_date,
        shop_days.shop_id,
        'ad_spend' as entity,
        coalesce(ad_rows.row_count, 0) as row_count
    from shop_days
    left join ad_rows
        on
            shop_days.shop_id = ad_rows.shop_id
            and shop_days.business_date = ad_rows.business_date

),

final as (

    -- an entity is missing for a day when the shop has had it before that day but not that day
    select
        business_date,
        shop_id as scope_id,
        entity,
        row_count as rows,
        row_count = 0
        and max(row_count) over (
            partition by shop_id, entity order by business_date
            rows between unbounded preceding and 1 preceding
        ) > 0 as is_missing
    from entity_rows

)

select * from final
