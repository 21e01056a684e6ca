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
with

enterprises as (
    select enterprise_id, tax_code, is_fdi from {{ ref('dim_enterprise') }}
),

-- a party name that is exactly one enterprise's name makes the party that enterprise
enterprise_names as materialized (
    select party, min(enterprise_id) as enterprise_id
    from (
        select enterprise_id, {{ normalise_party('name_vi') }} as party from {{ ref('dim_enterprise') }}
        union
        select enterprise_id, {{ normalise_party('name_en') }} as party from {{ ref('dim_enterprise') }}
    ) as n
    where party is not null
    group by party
    having count(distinct enterprise_id) = 1
),

-- not materialized: each use below filters one dataset, and only inlined do
-- those filters reach the planner's estimates (materialized, it guessed 32
-- work-permit links for 11,000 and compared them in a 55-million-row loop)
links as not materialized (
    select enterprise_id, agency, dataset, delivery_id, row_number
    from {{ ref('enterprise_links') }}
    where enterprise_id is not null and agency in ('labour', 'land')
),

-- each source's rows as: enterprise, party as written, country, kind, when, record key, amount
register as (
    select
        {{ enterprise_id_from_tax_code('p.tax_code') }} as enterprise_id,
        i.investor_name, i.investor_country, i.ultimate_parent, i.ownership_pct,
        to_date(i.snapshot_period, 'YYYY-MM') as seen_from,
        (to_date(i.snapshot_period, 'YYYY-MM') + interval '1 month - 1 day')::date as seen_to,
        i.source_key
    from {{ ref('stg_registry__projects') }} as p
    join {{ ref('stg_registry__investors') }} as i
      on i.project_code = p.project_code and i.snapshot_period = p.snapshot_period
    where p.tax_code is not null and i.investor_kind = 'organization'
),

edges as (
    select enterprise_id, investor_name as party_name, investor_country as country, 'investor' as relationship,
           'registry' as agency, 'investors' as dataset, seen_from, seen_to, 1 as records,
           null::numeric as amount_vnd, source_key
    from register
    union all
    select enterprise_id, ultimate_parent, investor_country, 'ultimate_parent', 'registry', 'investors',
           seen_from, seen_to, 1, null, source_key
    from register
    where ultimate_parent is not null
    union all
    select {{ enterprise_id_from_tax_code('tax_code') }}, counterparty_name, counterparty_country,
           'disclosed_related_party', 'tax', 'related_party',
           make_date(fiscal_year::int, 1, 1), make_date(fiscal_year::int, 12, 31), 1, amount_vnd, source_key
    from {{ ref('stg_tax__related_party') }}
    union all
    -- a lender's largest balance of the month, so a loan's months are not added up
    select enterprise_id, lender_name, lender_country, 'lender', 'credit', 'loans',
           report_date, report_date, 1, outstanding_amount_vnd, lender_code || '|' || loan_id
    from {{ ref('fct_loans') }}
    where enterprise_id is not null
    union all
    -- fx: loan flows show a lender, capital flows an investor (Decree 132/2020 Appendix I
    -- counts loans and interest among related-party transactions; equity flows are not)
    select enterprise_id, counterparty_name, counterparty_country,
           case when flow_type in ('loan_drawdown', 'loan_repayment', 'interest_payment') then 'lender'
                else 'investor' end,
           'fx', 'capital_flows', value_date, value_date, 1, amount_vnd, txn_id
    from {{ ref('fct_capital_flows') }}
    where enterprise_id is not null
),

-- materialised: each distinct name is normalised once, not once per row that carries it
parties as materialized (
    select party_name, {{ normalise_party('party_name') }} as party
    from (select distinct party_name from edges) as d
),

named as (
    select
        e.enterprise_id,
        n.enterprise_id as related_enterprise_id,
        p.party as related_party,
        e.party_name, e.country, e.relationship, e.agency, e.dataset,
        e.seen_from, e.seen_to, e.records, e.amount_vnd, e.source_key
    from edges as e
    join parties as p on p.party_name = e.party_name
    left join enterprise_names as n on n.party = p.party
    where p.party is not null
),

