with

shops as (

    select
        shop_id,
        shop_name,
        platform,
        currency,
        timezone,
        gross_margin,
        breakeven_roas
    from stg_shops

),

final as (

    select
        shop_id,
        shop_name,
        platform,
        currency,
        timezone,
        gross_margin,
        breakeven_roas
    from shops

)

select * from final
