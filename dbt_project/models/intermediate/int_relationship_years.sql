-- One row per year, enterprise and edge of the enterprise network other
-- than customs trade partners (int_customs_partner_years) and what is
-- derived from other enterprises (sister companies, shared premises): a
-- party by normalised name (investor, ultimate parent, disclosed related
-- party, lender), a foreign manager, or a place the enterprise uses (a land
-- parcel, a written address; relationship 'premises'), rolled up over the
-- year's records: the name and country as written (the least), first and
-- last seen, records, amount and the ten least record keys. What
-- marts.enterprise_relationships combines across the years, with its
-- method (models/marts/_marts__network.md).
--
-- Why: the register, credit, land and labour deliver a snapshot every
-- month, so one relationship came back once a month, and rolling every
-- snapshot of the history up again was most of the network's build, growing
-- with the years kept (docs/build-performance.md, "The network a year at a
-- time"). Every figure here is a least, a greatest, a sum (a credit
-- lender's amount: the greatest) or the ten least keys, so the years
-- combine into exactly the whole history's figures.
--
-- A year is the year of its deliveries' period (each source's period
-- column is its delivery's; employment's rows carry their own, which the
-- agreement requires to equal the delivery's). Incremental by year like
-- int_customs_partner_years: the pre-hook deletes the years whose inputs'
-- fingerprint (macros/network.sql, relationship_year_inputs) changed or are
-- gone, the build appends the years missing; a new month rebuilds its own
-- year, and the table equals a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_periods_whose_inputs_changed(relationship_year_inputs(), 'year') }}",
) }}

with

-- materialized: decided first, so a build with no year to build reads no record
years_to_build as materialized (
    {{ periods_to_build(relationship_year_inputs(), 'year') }}
),

-- not materialized: each use below filters one dataset, and only inlined do
-- those filters reach the planner's estimates (materialized, it guessed 32
-- work-permit links for 11,000 and compared them in a 55-million-row loop)
links as not materialized (
    select enterprise_id, agency, dataset, delivery_id, row_number
    from {{ ref('enterprise_links') }}
    where enterprise_id is not null and agency in ('labour', 'land')
),

-- each project's tax code in each register snapshot of the years to build
-- that carries one, and in the latest of each year
project_codes as (
    select project_code, snapshot_period, tax_code
    from {{ ref('stg_registry__projects') }}
    where tax_code is not null and left(snapshot_period, 4) in (select year from years_to_build)
),

project_year_codes as (
    select distinct on (project_code, left(snapshot_period, 4))
        project_code, left(snapshot_period, 4) as year, tax_code
    from project_codes
    order by project_code, left(snapshot_period, 4), snapshot_period desc
),

-- each source's rows as: year, enterprise, party as written, country, kind, when, record key, amount.
-- An investors snapshot's rows take their project's tax code from the projects
-- snapshot of the same month, else from the latest of the same year that has
-- it: the two datasets are delivered apart, and a month whose projects
-- snapshot was missing, rejected or held the project's row in quarantine
-- dropped its investors from the network (seed 2080: half the investor rows,
-- and every one of 35 projects). Only the same year's: its fingerprint covers
-- those snapshots, so the years still equal a full refresh.
register as (
    select
        left(i.snapshot_period, 4) as year,
        {{ enterprise_id_from_tax_code('coalesce(p.tax_code, y.tax_code)') }} as enterprise_id,
        i.investor_name, i.investor_country, i.ultimate_parent,
        to_date(i.snapshot_period, 'YYYY-MM') as seen_from,
        (to_date(i.snapshot_period, 'YYYY-MM') + interval '1 month - 1 day')::date as seen_to,
        i.source_key
    from {{ ref('stg_registry__investors') }} as i
    left join project_codes as p on p.project_code = i.project_code and p.snapshot_period = i.snapshot_period
    left join project_year_codes as y on y.project_code = i.project_code and y.year = left(i.snapshot_period, 4)
    where i.investor_kind = 'organization' and coalesce(p.tax_code, y.tax_code) is not null
      and left(i.snapshot_period, 4) in (select year from years_to_build)
),

edges as (
    select year, enterprise_id, investor_name as party_name, investor_country as country, 'investor' as relationship,
           'registry' as agency, 'investors' as dataset, seen_from, seen_to, 1 as records,
           null::numeric as amount_vnd, source_key
    from register
    union all
    select year, enterprise_id, ultimate_parent, investor_country, 'ultimate_parent', 'registry', 'investors',
           seen_from, seen_to, 1, null, source_key
    from register
    where ultimate_parent is not null
    union all
    select left(s.period, 4), {{ enterprise_id_from_tax_code('s.tax_code') }}, s.counterparty_name, s.counterparty_country,
           'disclosed_related_party', 'tax', 'related_party',
           make_date(s.fiscal_year::int, 1, 1), make_date(s.fiscal_year::int, 12, 31), 1, s.amount_vnd, s.source_key
    from {{ ref('stg_tax__related_party') }} as s
    where left(s.period, 4) in (select year from years_to_build)
    union all
    -- a lender's largest balance of the month, so a loan's months are not added up
    select left(s.snapshot_period, 4), {{ enterprise_id_from_tax_code('s.tax_code') }}, s.lender_name, s.lender_country, 'lender', 'credit', 'loans',
           s.report_date, s.report_date, 1, s.outstanding_amount_vnd, s.lender_code || '|' || s.loan_id
    from {{ ref('stg_credit__loans') }} as s
    where s.tax_code is not null and left(s.snapshot_period, 4) in (select year from years_to_build)
    union all
    -- fx: loan flows show a lender, capital flows an investor (Decree 132/2020 Appendix I
    -- counts loans and interest among related-party transactions; equity flows are not)
    select left(s.period, 4), {{ enterprise_id_from_tax_code('s.tax_code') }}, s.counterparty_name, s.counterparty_country,
           case when s.flow_type in ('loan_drawdown', 'loan_repayment', 'interest_payment') then 'lender'
                else 'investor' end,
           'fx', 'capital_flows', s.value_date, s.value_date, 1, s.amount_vnd, s.txn_id
    from {{ ref('stg_fx__capital_flows') }} as s
    where s.tax_code is not null and left(s.period, 4) in (select year from years_to_build)
),

