with

product_daily as (

    select
        business_date,
        shop_id,
        product_key,
        product_name,
        currency,
        gmv,
        quantity,
        paying_buyers,
        visitors,
        conversion
    from fct_product_daily
    where gmv > 0 or visitors > 0

),

rules as (

    select min_visitors
    from seed_thresholds

),

final as (

    select
        product_daily.business_date,
        product_daily.shop_id as scope_id,
        product_daily.product_key,
        product_daily.product_name,
        product_daily.currency,
        product_daily.gmv,
        product_daily.quantity,
        product_daily.paying_buyers,
        product_daily.visitors,
        product_daily.conversion,
        case
            when product_daily.gmv > 0
                then row_number() over (
                    partition by product_daily.business_date, product_daily.shop_id
                    order by product_daily.gmv desc, product_daily.product_key asc
                )
        end as gmv_rank,
        case
            when product_daily.visitors > 0
                then row_number() over (
                    partition by product_daily.business_date, product_daily.shop_id
                    order by product_daily.visitors desc nulls last, product_daily.product_key asc
                )
        end as visitors_rank,
        case
            when product_daily.visitors >= rules.min_visitors
                then row_number() over (
                    partition by
                        product_daily.business_date,
                        product_daily.shop_id,
                        product_daily.visitors >= rules.min_visitors
                    order by product_daily.conversion desc, product_daily.product_key asc
                )
        end as conversion_rank
    from product_daily
    cross join rules

)

select * from final
