with

ad_spend as (

    select
        shop_id,
        business_date,
        channel,
        campaign_id,
        campaign,
        impressions,
        clicks,
        cost,
        attributed_orders,
        attributed_revenue,
        currency
    from int_ad_spend_deduped

),

breakdowns (channel, total_channel) as (

    -- channels that break down another channel's money (the 直通车/万相台 product report splits
    -- the plan report's spend by product): they count in shop totals only when the shop has no
    -- rows of the total channel that day, so a shop loading both reports is not counted twice
    values
    ('alimama_product', 'alimama')

),

shop_day_channels as (

    select distinct
        shop_id,
        business_date,
        channel
    from ad_spend

),

final as (

    select
        shop_id,
        business_date,
        channel,
        campaign_id,
        campaign,
        impressions,
        clicks,
        cost,
        attributed_orders,
        attributed_revenue,
        currency,
        clicks / nullif(impressions, 0) as ctr,
        cost / nullif(clicks, 0) as cpc,
        attributed_revenue / nullif(cost, 0) as roas,
        not exists (
            select 1
            from breakdowns
            inner join shop_day_channels
                on
                    breakdowns.total_channel = shop_day_channels.channel
                    and ad_spend.shop_id = shop_day_channels.shop_id
                    and ad_spend.business_date = shop_day_channels.business_date
            where breakdowns.channel = ad_spend.channel
        ) as counts_in_shop_total
    from ad_spend

)

select * from final
