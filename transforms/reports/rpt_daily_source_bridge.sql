with

source_bridges as (

    select
        period_start as business_date,
        scope_id,
        source,
        currency,
        comparison,
        comparison_order,
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
    where period = 'day' and source <> 'all'

),

final as (

    select
        business_date,
        scope_id,
        source,
        currency,
        comparison,
        comparison_order,
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
    from source_bridges

)

select * from final
