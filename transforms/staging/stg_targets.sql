with

targets as (

    select
        shop_id,
        month_start,
        gmv_target,
        ad_cost_target
    from seed_targets

),

final as (

    select
        shop_id,
        month_start,
        last_day(month_start) as month_end,
        dayofmonth(last_day(month_start)) as days_in_month,
        gmv_target,
        ad_cost_target
    from targets

)

select * from final
