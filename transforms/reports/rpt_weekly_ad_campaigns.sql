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
        attributed_revenue
    from fct_ad_spend_daily

),

shops as (

    select
        shop_id,
        breakeven_roas
    from dim_shops

),

weekly as (

    select
        date_trunc('week', business_date)::date as week_start,
        shop_id,
        channel,
        campaign_id,
        any_value(campaign order by business_date desc) as campaign,
        any_value(currency) as currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(cost) as cost,
        sum(attributed_revenue) as attributed_revenue
    from ad_spend
    group by date_trunc('week', business_date), shop_id, channel, campaign_id

),

final as (

    select
        weekly.week_start,
        strftime(weekly.week_start, '%G-W%V') as iso_week,
        weekly.shop_id as scope_id,
        weekly.channel,
        weekly.campaign_id,
        weekly.campaign,
        weekly.currency,
        weekly.impressions,
        weekly.clicks,
        weekly.cost,
        weekly.attributed_revenue,
        weekly.clicks / nullif(weekly.impressions, 0) as ctr,
        weekly.cost / nullif(weekly.clicks, 0) as cpc,
        weekly.attributed_revenue / nullif(weekly.cost, 0) as roas,
        shops.breakeven_roas,
        coalesce(
            weekly.cost > 0
            and weekly.attributed_revenue / weekly.cost < shops.breakeven_roas,
            false
        ) as is_below_breakeven
    from weekly
    inner join shops
        on weekly.shop_id = shops.shop_id

)

select * from final
