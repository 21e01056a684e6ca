-- One row per loaded record (delivery in force) of every dataset that names
-- an enterprise, tied to at most one enterprise. Steps in order, the first
-- that applies wins:
--   1. tax_code           the record's own 10-digit code
--   2. tax_code_repaired  the same, after the loader repaired it (audit.repairs)
--   3. branch_code        a dependent unit's 13-digit code, to its parent
--   4. name_address       no code: the name group's accepted candidate, or
--                         the one a person chose (linkage.decisions)
--   5. unmatched          otherwise; ambiguous groups wait in
--                         marts.enterprise_link_candidates for a person
-- registry.investors follow their project's link in the same snapshot.
--
-- Incremental by delivery (docs/linked-warehouse.md, "Incremental builds"):
-- a record keeps its link until its delivery is superseded (the pre-hook
-- deletes it, the correction's records are linked as new) or the name
-- evidence it was linked on changes (its name group's accepted candidate or
-- score differs from the stored one, or the group is gone: the group's
-- records are linked again).
-- A link by code is a function of the record alone. Investors are linked
-- again when their project's row is. So a month links the month's records,
-- a correction re-links its period, and the table equals a full refresh.
-- The workbench reads an enterprise's records by enterprise_id on every flag
-- and enterprise page; without an index that is a scan of every record.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['delivery_id', 'row_number'],
    on_schema_change='fail',
    pre_hook=["{{ contract_relaxed_on_existing_table() }}", "{{ delete_records_out_of_force() }}"],
    post_hook="{{ contract_rules_on_existing_table() }}",
    indexes=[
        {'columns': ['enterprise_id', 'agency']},
        {'columns': ['delivery_id', 'row_number']},
        {'columns': ['name_group_id']},
        {'columns': ['dataset', 'source_key']},
    ],
) }}

with

groups as (
    select * from {{ ref('int_unlinked_names_grouped') }}
),

accepted as (
    select name_group_id, enterprise_id, score
    from {{ ref('int_name_candidates_scored') }}
    where decision in ('linked', 'linked_by_person')
),

new_deliveries as (
    {{ deliveries_not_yet_in(this) }}
),

