with

shops as (

    select
        shop_id,
        shop_name,
        platform,
        currency,
        timezone,
        gross_margin
    from seed_shops

),

final as (

    select
        shop_id,
        shop_name,
        platform,
        currency,
        timezone,
        gross_margin,
        1.0 / gross_margin as breakeven_roas
    from shops

)

select * from final
