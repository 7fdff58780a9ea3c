with

buyer_orders as (

    select
        shop_id,
        buyer_key,
        paid_date,
        first_paid_date
    from fct_buyer_orders

),

buyer_daily as (

    select
        business_date,
        shop_id,
        currency,
        new_buyer_gmv,
        returning_buyer_gmv,
        buyers_30d,
        repeat_buyers_30d,
        repeat_rate_30d,
        buyers_90d,
        repeat_buyers_90d,
        repeat_rate_90d
    from fct_buyer_daily

),

shop_weeks as (

    -- ISO weeks, Monday to Sunday; money adds up over the days
    select
        shop_id,
        date_trunc('week', business_date)::date as week_start,
        any_value(currency) as currency,
        count(*) as days_with_data,
        max(business_date) as as_of_date,
        sum(new_buyer_gmv)::decimal(18, 2) as new_buyer_gmv,
        sum(returning_buyer_gmv)::decimal(18, 2) as returning_buyer_gmv
    from buyer_daily
    group by shop_id, date_trunc('week', business_date)

),

buyer_weeks as (

    -- each buyer once per week they paid in
    select
        shop_id,
        date_trunc('week', paid_date)::date as week_start,
        buyer_key,
        min(first_paid_date) as first_paid_date,
        count(*) as paid_orders
    from buyer_orders
    group by shop_id, date_trunc('week', paid_date), buyer_key

),

week_buyers as (

    select
        shop_id,
        week_start,
        count(*) as paying_buyers,
        count(*) filter (where first_paid_date >= week_start) as new_buyers,
        count(*) filter (where first_paid_date < week_start) as returning_buyers,
        count(*) filter (where paid_orders >= 2) as repeat_buyers_in_week
    from buyer_weeks
    group by shop_id, week_start

),

final as (

    select
        shop_weeks.week_start,
        strftime(shop_weeks.week_start, '%G-W%V') as week_label,
        shop_weeks.shop_id,
        shop_weeks.currency,
        shop_weeks.days_with_data,
        shop_weeks.days_with_data = 7 as is_complete_week,
        coalesce(week_buyers.paying_buyers, 0) as paying_buyers,
        coalesce(week_buyers.new_buyers, 0) as new_buyers,
        coalesce(week_buyers.returning_buyers, 0) as returning_buyers,
        week_buyers.returning_buyers / nullif(week_buyers.paying_buyers, 0)
            as returning_buyer_share,
        coalesce(week_buyers.repeat_buyers_in_week, 0) as repeat_buyers_in_week,
        shop_weeks.new_buyer_gmv,
        shop_weeks.returning_buyer_gmv,
        shop_weeks.as_of_date,
        buyer_daily.buyers_30d,
        buyer_daily.repeat_buyers_30d,
        buyer_daily.repeat_rate_30d,
        buyer_daily.buyers_90d,
        buyer_daily.repeat_buyers_90d,
        buyer_daily.repeat_rate_90d
    from shop_weeks
    left join week_buyers
        on
            shop_weeks.shop_id = week_buyers.shop_id
            and shop_weeks.week_start = week_buyers.week_start
    inner join buyer_daily
        on
            shop_weeks.shop_id = buyer_daily.shop_id
            and shop_weeks.as_of_date = buyer_daily.business_date

)

select * from final
