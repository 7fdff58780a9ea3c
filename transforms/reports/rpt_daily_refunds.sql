with

scope_daily as (

    select
        business_date,
        scope_id,
        currency,
        refund_amount,
        refund_events,
        gmv
    from fct_scope_daily

),

final as (

    select
        business_date,
        scope_id,
        currency,
        refund_amount,
        refund_events as refund_lines,
        gmv,
        refund_amount / nullif(gmv, 0) as refund_rate
    from scope_daily

)

select * from final
