-- One row per customs declaration line cleared (the delivery in force of its
-- month), in USD at the SBV rate of the registration date, with the
-- enterprise and a related-party indicator (NULL when unknown: an investor
-- row of the enterprise or of a sister company held back in quarantine names
-- the partner, or names nobody readable, and the year's disclosure does not
-- name it).
--
-- Incremental on period: a month is (re)built only when one of its inputs
-- changed, which `inputs_fingerprint` records: the customs delivery in force,
-- the year's related-party disclosures, the register snapshot used for
-- investors, and the version of the party names (macros/network.sql). A new
-- month therefore builds one month, a correction rebuilds its month, a late
-- disclosure rebuilds its year, a change of normalise_party every month; the
-- table always equals a full refresh. The pre-hook deletes the rows of
-- superseded deliveries first: a month corrected to nothing to report brings
-- no row that would replace them by period. A build's data tests read the
-- lines of its new deliveries through the index on delivery_id
-- (macros/test_scope.sql).
{{ config(
    materialized='incremental',
    unique_key='period',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['delivery_id']}],
    pre_hook=["{{ contract_relaxed_on_existing_table() }}", "{{ delete_records_out_of_force() }}"],
    post_hook="{{ contract_rules_on_existing_table() }}",
) }}
-- the pre-hook's input: depends_on: {{ ref('stg_audit__deliveries') }}

with

-- each month's inputs and their fingerprint (macros/customs.sql)
fingerprints as (
    {{ customs_period_inputs() }}
),

to_build as (
    select * from fingerprints
    {% if is_incremental() %}
    where not exists (
        -- a month's rows all carry its delivery and fingerprint: one probe of the delivery_id index
        select 1 from {{ this }} as built
        where built.delivery_id = fingerprints.delivery_id and built.inputs_fingerprint = fingerprints.inputs_fingerprint
    )
    {% endif %}
),

-- The lines of each month to build, read delivery by delivery: `offset 0`
-- keeps the planner from flattening the lateral subquery, so the month's
-- delivery id reaches raw customs as a parameter and only that delivery's
-- partition is read (warehouse/bootstrap.py; flattened, a new month
-- converted every line of every month before discarding all but its own).
-- Only the columns used here, so the view's others (the goods'
-- description, the trader's name, ...) are not carried through the join.
lines as (
    select l.*, b.register_period, b.inputs_fingerprint
    from to_build as b
    cross join lateral (
        select
            declaration_no, line_no, period, registered_on, tax_code, tax_code_branch, flow, regime_code,
            partner_name, partner_country, origin_country, hs_code, hs_chapter, quantity, unit, incoterms,
            invoice_currency, invoice_value, invoice_value_vnd, invoice_value_usd, customs_value_vnd,
            customs_value_usd, import_duty_vnd, vat_vnd, delivery_id
        from {{ ref('stg_customs__declarations') }} as s
        where s.delivery_id = b.delivery_id
        offset 0
    ) as l
),

-- Names that make a partner related (Decree 132/2020 Art. 5): the
-- counterparties the enterprise disclosed for the year, and its investors
-- and their ultimate parents in the register, and those of its sister
-- companies (same ultimate parent). Compared as the network's parties
-- (normalise_party), so "HANIL GROUP CO., LTD. (KOREA)" or "BEAUMONT CO.,
-- LTD. (FR)" disclosed names the partner "HANIL GROUP" or "BEAUMONT CO.,
-- LTD." (normalise_name alone kept the country: such a partner was not
-- marked disclosed).
disclosed as (
    select distinct tax_code, fiscal_year::text as fiscal_year, {{ normalise_party('counterparty_name') }} as partner
    from {{ ref('stg_tax__related_party') }}
),

own_investor_names as (
    select distinct p.tax_code, p.snapshot_period, {{ normalise_party('n.name') }} as partner,
           {{ normalise_party('i.ultimate_parent') }} as ultimate_parent
    from {{ ref('stg_registry__projects') }} as p
    join {{ ref('stg_registry__investors') }} as i
      on i.project_code = p.project_code and i.snapshot_period = p.snapshot_period
    cross join lateral (values (i.investor_name), (i.ultimate_parent)) as n (name)
    where p.tax_code is not null and n.name is not null
      and p.snapshot_period in (select register_period from to_build)  -- the snapshots the months use
),

