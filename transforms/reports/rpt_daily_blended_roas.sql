with

scope_daily as (

    select
        business_date,
        scope_id,
        currency,
        gmv,
        ad_cost,
        attributed_revenue
    from fct_scope_daily

),

refund_cohorts as (

    select
        business_date,
        shop_id,
        currency,
        cohort_gmv,
        cohort_refund_amount
    from fct_refund_cohorts_daily

),

shops as (

    select
        shop_id,
        gross_margin
    from dim_shops

),

fx_rates as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from stg_fx_rates

),

reporting as (

    select reporting_currency
    from seed_reporting

),

converted as (

    -- as in fct_scope_daily: the latest rate on or before the day; the reporting currency at 1
    select
        refund_cohorts.business_date,
        refund_cohorts.shop_id,
        refund_cohorts.cohort_gmv,
        refund_cohorts.cohort_refund_amount,
        shops.gross_margin,
        case
            when refund_cohorts.currency = reporting.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as rate
    from refund_cohorts
    cross join reporting
    inner join shops
        on refund_cohorts.shop_id = shops.shop_id
    asof left join fx_rates
        on
            refund_cohorts.currency = fx_rates.currency
            and refund_cohorts.business_date >= fx_rates.rate_date

),

scope_cohorts as (

    -- per shop in its currency, and all shops together in the reporting currency; the
    -- breakeven of all shops is 1 ÷ their GMV-weighted gross margin
    select
        business_date,
        shop_id as scope_id,
        cohort_gmv::double as cohort_gmv,
        cohort_refund_amount::double as cohort_refund_amount,
        1.0 / gross_margin as breakeven_roas
    from converted
    union all
    select
        business_date,
        'all' as scope_id,
        sum(cohort_gmv * rate)::double as cohort_gmv,
        sum(cohort_refund_amount * rate)::double as cohort_refund_amount,
        sum(cohort_gmv * rate) / nullif(sum(cohort_gmv * rate * gross_margin), 0)
            as breakeven_roas
    from converted
    group by business_date

),

joined as (

    select
        scope_daily.business_date,
        scope_daily.scope_id,
        scope_daily.currency,
        scope_daily.gmv,
        scope_daily.ad_cost,
        scope_daily.attributed_revenue,
        scope_cohorts.breakeven_roas,
        scope_cohorts.cohort_gmv,
        scope_cohorts.cohort_refund_amount
    from scope_daily
    left join scope_cohorts
        on
            scope_daily.scope_id = scope_cohorts.scope_id
            and scope_daily.business_date = scope_cohorts.business_date

),

windowed as (

    select
        business_date,
        scope_id,
        currency,
        gmv,
        ad_cost,
        attributed_revenue,
        breakeven_roas,
        cohort_gmv,
        cohort_refund_amount,
        sum(ad_cost) over last_30_days as ad_cost_30d,
        sum(cohort_gmv) over last_30_days as cohort_gmv_30d,
        sum(cohort_refund_amount) over last_30_days as cohort_refund_amount_30d
    from joined
    window last_30_days as (
        partition by scope_id
        order by business_date
        range between interval 29 days preceding and current row
    )

),

final as (

    select
        business_date,
        scope_id,
        currency,
        gmv,
        ad_cost,
        attributed_revenue,
        gmv / nullif(ad_cost, 0) as blended_roas,
        attributed_revenue / nullif(ad_cost, 0) as roas,
        breakeven_roas,
        cohort_refund_amount / nullif(cohort_gmv, 0) as cohort_refund_rate,
        (cohort_gmv - cohort_refund_amount) / nullif(ad_cost, 0) as refund_adjusted_blended_roas,
        coalesce(ad_cost > 0 and gmv / ad_cost < breakeven_roas, false) as is_below_breakeven,
        ad_cost_30d,
        cohort_gmv_30d / nullif(ad_cost_30d, 0) as blended_roas_30d,
        cohort_refund_amount_30d / nullif(cohort_gmv_30d, 0) as cohort_refund_rate_30d,
        (cohort_gmv_30d - cohort_refund_amount_30d) / nullif(ad_cost_30d, 0)
            as refund_adjusted_blended_roas_30d
    from windowed

)

select * from final
