with

rates as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from seed_fx_rates

),

reporting as (

    select reporting_currency
    from seed_reporting

),

final as (

    select
        rates.rate_date,
        rates.currency,
        rates.rate_to_reporting,
        reporting.reporting_currency
    from rates
    cross join reporting

)

select * from final
