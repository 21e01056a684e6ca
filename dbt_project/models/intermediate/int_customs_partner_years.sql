-- One row per fiscal year, declarant enterprise and foreign partner by
-- normalised name (macros/network.sql, normalise_party) of the customs
-- partner months: the name and country as written (the least of the
-- year's), the first and last registration dates, the lines, their customs
-- value and the ten least of the months' first records. What
-- marts.enterprise_relationships rolls up into its trade partners.
--
-- Why: customs partners are four edges in five of the enterprise network,
-- and rolling every month of them up again was the largest part of the
-- month's build (docs/linked-warehouse.md, "Incremental builds"). Every
-- figure here is a sum, a least, a greatest or the ten least keys, so the
-- years combine into exactly the whole history's figures.
--
-- Incremental by fiscal year, as int_customs_price_deviations: the pre-hook
-- deletes the years whose months' customs fingerprints (macros/customs.sql)
-- changed or are gone, the build appends the years missing; a new month
-- rebuilds its own year only, and the table equals a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_periods_whose_inputs_changed(customs_year_inputs(rule_codes=[]), 'fiscal_year') }}",
) }}

with

-- materialized: decided first, so a build with no year to build reads no partner month
years_to_build as materialized (
    {{ periods_to_build(customs_year_inputs(rule_codes=[]), 'fiscal_year') }}
),

months as (
    {{ customs_months_of('years_to_build') }}
),

-- a partner's month with its flows and related-party marks together; its
-- first record is the month's, as the network has always shown it. The
-- year's fingerprint joins the rows at the end rather than riding through
-- both groupings (32 characters more in every sort key)
partner_months as (
    select m.fiscal_year, c.enterprise_id, c.partner_name, c.partner_country,
           min(c.first_registered_on) as first_registered_on, max(c.last_registered_on) as last_registered_on,
           sum(c.lines) as lines, sum(c.customs_value_vnd) as customs_value_vnd,
           min(c.first_record) as first_record
    -- through the partner months' index on delivery_id: a year reads only its own months
    from months as m
    join {{ ref('int_customs_partner_months') }} as c on c.delivery_id = m.delivery_id
    where c.enterprise_id is not null
    group by m.fiscal_year, c.enterprise_id, c.partner_name, c.partner_country, c.period
),

-- materialised: each distinct name is normalised once, not once per month that shows it
parties as materialized (
    select partner_name, {{ normalise_party('partner_name') }} as party
    from (select distinct partner_name from partner_months) as d
),

partner_years as (
    select
        m.fiscal_year,
        m.enterprise_id,
        p.party,
        min(m.partner_name) as partner_name,
        min(m.partner_country) as partner_country,
        min(m.first_registered_on) as first_registered_on,
        max(m.last_registered_on) as last_registered_on,
        sum(m.lines) as lines,
        sum(m.customs_value_vnd) as customs_value_vnd,
        (array_agg(m.first_record order by m.first_record))[1:10] as first_records
    from partner_months as m
    join parties as p on p.partner_name = m.partner_name
    where p.party is not null
    group by m.fiscal_year, m.enterprise_id, p.party
)

select
    y.fiscal_year::text as fiscal_year,
    y.enterprise_id::text as enterprise_id,
    y.party::text as party,
    y.partner_name::text as partner_name,
    y.partner_country::text as partner_country,
    y.first_registered_on::date as first_registered_on,
    y.last_registered_on::date as last_registered_on,
    y.lines::bigint as lines,
    y.customs_value_vnd::numeric(24, 0) as customs_value_vnd,
    y.first_records::text[] as first_records,
    b.inputs_fingerprint::text as inputs_fingerprint
from partner_years as y
join years_to_build as b on b.fiscal_year = y.fiscal_year
