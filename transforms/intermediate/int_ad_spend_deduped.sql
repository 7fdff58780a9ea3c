with

ad_spend as (

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
        currency
    from stg_ad_spend

),

loaded_files as (

    select
        source_file_id,
        coverage_end
    from stg_source_files
    where is_loaded

),

ranked as (

    select
        ad_spend.shop_id,
        ad_spend.business_date,
        ad_spend.channel,
        ad_spend.campaign_id,
        ad_spend.campaign,
        ad_spend.impressions,
        ad_spend.clicks,
        ad_spend.cost,
        ad_spend.attributed_orders,
        ad_spend.attributed_revenue,
        ad_spend.currency,
        row_number() over (
            partition by
                ad_spend.shop_id, ad_spend.business_date, ad_spend.channel, ad_spend.campaign_id
            order by
                loaded_files.coverage_end desc,
                ad_spend.source_file_id desc,
                ad_spend.source_row desc
        ) as copy_rank
    from ad_spend
    inner join loaded_files
        on ad_spend.source_file_id = loaded_files.source_file_id

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
        currency
    from ranked
    where copy_rank = 1

)

select * from final
