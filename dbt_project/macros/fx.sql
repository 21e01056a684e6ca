{#- State Bank rates for every calendar day and currency: a day without a
    published rate (weekend, holiday) takes the latest rate on or before it.
    A day before the first rate ever delivered takes that first rate (the
    warehouse starts in 2010, the rates extract may start later). VND is its
    own unit (rate 1). Used as a CTE by the staging models that convert. -#}
{% macro fx_daily_rates() -%}
    select rate_date, currency, vnd_per_unit
    from (
        select
            rate_date,
            currency,
            coalesce(
                first_value(vnd_per_unit) over (partition by currency, rate_group order by rate_date),
                first_rate) as vnd_per_unit
        from (
            select
                day::date as rate_date,
                currencies.currency,
                published.vnd_per_unit,
                currencies.first_rate,
                -- each published rate opens a group; the days after it share its rate
                count(published.vnd_per_unit) over (partition by currencies.currency order by day) as rate_group
            from generate_series(
                    date '2010-01-01',
                    greatest((select max(rate_date) from {{ ref('stg_fx__central_rates') }}), current_date),
                    interval '1 day') as day
            cross join (
                select distinct on (currency) currency, vnd_per_unit as first_rate
                from {{ ref('stg_fx__central_rates') }}
                order by currency, rate_date
            ) as currencies
            left join {{ ref('stg_fx__central_rates') }} as published
              on published.rate_date = day::date and published.currency = currencies.currency
        ) as grid
    ) as filled
    where vnd_per_unit is not null
    union all
    select day::date, 'VND', 1::numeric
    from generate_series(date '2010-01-01', current_date + 366, interval '1 day') as day
{%- endmacro %}

{#- Amount in `currency` on `on_date` to VND / to USD: the daily rates
    (base_fx__central_rates_daily) joined twice, as `rate` (the currency) and
    `usd` (USD). -#}
{% macro fx_joins(currency, on_date) -%}
    left join {{ ref('base_fx__central_rates_daily') }} as rate
      on rate.currency = {{ currency }} and rate.rate_date = {{ on_date }}
    left join {{ ref('base_fx__central_rates_daily') }} as usd
      on usd.currency = 'USD' and usd.rate_date = {{ on_date }}
{%- endmacro %}

{% macro vnd_to_usd(column) -%}
    round({{ column }} / usd.vnd_per_unit, 2)
{%- endmacro %}
