with

raw_rows as (

    select
        source_file_id,
        source_row,
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
        attribution_window,
        currency
    from raw_ad_spend

),

final as (

    select
        source_file_id,
        source_row,
        shop_id,
        business_date,
        channel,
        coalesce(campaign_id, campaign) as campaign_id,
        coalesce(campaign, campaign_id) as campaign,
        coalesce(impressions, 0) as impressions,
        coalesce(clicks, 0) as clicks,
        cost,
        attributed_orders,
        coalesce(attributed_revenue, 0)::decimal(18, 2) as attributed_revenue,
        attribution_window,
        currency
    from raw_rows

)

select * from final
