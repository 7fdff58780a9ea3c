with

week_bridges as (

    select
        period_start as week_start,
        period_label as iso_week,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_start as base_week_start,
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
    where period = 'week' and source = 'all'

),

final as (

    select
        week_start,
        iso_week,
        scope_id,
        currency,
        comparison,
        comparison_order,
        base_week_start,
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
    from week_bridges

)

select * from final