-- The enterprise network (models/marts/_marts__network.md): the investors and
-- parent of an enterprise with the same ultimate parent in the same snapshot
-- (a sister company) are related too. From the same register snapshot, so
-- inputs_fingerprint already covers them. A group's partners are collected
-- once and handed to each member (a member's own are among them anyway):
-- joining each member to each sister's names row by row made the planner
-- nest loops over 23 million pairs for one month at 5,000 enterprises.
-- The groups are those of macro register_group_memberships, taken from the
-- investor names already read above: read again through the macro, the
-- planner guessed 2 members for 49,000 and compared every group's partners
-- with every member in a nested loop (fct_customs_lines 250 s of a full
-- build at 5,000 enterprises, against 58 s).
memberships as (
    select distinct tax_code, snapshot_period, ultimate_parent
    from own_investor_names
    where ultimate_parent is not null
),

group_partners as (
    select distinct m.snapshot_period, m.ultimate_parent, o.partner
    from memberships as m
    join own_investor_names as o on o.tax_code = m.tax_code and o.snapshot_period = m.snapshot_period
),

investor_names as (
    select tax_code, snapshot_period, partner from own_investor_names
    union
    select m.tax_code, m.snapshot_period, g.partner
    from memberships as m
    join group_partners as g on g.snapshot_period = m.snapshot_period and g.ultimate_parent = m.ultimate_parent
),

-- The investor rows of a register snapshot the months use that the loader
-- held back in quarantine (the investors delivery in force; a row names its
-- project by project_code, the project its enterprise in the same snapshot),
-- with the parties they name as delivered (the investor and its ultimate
-- parent, normalised as above). A partner one of them names may be an
-- investor, but the row failed the contract's checks, so it is not known to
-- be one: its lines' partner_is_investor is NULL, neither true (a rule would
-- read a row held back as evidence) nor false (seed 2064: a parent's row
-- held back for a negative ownership share made its customs lines of six
-- months unrelated). A held row without a readable investor name leaves
-- every partner of the enterprise unknown. The quarantine rows belong to the
-- investors delivery, whose id is in inputs_fingerprint already. The row is
-- attributed here as int_quarantined_records_attributed attributes it, not
-- read from there: that model carries no names, and it waits for entity
-- resolution (enterprise_links), which the lines do not, so reading it would
-- put the lines behind the build's longest chain.
investors_held as (
    select
        p.tax_code,
        p.snapshot_period,
        bool_or(nullif(btrim(q.original ->> 'investor_name'), '') is null) as has_unnamed,
        array_agg(distinct {{ normalise_party('n.name') }}) filter (where n.name is not null) as parties
    from {{ ref('stg_audit__quarantine') }} as q
    join {{ ref('stg_audit__deliveries') }} as d on d.delivery_id = q.delivery_id and d.status = 'loaded'
    join {{ ref('stg_registry__projects') }} as p
      on p.project_code = btrim(q.original ->> 'project_code') and p.snapshot_period = d.period
    cross join lateral (values (nullif(btrim(q.original ->> 'investor_name'), '')),
                               (nullif(btrim(q.original ->> 'ultimate_parent'), ''))) as n (name)
    where q.agency = 'registry' and q.dataset = 'investors' and p.tax_code is not null
      and d.period in (select register_period from to_build)
    group by 1, 2
),

-- A sister company's investor row held back hides a partner as well: the
-- investors of a sister are related too (investor_names), so what a held row
-- of one member leaves unknown it leaves unknown for every member of its
-- group in the snapshot. A group is known from the loaded rows only (a held
-- row is read for no membership, as it is read for no relation).
investors_held_in_group as (
    select h.tax_code, h.snapshot_period, h.has_unnamed, h.parties
    from investors_held as h
    union all
    select s.tax_code, s.snapshot_period, h.has_unnamed, h.parties
    from investors_held as h
    join memberships as m on m.tax_code = h.tax_code and m.snapshot_period = h.snapshot_period
    join memberships as s
      on s.snapshot_period = m.snapshot_period and s.ultimate_parent = m.ultimate_parent and s.tax_code <> h.tax_code
),

investors_held_for as (
    select h.tax_code, h.snapshot_period, bool_or(h.has_unnamed) as has_unnamed,
           array_agg(distinct p.party) filter (where p.party is not null) as parties
    from investors_held_in_group as h
    left join lateral unnest(h.parties) as p (party) on true
    group by 1, 2
),

-- each distinct partner name normalised once, not once per line
partners as (
    select partner_name, {{ normalise_party('partner_name') }} as partner
    from (select distinct partner_name from lines) as p
),

flagged as (
    select
        l.*,
        d.partner is not null as partner_disclosed,
        case when n.partner is not null then true
             when h.has_unnamed or p.partner = any(h.parties) then null
             else false end as partner_is_investor
    from lines as l
    left join partners as p on p.partner_name = l.partner_name
    left join disclosed as d
      on d.tax_code = l.tax_code and d.fiscal_year = left(l.period, 4) and d.partner = p.partner
    left join investor_names as n
      on n.tax_code = l.tax_code and n.snapshot_period = l.register_period and n.partner = p.partner
    left join investors_held_for as h on h.tax_code = l.tax_code and h.snapshot_period = l.register_period
)

select
    declaration_no::text as declaration_no,
    line_no::bigint as line_no,
    period::text as period,
    registered_on::date as registered_on,
    {{ enterprise_id_from_tax_code('tax_code') }}::text as enterprise_id,
    tax_code::text as tax_code,
    tax_code_branch::text as tax_code_branch,
    flow::text as flow,
    regime_code::text as regime_code,
    partner_name::text as partner_name,
    partner_country::text as partner_country,
    origin_country::text as origin_country,
    hs_code::text as hs_code,
    hs_chapter::text as hs_chapter,
    quantity::numeric(20, 4) as quantity,
    unit::text as unit,
    incoterms::text as incoterms,
    invoice_currency::text as invoice_currency,
    invoice_value::numeric(20, 2) as invoice_value,
    invoice_value_vnd::numeric(22, 0) as invoice_value_vnd,
    invoice_value_usd::numeric(20, 2) as invoice_value_usd,
    customs_value_vnd::bigint as customs_value_vnd,
    customs_value_usd::numeric(20, 2) as customs_value_usd,
    import_duty_vnd::bigint as import_duty_vnd,
    vat_vnd::bigint as vat_vnd,
    -- true or NULL is true, false or NULL is NULL: a disclosed partner is related whatever the register says
    (partner_disclosed or partner_is_investor)::boolean as is_related_party,
    partner_disclosed::boolean as partner_disclosed,
    partner_is_investor::boolean as partner_is_investor,
    delivery_id::text as delivery_id,
    inputs_fingerprint::text as inputs_fingerprint
from flagged