-- materialised: each distinct name is normalised once, not once per row that carries it
parties as materialized (
    select party_name, {{ normalise_party('party_name') }} as party
    from (select distinct party_name from edges) as d
),

named as (
    select e.year, e.enterprise_id, p.party as related_party, e.party_name, e.country, e.relationship, e.agency,
           e.dataset, e.seen_from, e.seen_to, e.records, e.amount_vnd, e.source_key
    from edges as e
    join parties as p on p.party_name = e.party_name
    where p.party is not null
),

-- a foreign manager (work permit of a manager or executive) is a node by the
-- keyed hash of the passport: the same person managing two enterprises links them
managers as (
    select
        left(w.period, 4) as year,
        l.enterprise_id,
        'worker:' || left(w.worker_passport_hash, 16) as related_party,
        null::text as party_name,
        w.nationality as country,
        'foreign_manager' as relationship, 'labour' as agency, 'work_permits' as dataset,
        w.issued_on as seen_from,
        case when w.status = 'revoked' then least(w.expires_on, to_date(w.period, 'YYYY-MM') + 27)
             else w.expires_on end as seen_to,
        1 as records, null::numeric as amount_vnd, w.source_key
    from {{ ref('stg_labour__work_permits') }} as w
    join links as l on l.agency = 'labour' and l.dataset = 'work_permits'
        and l.delivery_id = w.delivery_id and l.row_number = w.row_number
    where w.job_category in ('manager', 'executive') and w.nationality <> 'VN'
      and left(w.period, 4) in (select year from years_to_build)
),

-- premises: a land parcel (zone or area, map sheet, parcel number), or a
-- written address with a house or lot number (a ward alone is not an address)
premises as (
    select left(s.snapshot_period, 4) as year, l.enterprise_id, 'land' as agency, 'leases' as dataset, 'parcel' as kind,
           coalesce(s.industrial_zone_code, s.admin_area, '') || '|' || s.map_sheet || '|' || s.parcel_no as written,
           to_date(s.snapshot_period, 'YYYY-MM') as seen_on, s.source_key
    from {{ ref('stg_land__leases') }} as s
    join links as l on l.agency = 'land' and l.dataset = 'leases'
        and l.delivery_id = s.delivery_id and l.row_number = s.row_number
    where s.status = 'active' and left(s.snapshot_period, 4) in (select year from years_to_build)
    union all
    select left(s.snapshot_period, 4), {{ enterprise_id_from_tax_code('s.tax_code') }}, 'registry', 'projects', 'address',
           s.address, to_date(s.snapshot_period, 'YYYY-MM'), s.source_key
    from {{ ref('stg_registry__projects') }} as s
    where s.tax_code is not null and s.address ~ '[0-9]' and left(s.snapshot_period, 4) in (select year from years_to_build)
    union all
    select left(s.period, 4), l.enterprise_id, 'labour', 'employment', 'address',
           s.employer_address, to_date(s.period, 'YYYY-MM'), s.source_key
    from {{ ref('stg_labour__employment') }} as s
    join links as l on l.agency = 'labour' and l.dataset = 'employment'
        and l.delivery_id = s.delivery_id and l.row_number = s.row_number
    where s.employer_address ~ '[0-9]' and left(s.period, 4) in (select year from years_to_build)
),

-- each distinct written address normalised once
addresses as materialized (
    select written, 'address:' || {{ normalise_address('written') }} as place
    from (select distinct written from premises where kind = 'address') as d
),

-- a place the enterprise uses: first and last month it was seen there
place_use as (
    select p.year, p.enterprise_id, coalesce(a.place, 'parcel:' || p.written) as related_party,
           null::text as party_name, null::text as country, 'premises' as relationship, p.agency, p.dataset,
           p.seen_on as seen_from, p.seen_on as seen_to, 1 as records, null::numeric as amount_vnd, p.source_key
    from premises as p
    left join addresses as a on p.kind = 'address' and a.written = p.written
    where p.kind = 'parcel' or a.place is not null
),

all_edges as (
    select * from named
    union all select * from managers
    union all select * from place_use
),

-- grouped on the edge alone; the year's fingerprint joins the groups after
-- (as int_customs_partner_years: a shorter sort key)
edge_years as (
    select
        e.year, e.enterprise_id, e.related_party, e.relationship, e.agency, e.dataset,
        {{ edge_rollup('e') }}
    from all_edges as e
    group by e.year, e.enterprise_id, e.related_party, e.relationship, e.agency, e.dataset
)

select
    e.year::text as year,
    e.enterprise_id::text as enterprise_id,
    e.related_party::text as related_party,
    e.relationship::text as relationship,
    e.agency::text as agency,
    e.dataset::text as dataset,
    e.party_name::text as party_name,
    e.country::text as country,
    e.first_seen::date as first_seen,
    e.last_seen::date as last_seen,
    e.records::bigint as records,
    e.amount_vnd::numeric as amount_vnd,
    e.source_keys::text[] as source_keys,
    y.inputs_fingerprint::text as inputs_fingerprint
from edge_years as e
join years_to_build as y on y.year = e.year