-- a foreign manager (work permit of a manager or executive) is a node by the
-- keyed hash of the passport: the same person managing two enterprises links them
managers as (
    select
        l.enterprise_id,
        null::text as related_enterprise_id,
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
),

-- premises: a land parcel (zone or area, map sheet, parcel number), or a
-- written address with a house or lot number (a ward alone is not an address)
premises as (
    select l.enterprise_id, 'land' as agency, 'leases' as dataset, 'parcel' as kind,
           coalesce(s.industrial_zone_code, s.admin_area, '') || '|' || s.map_sheet || '|' || s.parcel_no as written,
           to_date(s.snapshot_period, 'YYYY-MM') as seen_on, s.source_key
    from {{ ref('stg_land__leases') }} as s
    join links as l on l.agency = 'land' and l.dataset = 'leases'
        and l.delivery_id = s.delivery_id and l.row_number = s.row_number
    where s.status = 'active'
    union all
    select {{ enterprise_id_from_tax_code('tax_code') }}, 'registry', 'projects', 'address',
           address, to_date(snapshot_period, 'YYYY-MM'), source_key
    from {{ ref('stg_registry__projects') }}
    where tax_code is not null and address ~ '[0-9]'
    union all
    select l.enterprise_id, 'labour', 'employment', 'address',
           s.employer_address, to_date(s.period, 'YYYY-MM'), s.source_key
    from {{ ref('stg_labour__employment') }} as s
    join links as l on l.agency = 'labour' and l.dataset = 'employment'
        and l.delivery_id = s.delivery_id and l.row_number = s.row_number
    where s.employer_address ~ '[0-9]'
),

-- each distinct written address normalised once
addresses as materialized (
    select written, 'address:' || {{ normalise_address('written') }} as place
    from (select distinct written from premises where kind = 'address') as d
),

place_use as (
    select p.enterprise_id, p.agency, p.dataset, coalesce(a.place, 'parcel:' || p.written) as place,
           min(p.seen_on) as seen_from, (max(p.seen_on) + interval '1 month - 1 day')::date as seen_to,
           count(*) as records, min(p.source_key) as source_key
    from premises as p
    left join addresses as a on p.kind = 'address' and a.written = p.written
    where p.kind = 'parcel' or a.place is not null
    group by 1, 2, 3, 4
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
    select * from named
    union all select * from managers
    union all select * from shared
    union all select * from sisters
),

-- customs trade partners, rolled up a year at a time already (int_customs_partner_years):
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
    where c.enterprise_id in (select enterprise_id from enterprises)
    group by c.enterprise_id, c.party
),

-- each partner's enterprise, if any, decided once per distinct partner (a few
-- thousand), so the partners join it by hash
trade_partner_enterprises as materialized (
    select p.party, n.enterprise_id
    from (select distinct party from {{ ref('int_customs_partner_years') }}) as p
    left join enterprise_names as n on n.party = p.party
),

-- a group's relationship is as old as the register entries that make it
sister_dates as (
    select enterprise_id, min(seen_from) as seen_from, max(seen_to) as seen_to
    from named where agency = 'registry'
    group by 1
),

rolled as (
    select
        e.enterprise_id, e.related_enterprise_id, e.related_party, e.relationship, e.agency, e.dataset,
        min(e.party_name) as party_name,
        min(e.country) as country,
        min(e.seen_from) as first_seen,
        max(e.seen_to) as last_seen,
        sum(e.records) as records,
        case when e.relationship = 'lender' and e.agency = 'credit' then max(e.amount_vnd)
             else sum(e.amount_vnd) end as amount_vnd,
        (array_agg(e.source_key order by e.source_key))[1:10] as source_keys
    from all_edges as e
    where e.enterprise_id in (select enterprise_id from enterprises)
    group by 1, 2, 3, 4, 5, 6
    union all
    select c.enterprise_id, p.enterprise_id, c.party, 'trade_partner', 'customs', 'declarations',
           c.party_name, c.country, c.first_seen, c.last_seen, c.records, c.amount_vnd, c.source_keys
    from trade_partners as c
    join trade_partner_enterprises as p on p.party = c.party
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
