-- One row per enterprise and customs trade partner (by normalised name) over
-- every fiscal year of int_customs_partner_years: the name and country as
-- written (the least), first and last registration dates, lines, customs
-- value and the ten least first records, and the partner's enterprise when
-- its name is exactly one enterprise's. The trade-partner edges of
-- marts.enterprise_relationships, which adds them to the rest as they are.
--
-- Why a model of its own: four edges in five of the network are trade
-- partners, and combining their years needs customs and the enterprises
-- only. Here they are combined while the build still links the other
-- datasets' records (enterprise_links, then int_relationship_years), which
-- the network waits for; inside the network they lengthened the build's
-- longest path by their time (docs/build-performance.md, "The build's
-- longest chain").
--
-- Rebuilt whole when its inputs' fingerprint (macros/network.sql,
-- trade_partner_inputs) changed, kept otherwise: a month changes a year of
-- every trading enterprise, so it rebuilds them all, and a build with
-- nothing new writes nothing.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_all_if_inputs_changed(trade_partner_inputs()) }}",
) }}

with

inputs as materialized (
    {{ trade_partner_inputs() }}
),

-- the years' sums, least and greatest, and the ten least of their ten least records
trade_partners as (
    select
        c.enterprise_id, c.party,
        min(c.partner_name) as party_name,
        min(c.partner_country) as country,
        min(c.first_registered_on) as first_seen,
        max(c.last_registered_on) as last_seen,
        sum(c.lines) filter (where k.ord = 1) as records,  -- once per year, not once per record key
        sum(c.customs_value_vnd) filter (where k.ord = 1) as amount_vnd,
        (array_agg(k.source_key order by k.source_key))[1:10] as source_keys
    from {{ ref('int_customs_partner_years') }} as c
    cross join lateral unnest(c.first_records) with ordinality as k (source_key, ord)
    where c.enterprise_id in (select enterprise_id from {{ ref('dim_enterprise') }})
    group by c.enterprise_id, c.party
),

-- each partner's enterprise, if any, decided once per distinct partner (a few
-- thousand), so the partners join it by hash
partner_enterprises as materialized (
    select p.party, n.enterprise_id
    from (select distinct party from {{ ref('int_customs_partner_years') }}) as p
    left join {{ ref('int_enterprise_party_names') }} as n on n.party = p.party
)

select
    c.enterprise_id::text as enterprise_id,
    p.enterprise_id::text as related_enterprise_id,
    c.party::text as related_party,
    c.party_name::text as party_name,
    c.country::text as country,
    c.first_seen::date as first_seen,
    c.last_seen::date as last_seen,
    c.records::bigint as records,
    c.amount_vnd::numeric as amount_vnd,
    c.source_keys::text[] as source_keys,
    i.inputs_fingerprint::text as inputs_fingerprint
from trade_partners as c
join partner_enterprises as p on p.party = c.party
cross join inputs as i
-- nothing to read when the table is kept (a one-time test, before any row)
{{ unless_built() }}
