with

buyer_weeks as (

    select
        week_start,
        week_label,
        shop_id,
        days_with_data,
        paying_buyers,
        new_buyers,
        returning_buyers,
        returning_buyer_share,
        repeat_buyers_in_week,
        new_buyer_gmv,
        returning_buyer_gmv,
        as_of_date,
        repeat_rate_30d,
        repeat_rate_90d
    from fct_buyer_weekly

),

final as (

    select
        week_start,
        week_label as iso_week,
        shop_id as scope_id,
        days_with_data,
        paying_buyers,
        new_buyers,
        returning_buyers,
        returning_buyer_share,
        repeat_buyers_in_week,
        new_buyer_gmv,
        returning_buyer_gmv,
        as_of_date,
        repeat_rate_30d,
        repeat_rate_90d
    from buyer_weeks

)

select * from final
