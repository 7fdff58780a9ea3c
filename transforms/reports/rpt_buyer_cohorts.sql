with

cohorts as (

    select
        shop_id,
        cohort_month,
        months_since_first,
        activity_month,
        cohort_buyers,
        repurchase_buyers,
        repurchase_rate,
        cumulative_repurchase_buyers,
        cumulative_repurchase_rate,
        is_complete_month
    from fct_buyer_cohorts

),

final as (

    select
        shop_id as scope_id,
        cohort_month,
        months_since_first,
        activity_month,
        cohort_buyers,
        repurchase_buyers,
        repurchase_rate,
        cumulative_repurchase_buyers,
        cumulative_repurchase_rate,
        is_complete_month
    from cohorts

)

select * from final
