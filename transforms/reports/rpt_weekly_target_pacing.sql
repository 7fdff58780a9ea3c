with

pacing as (

    select
        business_date,
        shop_id,
        currency,
        month_start,
        elapsed_share,
        has_full_month_to_date,
        gmv,
        gmv_target_daily,
        gmv_mtd,
        gmv_target,
        gmv_attainment,
        gmv_pacing,
        gmv_projected,
        gmv_projected_attainment
    from fct_target_pacing_daily

),

weeks as (

    select
        date_trunc('week', business_date)::date as week_start,
        shop_id,
        any_value(currency) as currency,
        count(*) as days_with_data,
        max(business_date) as last_date,
        sum(gmv) as week_gmv,
        sum(gmv_target_daily) as week_gmv_target
    from pacing
    group by date_trunc('week', business_date), shop_id

),

final as (

    select
        weeks.week_start,
        strftime(weeks.week_start, '%G-W%V') as iso_week,
        weeks.shop_id as scope_id,
        weeks.currency,
        weeks.days_with_data,
        weeks.week_gmv,
        weeks.week_gmv_target,
        weeks.week_gmv / nullif(weeks.week_gmv_target, 0) as week_gmv_attainment,
        sunday.month_start,
        sunday.elapsed_share,
        sunday.has_full_month_to_date,
        sunday.gmv_mtd,
        sunday.gmv_target,
        sunday.gmv_attainment,
        sunday.gmv_pacing,
        sunday.gmv_projected,
        sunday.gmv_projected_attainment
    from weeks
    left join pacing as sunday
        on
            weeks.shop_id = sunday.shop_id
            and sunday.business_date = weeks.week_start + 6

)

select * from final
