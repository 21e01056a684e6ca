-- One row per loaded record of every dataset that names an enterprise, tied
-- to at most one enterprise. Steps in order, the first that applies wins:
--   1. tax_code           the record's own 10-digit code
--   2. tax_code_repaired  the same, after the loader repaired it (audit.repairs)
--   3. branch_code        a dependent unit's 13-digit code, to its parent
--   4. name_address       no code: the name group's accepted candidate
--   5. unmatched          otherwise; ambiguous groups wait in
--                         marts.enterprise_link_candidates for a person
-- registry.investors follow their project's link in the same snapshot.
with

records as (
    select * from {{ ref('int_source_records_unioned') }}
),

groups as (
    select * from {{ ref('int_unlinked_names_grouped') }}
),

accepted as (
    select name_group_id, enterprise_id, score
    from {{ ref('int_name_candidates_scored') }}
    where decision = 'linked'
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

-- a project's source_key is its project_code
project_links as materialized (
    select period, source_key as project_code, enterprise_id, match_method, match_score, name_group_id
    from linked
    where agency = 'registry' and dataset = 'projects'
),

-- the project's link in the same snapshot ...
investors_same_snapshot as (
    select
        i.period, i.source_key, i.delivery_id, i.row_number, i.project_code,
        p.enterprise_id, p.match_method, p.match_score, p.name_group_id,
        p.project_code is not null as project_found
    from {{ ref('stg_registry__investors') }} as i
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

investors as (
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
)

select * from linked
union all
select * from investors