{% if is_incremental() %}
-- the name groups whose decision changed since their records were linked,
-- and those gone: a group's id hashes its normalised identity, so a change
-- of the normalisation (names_version, macros/names.sql) gives its records
-- another group, whose decision may be the same (an unmatched record of a
-- group gone stays unmatched, but under its new group). Materialised, so
-- they are found first and only their records are read again: inlined, the
-- planner joined every name-linked record to its source record (all 5
-- million source records read at 5,000 enterprises over three years, 2.8 s
-- of a month's build) before it looked at which groups changed.
changed_groups as materialized (
    select s.name_group_id
    from (select distinct name_group_id, enterprise_id, match_score from {{ this }}
          where name_group_id is not null and dataset <> 'investors') as s
    left join accepted as a on a.name_group_id = s.name_group_id
    where (s.enterprise_id, s.match_score)
          is distinct from (a.enterprise_id, coalesce(a.score, 0)::numeric(5, 4))
       or not exists (select 1 from groups as g where g.name_group_id = s.name_group_id)
),
{% endif %}

-- the records to link: every record in a full build; else those of new
-- deliveries, and those of name groups whose decision changed
records as (
    {% if is_incremental() %}
    -- per new delivery through the records' index on delivery_id; joined,
    -- the planner expected a third of the records and read every one (0.8 s
    -- at 5,000 enterprises over three years, for the 3 % a month brings)
    select r.*
    from new_deliveries as d
    cross join lateral (
        select s.* from {{ ref('int_source_records_unioned') }} as s
        where s.delivery_id = d.delivery_id
        offset 0
    ) as r
    union all
    -- a lookup per changed group through the links' index on name_group_id,
    -- then per record through the source records' index; `offset 0` keeps
    -- each a lookup, not a join the planner, expecting many groups, would
    -- answer with a scan of every link and every record
    select r.*
    from changed_groups as changed
    cross join lateral (
        select l.delivery_id, l.row_number from {{ this }} as l
        where l.name_group_id = changed.name_group_id and l.dataset <> 'investors'
        offset 0
    ) as k
    cross join lateral (
        select s.* from {{ ref('int_source_records_unioned') }} as s
        where s.delivery_id = k.delivery_id and s.row_number = k.row_number
        offset 0
    ) as r
    where k.delivery_id not in (select delivery_id from new_deliveries)
    {% else %}
    select r.*
    from new_deliveries as d
    join {{ ref('int_source_records_unioned') }} as r on r.delivery_id = d.delivery_id
    {% endif %}
),

by_code as (
    select
        r.agency, r.dataset, r.period, r.source_key, r.delivery_id, r.row_number,
        {{ enterprise_id_from_tax_code('r.tax_code') }} as enterprise_id,
        case
            when r.tax_code_was_repaired then 'tax_code_repaired'
            when r.tax_code_branch is not null then 'branch_code'
            else 'tax_code'
        end as match_method,
        1.0 as match_score,
        null::text as name_group_id
    from records as r
    where r.tax_code is not null
),

by_name as (
    select
        r.agency, r.dataset, r.period, r.source_key, r.delivery_id, r.row_number,
        a.enterprise_id,
        case when a.enterprise_id is not null then 'name_address' else 'unmatched' end as match_method,
        coalesce(a.score, 0) as match_score,
        g.name_group_id
    from records as r
    left join groups as g
      on g.name_group_id = {{ name_group_id('r.name', 'r.name_en', 'r.address', 'r.admin_area', 'r.industrial_zone_code') }}
    left join accepted as a on a.name_group_id = g.name_group_id
    where r.tax_code is null
),

linked as (
    select * from by_code
    union all
    select * from by_name
),

-- a project's source_key is its project_code: the projects linked now, and
-- (incremental) those linked before and kept
project_links as materialized (
    select period, source_key as project_code, enterprise_id, match_method, match_score, name_group_id
    from linked
    where agency = 'registry' and dataset = 'projects'
    {% if is_incremental() %}
    union all
    select l.period, l.source_key, l.enterprise_id, l.match_method, l.match_score, l.name_group_id
    from {{ this }} as l
    where l.dataset = 'projects' and l.agency = 'registry'
      and not exists (select 1 from linked as n
                      where n.delivery_id = l.delivery_id and n.row_number = l.row_number)
    {% endif %}
),

-- the investors to link: every one in a full build; else those of new
-- deliveries, those of a project linked now (same snapshot), and, when any
-- project was, those whose project has no row in their own snapshot (they
-- take the nearest one, which may now be another). Joins, not an OR of
-- subqueries, so each is a hash join over the register, never a scan per row.
investors as materialized (
    select period, source_key, delivery_id, row_number, project_code
    from {{ ref('stg_registry__investors') }}
),

investors_to_link as (
    {% if is_incremental() %}
    select i.*
    from investors as i
    join new_deliveries as d on d.delivery_id = i.delivery_id
    union
    select i.*
    from investors as i
    join (select distinct period, source_key from linked
          where agency = 'registry' and dataset = 'projects') as p
      on p.source_key = i.project_code and p.period = i.period
    union
    select i.*
    from investors as i
    where exists (select 1 from linked as p where p.agency = 'registry' and p.dataset = 'projects')
      and not exists (select 1 from project_links as p
                      where p.project_code = i.project_code and p.period = i.period)
    {% else %}
    select * from investors
    {% endif %}
),

-- the project's link in the same snapshot ...
investors_same_snapshot as (
    select
        i.period, i.source_key, i.delivery_id, i.row_number, i.project_code,
        p.enterprise_id, p.match_method, p.match_score, p.name_group_id,
        p.project_code is not null as project_found
    from investors_to_link as i
    left join project_links as p on p.project_code = i.project_code and p.period = i.period
),

-- ... else in the nearest one (the project row of that month may have been
-- quarantined); only these few look at the project's other snapshots
investors_nearest_snapshot as (
    select distinct on (i.delivery_id, i.row_number)
        i.period, i.source_key, i.delivery_id, i.row_number, i.project_code,
        p.enterprise_id, p.match_method, p.match_score, p.name_group_id, p.project_code is not null as project_found
    from investors_same_snapshot as i
    left join project_links as p on p.project_code = i.project_code
    where not i.project_found
    order by i.delivery_id, i.row_number,
             abs(to_date(p.period, 'YYYY-MM') - to_date(i.period, 'YYYY-MM')), p.period desc
),

investor_links as (
    select
        'registry'::text as agency, 'investors'::text as dataset, period::text as period, source_key,
        delivery_id, row_number,
        enterprise_id,
        coalesce(match_method, 'unmatched') as match_method,
        coalesce(match_score, 0) as match_score,
        name_group_id
    from (
        select * from investors_same_snapshot where project_found
        union all
        select * from investors_nearest_snapshot
    ) as i
),

all_links as (
    select * from linked
    union all
    select * from investor_links
)

select
    enterprise_id::text as enterprise_id,
    agency::text as agency,
    dataset::text as dataset,
    source_key::text as source_key,
    match_method::text as match_method,
    match_score::numeric(5, 4) as match_score,
    period::text as period,
    delivery_id::text as delivery_id,
    row_number::bigint as row_number,
    name_group_id::text as name_group_id
from all_links
