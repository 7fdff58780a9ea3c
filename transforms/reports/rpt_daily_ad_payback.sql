with

ad_spend as (

    select
        shop_id,
        business_date,
        channel,
        campaign_id,
        campaign,
        currency,
        impressions,
        clicks,
        cost,
        attributed_revenue,
        ctr,
        cpc,
        roas
    from fct_ad_spend_daily

),

shops as (

    select
        shop_id,
        breakeven_roas
    from dim_shops

),

refund_cohorts as (

    select
        business_date,
        shop_id,
        cohort_gmv,
        cohort_refund_amount,
        cohort_refund_rate
    from fct_refund_cohorts_daily

),

cohorts_30d as (

    -- the orders paid in the 30 days ending on the day, refunded so far
    select
        business_date,
        shop_id,
        cohort_gmv,
        cohort_refund_amount,
        cohort_refund_rate,
        sum(cohort_refund_amount) over last_30_days
        / nullif(sum(cohort_gmv) over last_30_days, 0) as cohort_refund_rate_30d
    from refund_cohorts
    window last_30_days as (
        partition by shop_id
        order by business_date
        range between interval 29 days preceding and current row
    )

),

campaigns_30d as (

    select
        shop_id,
        business_date,
        channel,
        campaign_id,
        campaign,
        currency,
        impressions,
        clicks,
        cost,
        attributed_revenue,
        ctr,
        cpc,
        roas,
        sum(cost) over last_30_days as cost_30d,
        sum(attributed_revenue) over last_30_days as attributed_revenue_30d
    from ad_spend
    window last_30_days as (
        partition by shop_id, channel, campaign_id
        order by business_date
        range between interval 29 days preceding and current row
    )

),

adjusted as (

    -- a campaign's own refunds are unknown: its revenue is discounted by the cohort refund rate
    -- of the shop's orders paid in the same period (the day; the 30 days ending on it)
    select
        campaigns_30d.business_date,
        campaigns_30d.shop_id,
        campaigns_30d.channel,
        campaigns_30d.campaign_id,
        campaigns_30d.campaign,
        campaigns_30d.currency,
        campaigns_30d.impressions,
        campaigns_30d.clicks,
        campaigns_30d.cost,
        campaigns_30d.attributed_revenue,
        campaigns_30d.ctr,
        campaigns_30d.cpc,
        campaigns_30d.roas,
        shops.breakeven_roas,
        cohorts_30d.cohort_gmv,
        cohorts_30d.cohort_refund_amount,
        cohorts_30d.cohort_refund_rate,
        campaigns_30d.attributed_revenue * (1 - cohorts_30d.cohort_refund_rate)
            as refund_adjusted_revenue,
        campaigns_30d.cost_30d,
        campaigns_30d.attributed_revenue_30d,
        cohorts_30d.cohort_refund_rate_30d,
        campaigns_30d.attributed_revenue_30d * (1 - cohorts_30d.cohort_refund_rate_30d)
            as refund_adjusted_revenue_30d
    from campaigns_30d
    inner join shops
        on campaigns_30d.shop_id = shops.shop_id
    left join cohorts_30d
        on
            campaigns_30d.shop_id = cohorts_30d.shop_id
            and campaigns_30d.business_date = cohorts_30d.business_date

),

final as (

    select
        business_date,
        shop_id as scope_id,
        channel,
        campaign_id,
        campaign,
        currency,
        impressions,
        clicks,
        cost,
        attributed_revenue,
        ctr,
        cpc,
        roas,
        breakeven_roas,
        cohort_gmv,
        cohort_refund_amount,
        cohort_refund_rate,
        refund_adjusted_revenue,
        refund_adjusted_revenue / nullif(cost, 0) as refund_adjusted_roas,
        coalesce(cost > 0 and roas < breakeven_roas, false) as is_below_breakeven,
        coalesce(
            cost > 0 and refund_adjusted_revenue / nullif(cost, 0) < breakeven_roas, false
        ) as is_below_breakeven_after_refunds,
        cost_30d,
        attributed_revenue_30d,
        attributed_revenue_30d / nullif(cost_30d, 0) as roas_30d,
        cohort_refund_rate_30d,
        refund_adjusted_revenue_30d / nullif(cost_30d, 0) as refund_adjusted_roas_30d,
        coalesce(
            cost_30d > 0 and refund_adjusted_revenue_30d / nullif(cost_30d, 0) < breakeven_roas,
            false
        ) as is_below_breakeven_after_refunds_30d
    from adjusted

)

select * from final
