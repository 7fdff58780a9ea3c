with

buyer_daily as (

    select
        business_date,
        shop_id,
        paying_buyers,
        new_buyers,
        returning_buyers,
        buyers_30d,
        repeat_buyers_30d,
        buyers_90d,
        repeat_buyers_90d
    from fct_buyer_daily

),

scopes as (

    -- a buyer is new or returning to a shop; all shops together add the shops up
    select
        business_date,
        shop_id as scope_id,
        paying_buyers,
        new_buyers,
        returning_buyers,
        buyers_30d,
        repeat_buyers_30d,
        buyers_90d,
        repeat_buyers_90d
    from buyer_daily
    union all
    select
        business_date,
        'all' as scope_id,
        sum(paying_buyers) as paying_buyers,
        sum(new_buyers) as new_buyers,
        sum(returning_buyers) as returning_buyers,
        sum(buyers_30d) as buyers_30d,
        sum(repeat_buyers_30d) as repeat_buyers_30d,
        sum(buyers_90d) as buyers_90d,
        sum(repeat_buyers_90d) as repeat_buyers_90d
    from buyer_daily
    group by business_date

),

final as (

    select
        business_date,
        scope_id,
        paying_buyers::bigint as paying_buyers,
        new_buyers::bigint as new_buyers,
        returning_buyers::bigint as returning_buyers,
        returning_buyers / nullif(paying_buyers, 0) as returning_buyer_share,
        repeat_buyers_30d / nullif(buyers_30d, 0) as repeat_rate_30d,
        repeat_buyers_90d / nullif(buyers_90d, 0) as repeat_rate_90d
    from scopes

)

select * from final
