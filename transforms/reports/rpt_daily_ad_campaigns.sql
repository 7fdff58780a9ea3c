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

final as (

    select
        ad_spend.business_date,
        ad_spend.shop_id as scope_id,
        ad_spend.channel,
        ad_spend.campaign_id,
        ad_spend.campaign,
        ad_spend.currency,
        ad_spend.impressions,
        ad_spend.clicks,
        ad_spend.cost,
        ad_spend.attributed_revenue,
        ad_spend.ctr,
        ad_spend.cpc,
        ad_spend.roas,
        shops.breakeven_roas,
        coalesce(ad_spend.cost > 0 and ad_spend.roas < shops.breakeven_roas, false)
            as is_below_breakeven
    from ad_spend
    inner join shops
        on ad_spend.shop_id = shops.shop_id

)

select * from final
