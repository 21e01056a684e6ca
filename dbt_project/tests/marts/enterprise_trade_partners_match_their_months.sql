-- The trade partners of the enterprise network, rolled up a year at a time
-- (intermediate.int_customs_partner_years), equal the same partners rolled
-- up over every month at once from intermediate.int_customs_partner_months,
-- as the network did before it had the years: lines, customs value, first
-- and last dates, the name and country as written and the ten least records.
-- Returns the partners that differ. Reads the whole customs history, so it
-- runs in the full pass (CI and the nightly run), not in a month's build.
-- meta.dagster.ref: the Dagster asset check of enterprise_relationships.
{{ config(tags=['full_pass_only'], meta={'dagster': {'ref': {'name': 'enterprise_relationships'}}}) }}

with

months as (
    select enterprise_id, partner_name, partner_country, period,
           min(first_registered_on) as first_seen, max(last_registered_on) as last_seen,
           sum(lines) as lines, sum(customs_value_vnd) as customs_value_vnd,
           min(first_record) as first_record
    from {{ ref('int_customs_partner_months') }}
    where enterprise_id is not null
    group by 1, 2, 3, 4
),

parties as materialized (
    select partner_name, {{ normalise_party('partner_name') }} as party
    from (select distinct partner_name from months) as d
),

named as (
    select m.*, p.party
    from months as m
    join parties as p on p.partner_name = m.partner_name
    where m.enterprise_id in (select enterprise_id from {{ ref('dim_enterprise') }})
),

expected as (
    select
        enterprise_id, party as related_party,
        min(partner_name) as related_party_name, min(partner_country) as related_party_country,
        min(first_seen) as first_seen, max(last_seen) as last_seen,
        sum(lines)::bigint as records, round(sum(customs_value_vnd))::numeric(22, 0) as amount_vnd,
        to_jsonb((array_agg(first_record order by first_record))[1:10]) as source_keys
    from named
    where party is not null
    group by 1, 2
),

built as (
    select enterprise_id, related_party, related_party_name, related_party_country, first_seen, last_seen,
           records, amount_vnd, evidence -> 'source_keys' as source_keys
    from {{ ref('enterprise_relationships') }}
    where relationship = 'trade_partner' and agency = 'customs'
)

(select 'missing from the network' as problem, * from expected except all select 'missing from the network', * from built)
union all
(select 'not in the months', * from built except all select 'not in the months', * from expected)
