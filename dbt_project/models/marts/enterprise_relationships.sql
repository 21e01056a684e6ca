-- One row per relationship seen: an enterprise, the other side (another
-- enterprise of the warehouse, an outside party by normalised name, or a
-- pseudonymised foreign manager), the kind of relationship and the agency
-- dataset that shows it, with when it was first and last seen and the
-- records behind it. Method and name normalisation: models/marts/_marts__network.md.
--
-- Built only from fields the agreement delivers (sources/contracts/*.yaml):
-- the register's organisation investors and ultimate parents; the tax
-- related-party disclosures; customs partners; credit lenders and fx
-- counterparties; labour work permits of foreign managers; land parcels and
-- written addresses; fx account numbers. Individual investors are left out
-- (their names are personal data with no pseudonymised key in the register).
--
-- The records come rolled up a year at a time (int_relationship_years,
-- rebuilding only the years whose inputs changed), the trade partners with
-- their years already combined (int_trade_partners_combined, from
-- int_customs_partner_years); this combines the other years and adds what
-- joins enterprises to each other (shared premises and accounts, sister
-- companies).
with

enterprises as (
    select enterprise_id, tax_code, is_fdi from {{ ref('dim_enterprise') }}
),

-- the network's edges from parties, foreign managers and premises, rolled up a year at a time
-- already (int_relationship_years): the years' least, greatest, sums and the ten least distinct
-- of their ten least record keys (a credit lender's amount: the greatest balance; a loan seen in
-- two years is one key)
years as (
    select
        y.enterprise_id, y.related_party, y.relationship, y.agency, y.dataset,
        min(y.party_name) as party_name,
        min(y.country) as country,
        min(y.first_seen) as first_seen,
        max(y.last_seen) as last_seen,
        sum(y.records) filter (where k.ord = 1) as records,  -- once per year, not once per record key
        case when y.relationship = 'lender' and y.agency = 'credit' then max(y.amount_vnd)
             else sum(y.amount_vnd) filter (where k.ord = 1) end as amount_vnd,
        (array_agg(distinct k.source_key order by k.source_key))[1:10] as source_keys
    from {{ ref('int_relationship_years') }} as y
    cross join lateral unnest(y.source_keys) with ordinality as k (source_key, ord)
    group by 1, 2, 3, 4, 5
),

named as (
    select y.*, n.enterprise_id as related_enterprise_id
    from years as y
    left join {{ ref('int_enterprise_party_names') }} as n on n.party = y.related_party
    where y.relationship <> 'premises'
),

-- a place the enterprise uses, from the first to the end of the last month it was seen there
place_use as (
    select enterprise_id, agency, dataset, related_party as place, first_seen as seen_from,
           (last_seen + interval '1 month - 1 day')::date as seen_to, records, source_keys[1] as source_key
    from years
    where relationship = 'premises'
),

accounts as (
    select enterprise_id, 'account:' || bank_code || '|' || account_no as place,
           min(value_date) as seen_from, max(value_date) as seen_to, count(*) as records, min(txn_id) as source_key
    from {{ ref('fct_capital_flows') }}
    where enterprise_id is not null
    group by 1, 2
),

shared as (
    select a.enterprise_id, b.enterprise_id as related_enterprise_id, null::text as related_party,
           null::text as party_name, null::text as country, 'shared_address' as relationship,
           a.agency, a.dataset, greatest(a.seen_from, b.seen_from) as seen_from,
           least(a.seen_to, b.seen_to) as seen_to, a.records, null::numeric as amount_vnd,
           a.place || ' ' || a.source_key as source_key
    from place_use as a
    join place_use as b on b.place = a.place and b.enterprise_id <> a.enterprise_id
    union all
    select a.enterprise_id, b.enterprise_id, null, null, null, 'shared_bank_account', 'fx', 'capital_flows',
           greatest(a.seen_from, b.seen_from), least(a.seen_to, b.seen_to), a.records, null,
           a.place || ' ' || a.source_key
    from accounts as a
    join accounts as b on b.place = a.place and b.enterprise_id <> a.enterprise_id
),

-- sister companies: enterprises whose register names the same group (int_enterprise_group_keys)
sisters as (
    select a.enterprise_id, b.enterprise_id as related_enterprise_id, a.group_key as related_party,
           a.group_name as party_name, null::text as country, 'same_group' as relationship,
           'registry' as agency, 'investors' as dataset, null::date as seen_from, null::date as seen_to,
           1 as records, null::numeric as amount_vnd, a.group_id as source_key
    from {{ ref('int_enterprise_group_keys') }} as a
    join {{ ref('int_enterprise_group_keys') }} as b on b.group_id = a.group_id and b.enterprise_id <> a.enterprise_id
),

all_edges as (
    select * from shared
    union all select * from sisters
),

-- a group's relationship is as old as the register entries that make it
sister_dates as (
    select enterprise_id, min(first_seen) as seen_from, max(last_seen) as seen_to
    from named where agency = 'registry'
    group by 1
),

rolled as (
    select
        e.enterprise_id, e.related_enterprise_id, e.related_party, e.relationship, e.agency, e.dataset,
        {{ edge_rollup('e') }}
    from all_edges as e
    where e.enterprise_id in (select enterprise_id from enterprises)
    group by 1, 2, 3, 4, 5, 6
    union all
    select n.enterprise_id, n.related_enterprise_id, n.related_party, n.relationship, n.agency, n.dataset,
           n.party_name, n.country, n.first_seen, n.last_seen, n.records, n.amount_vnd, n.source_keys
    from named as n
    where n.enterprise_id in (select enterprise_id from enterprises)
    union all
    select t.enterprise_id, t.related_enterprise_id, t.related_party, 'trade_partner', 'customs', 'declarations',
           t.party_name, t.country, t.first_seen, t.last_seen, t.records, t.amount_vnd, t.source_keys
    from {{ ref('int_trade_partners_combined') }} as t
)

select
    left(md5(concat_ws('|', r.enterprise_id, r.relationship, coalesce(r.related_enterprise_id, ''),
                       coalesce(r.related_party, ''), r.agency, r.dataset)), 20)::text as relationship_id,
    r.enterprise_id::text as enterprise_id,
    r.related_enterprise_id::text as related_enterprise_id,
    r.related_party::text as related_party,
    r.party_name::text as related_party_name,
    r.country::text as related_party_country,
    r.relationship::text as relationship,
    r.agency::text as agency,
    r.dataset::text as dataset,
    coalesce(r.first_seen, d.seen_from)::date as first_seen,
    coalesce(r.last_seen, d.seen_to)::date as last_seen,
    r.records::bigint as records,
    round(r.amount_vnd)::numeric(22, 0) as amount_vnd,
    jsonb_build_object(
        'records', r.records,
        'source_keys', to_jsonb(r.source_keys),
        'written_as', r.party_name,
        'country', r.country
    )::jsonb as evidence
from rolled as r
left join sister_dates as d on d.enterprise_id = r.enterprise_id and r.relationship = 'same_group'
