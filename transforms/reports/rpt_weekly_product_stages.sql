with

lifecycle as (

    select
        week_start,
        week_label,
        shop_id,
        product_key,
        product_name,
        currency,
        window_gmv,
        gmv_trend,
        gmv_share,
        product_role,
        lifecycle_stage,
        previous_stage,
        is_stage_changed
    from fct_product_lifecycle_weekly

),

final as (

    select
        week_start,
        week_label as iso_week,
        shop_id as scope_id,
        product_key,
        product_name,
        currency,
        window_gmv,
        gmv_trend,
        gmv_share,
        product_role,
        lifecycle_stage,
        previous_stage,
        is_stage_changed,
        row_number() over (
            partition by shop_id, week_start order by window_gmv desc, product_key asc
        ) as product_rank
    from lifecycle

)

select * from final
