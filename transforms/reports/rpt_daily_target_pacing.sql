with

pacing as (

    select
        business_date,
        shop_id,
        currency,
        month_start,
        days_in_month,
        elapsed_days,
        elapsed_share,
        has_full_month_to_date,
        gmv_mtd,
        gmv_target,
        gmv_target_to_date,
        gmv_attainment,
        gmv_pacing,
        gmv_projected,
        gmv_projected_attainment,
        ad_cost_mtd,
        ad_cost_target,
        ad_cost_target_to_date,
        ad_cost_attainment,
        ad_cost_pacing,
        ad_cost_projected,
        ad_cost_projected_attainment
    from fct_target_pacing_daily

),

final as (

    select
        business_date,
        shop_id as scope_id,
        currency,
        month_start,
        days_in_month,
        elapsed_days,
        elapsed_share,
        has_full_month_to_date,
        gmv_mtd,
        gmv_target,
        gmv_target_to_date,
        gmv_attainment,
        gmv_pacing,
        gmv_projected,
        gmv_projected_attainment,
        ad_cost_mtd,
        ad_cost_target,
        ad_cost_target_to_date,
        ad_cost_attainment,
        ad_cost_pacing,
        ad_cost_projected,
        ad_cost_projected_attainment
    from pacing

)

select * from final
