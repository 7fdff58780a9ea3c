with

day_bridges as (

    select
        period_start as business_date,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_start as base_date,
        bridge_status,
        gmv_base,
        gmv,
        gmv_change,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        traffic_effect,
        conversion_effect,
        aov_effect
    from rpt_period_bridge
    where period = 'day' and source = 'all'

),

final as (

    select
        business_date,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_date,
        bridge_status,
        gmv_base,
        gmv,
        gmv_change,
        visitors_base,
        visitors,
        conversion_base,
        conversion,
        aov_base,
        aov,
        traffic_effect,
        conversion_effect,
        aov_effect
    from day_bridges

)

select * from final
