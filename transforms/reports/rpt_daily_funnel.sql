with

scope_daily as (

    select
        business_date,
        scope_id,
        visitors::bigint as visitors,
        add_to_cart_users::bigint as add_to_cart_users,
        order_buyers::bigint as order_buyers,
        paying_buyers::bigint as paying_buyers
    from fct_scope_daily

),

steps as (

    select
        business_date,
        scope_id,
        step,
        users
    from scope_daily
    unpivot include nulls (
        users for step in (visitors, add_to_cart_users, order_buyers, paying_buyers)
    )

),

step_catalogue (step, step_order) as (

    values
    ('visitors', 1),
    ('add_to_cart_users', 2),
    ('order_buyers', 3),
    ('paying_buyers', 4)

),

ordered as (

    select
        steps.business_date,
        steps.scope_id,
        steps.step,
        step_catalogue.step_order,
        steps.users
    from steps
    inner join step_catalogue
        on steps.step = step_catalogue.step

),

final as (

    select
        business_date,
        scope_id,
        step_order,
        step,
        users,
        users / nullif(lag(users) over funnel, 0) as rate_from_previous,
        users / nullif(first_value(users) over funnel, 0) as rate_from_top
    from ordered
    window funnel as (partition by business_date, scope_id order by step_order)

)

select * from final
