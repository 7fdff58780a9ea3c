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
        attributed_revenue / nullif(cost, 0) as roas
    from ad_spend

)

select * from final
