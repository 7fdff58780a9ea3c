with

buyer_orders as (

    select
        shop_id,
        paid_date,
        gmv,
        first_paid_date,
        previous_paid_date,
        second_previous_paid_date
    from fct_buyer_orders

),

shop_days as (

    select
        business_date,
        shop_id,
        currency
    from fct_shop_daily

),

windows (window_days) as (

    -- the repeat rates look back 30 and 90 days, the day itself included
    values (30), (90)

),

new_and_returning as (

    -- a buyer's orders come in payment order, so each buyer counts once a day: on the order
    -- whose previous order is on another day (or that has none); new on their first paid day
    select
        shop_id,
        paid_date as business_date,
        count(*) filter (where previous_paid_date is distinct from paid_date) as paying_buyers,
        count(*) filter (where previous_paid_date is null) as new_buyers,
        count(*) filter (where previous_paid_date < paid_date) as returning_buyers,
        coalesce(sum(gmv) filter (where paid_date = first_paid_date), 0) as new_buyer_gmv,
        coalesce(sum(gmv) filter (where paid_date > first_paid_date), 0) as returning_buyer_gmv
    from buyer_orders
    group by shop_id, paid_date

),

spans as (

    -- the days D on which a buyer counts in the window [D - n + 1, D] of n days:
    -- 'active', some order in the window: an order on day d covers D in [d, d + n - 1];
    -- 'repeat', two orders in the window: an order on day d and the buyer's order before it,
    -- on day p, cover D in [d, p + n - 1].
    -- A buyer's spans end in order, so starting each one after the end of the one before keeps
    -- them apart and the buyer is counted at most once a day.
    select
        buyer_orders.shop_id,
        windows.window_days,
        'active' as kind,
        greatest(
            buyer_orders.paid_date,
            coalesce(buyer_orders.previous_paid_date + windows.window_days, buyer_orders.paid_date)
        ) as span_start,
        buyer_orders.paid_date + windows.window_days - 1 as span_end
    from buyer_orders
    cross join windows
    union all
    select
        buyer_orders.shop_id,
        windows.window_days,
        'repeat' as kind,
        greatest(
            buyer_orders.paid_date,
            coalesce(
                buyer_orders.second_previous_paid_date + windows.window_days, buyer_orders.paid_date
            )
        ) as span_start,
        buyer_orders.previous_paid_date + windows.window_days - 1 as span_end
    from buyer_orders
    cross join windows
    where buyer_orders.previous_paid_date is not null

),

span_edges as (

    -- a span adds one buyer from its first day and removes them the day after its last
    select
        shop_id,
        window_days,
        kind,
        span_start as edge_date,
        1 as delta
    from spans
    where span_start <= span_end
    union all
    select
        shop_id,
        window_days,
        kind,
        span_end + 1 as edge_date,
        -1 as delta
    from spans
    where span_start <= span_end

),

edge_totals as (

    select
        shop_id,
        window_days,
        kind,
        edge_date,
        sum(delta) as delta
    from span_edges
    group by shop_id, window_days, kind, edge_date

),

running_counts as (

    select
        shop_id,
        window_days,
        kind,
        edge_date,
        sum(delta) over (
            partition by shop_id, window_days, kind order by edge_date
        )::bigint as buyers
    from edge_totals

),

kinds (kind) as (

    values ('active'), ('repeat')

),

window_grid as (

    select
        shop_days.business_date,
        shop_days.shop_id,
        windows.window_days,
        kinds.kind
    from shop_days
    cross join windows
    cross join kinds

),

window_counts as (

    -- the count on a day is the running count of the latest edge on or before it
    select
        window_grid.business_date,
        window_grid.shop_id,
        window_grid.window_days,
        window_grid.kind,
        coalesce(running_counts.buyers, 0) as buyers
    from window_grid
    asof left join running_counts
        on
            window_grid.shop_id = running_counts.shop_id
            and window_grid.window_days = running_counts.window_days
            and window_grid.kind = running_counts.kind
            and window_grid.business_date >= running_counts.edge_date

),

repeat_windows as (

    select
        business_date,
        shop_id,
        max(buyers) filter (where window_days = 30 and kind = 'active') as buyers_30d,
        max(buyers) filter (where window_days = 30 and kind = 'repeat') as repeat_buyers_30d,
        max(buyers) filter (where window_days = 90 and kind = 'active') as buyers_90d,
        max(buyers) filter (where window_days = 90 and kind = 'repeat') as repeat_buyers_90d
    from window_counts
    group by business_date, shop_id

),

final as (

    select
        shop_days.business_date,
        shop_days.shop_id,
        shop_days.currency,
        coalesce(new_and_returning.paying_buyers, 0) as paying_buyers,
        coalesce(new_and_returning.new_buyers, 0) as new_buyers,
        coalesce(new_and_returning.returning_buyers, 0) as returning_buyers,
        new_and_returning.returning_buyers
        / nullif(new_and_returning.paying_buyers, 0) as returning_buyer_share,
        coalesce(new_and_returning.new_buyer_gmv, 0)::decimal(18, 2) as new_buyer_gmv,
        coalesce(new_and_returning.returning_buyer_gmv, 0)::decimal(18, 2)
            as returning_buyer_gmv,
        repeat_windows.buyers_30d,
        repeat_windows.repeat_buyers_30d,
        repeat_windows.repeat_buyers_30d / nullif(repeat_windows.buyers_30d, 0)
            as repeat_rate_30d,
        repeat_windows.buyers_90d,
        repeat_windows.repeat_buyers_90d,
        repeat_windows.repeat_buyers_90d / nullif(repeat_windows.buyers_90d, 0)
            as repeat_rate_90d
    from shop_days
    left join new_and_returning
        on
            shop_days.shop_id = new_and_returning.shop_id
            and shop_days.business_date = new_and_returning.business_date
    inner join repeat_windows
        on
            shop_days.shop_id = repeat_windows.shop_id
            and shop_days.business_date = repeat_windows.business_date

)

select * from final
