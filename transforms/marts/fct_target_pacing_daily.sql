with

shop_daily as (

    select
        business_date,
        shop_id,
        currency,
        gmv,
        ad_cost
    from fct_shop_daily

),

targets as (

    select
        shop_id,
        month_start,
        days_in_month,
        gmv_target,
        ad_cost_target
    from stg_targets

),

month_to_date as (

    select
        business_date,
        shop_id,
        currency,
        date_trunc('month', business_date)::date as month_start,
        dayofmonth(business_date) as elapsed_days,
        gmv,
        ad_cost,
        count(*) over month_so_far as days_with_data,
        sum(gmv) over month_so_far as gmv_mtd,
        sum(ad_cost) over month_so_far as ad_cost_mtd
    from shop_daily
    window month_so_far as (
        partition by shop_id, date_trunc('month', business_date)
        order by business_date
        rows between unbounded preceding and current row
    )

),

paced as (

    -- the day counts as elapsed: the report is about a finished day
    select
        month_to_date.business_date,
        month_to_date.shop_id,
        month_to_date.currency,
        month_to_date.month_start,
        targets.days_in_month,
        month_to_date.elapsed_days,
        month_to_date.days_with_data,
        month_to_date.elapsed_days / targets.days_in_month as elapsed_share,
        month_to_date.gmv,
        month_to_date.gmv_mtd,
        targets.gmv_target,
        month_to_date.ad_cost,
        month_to_date.ad_cost_mtd,
        targets.ad_cost_target
    from month_to_date
    inner join targets
        on
            month_to_date.shop_id = targets.shop_id
            and month_to_date.month_start = targets.month_start

),

final as (

    select
        business_date,
        shop_id,
        currency,
        month_start,
        days_in_month,
        elapsed_days,
        elapsed_share,
        days_with_data = elapsed_days as has_full_month_to_date,
        gmv,
        gmv_mtd::decimal(18, 2) as gmv_mtd,
        gmv_target,
        gmv_target / days_in_month as gmv_target_daily,
        gmv_target * elapsed_share as gmv_target_to_date,
        gmv_mtd / nullif(gmv_target, 0) as gmv_attainment,
        gmv_mtd / nullif(gmv_target * elapsed_share, 0) as gmv_pacing,
        gmv_mtd / elapsed_share as gmv_projected,
        gmv_mtd / elapsed_share / nullif(gmv_target, 0) as gmv_projected_attainment,
        ad_cost,
        ad_cost_mtd::decimal(18, 2) as ad_cost_mtd,
        ad_cost_target,
        ad_cost_target / days_in_month as ad_cost_target_daily,
        ad_cost_target * elapsed_share as ad_cost_target_to_date,
        ad_cost_mtd / nullif(ad_cost_target, 0) as ad_cost_attainment,
        ad_cost_mtd / nullif(ad_cost_target * elapsed_share, 0) as ad_cost_pacing,
        ad_cost_mtd / elapsed_share as ad_cost_projected,
        ad_cost_mtd / elapsed_share / nullif(ad_cost_target, 0) as ad_cost_projected_attainment
    from paced

)

select * from final
