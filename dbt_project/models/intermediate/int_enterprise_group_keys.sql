-- One row per enterprise with a foreign organisation among its investors in
-- the latest investors snapshot loaded: the key of its group. The key is the
-- normalised ultimate parent the register declares (the investor with the
-- largest stake that names one), else the normalised name of its largest
-- foreign organisation investor. Enterprises sharing a key are sister
-- companies: one group, never one enterprise (marts.enterprise_groups).
with

-- each project's tax code, from the latest projects snapshot that carries
-- one: the investors are delivered apart from the projects, and read only
-- beside the projects snapshot of their own month, a month whose projects
-- snapshot was missing, rejected or held the project's row in quarantine
-- (or came before its incorporation) made no group of them (seed 2080: a
-- sister of Bumjin II Group left out, its group of one)
project_codes as (
    select distinct on (project_code) project_code, tax_code
    from {{ ref('stg_registry__projects') }}
    where tax_code is not null
    order by project_code, snapshot_period desc
),

register as (
    select
        {{ enterprise_id_from_tax_code('p.tax_code') }} as enterprise_id,
        i.snapshot_period,
        i.investor_name,
        i.investor_country,
        i.ultimate_parent,
        i.ownership_pct,
        i.investor_seq,
        i.project_code
    from {{ ref('stg_registry__investors') }} as i
    join project_codes as p on p.project_code = i.project_code
    where i.investor_kind = 'organization'
      and i.investor_country <> 'VN'
),

latest as (
    select *
    from (
        select r.*, max(r.snapshot_period) over (partition by r.enterprise_id) as latest_period
        from register as r
    ) as x
    where snapshot_period = latest_period
),

chosen as (
    select distinct on (enterprise_id)
        enterprise_id,
        case when ultimate_parent is not null then 'ultimate_parent' else 'investor' end as basis,
        coalesce(ultimate_parent, investor_name) as written_name
    from latest
    order by enterprise_id, (ultimate_parent is null), ownership_pct desc, project_code, investor_seq
),

-- each distinct name normalised once
names as materialized (
    select written_name, {{ normalise_party('written_name') }} as group_key
    from (select distinct written_name from chosen) as d
),

keyed as (
    select c.enterprise_id, c.basis, c.written_name, n.group_key
    from chosen as c
    join names as n on n.written_name = c.written_name
    where n.group_key is not null
),

-- the group's name as written: the form most of its members' registers use,
-- the first alphabetically among equals, the same for every member (the first
-- alphabetically alone named a group of six by its one formula-like form,
-- "@Aichi Co., Ltd.", seed 2080)
group_names as (
    select distinct on (group_key) group_key, written_name as group_name
    from (select group_key, written_name, count(*) as members from keyed group by 1, 2) as f
    order by group_key, members desc, written_name
)

select
    k.enterprise_id,
    k.group_key,
    {{ network_group_id('k.group_key') }} as group_id,
    g.group_name,
    k.basis
from keyed as k
join group_names as g on g.group_key = k.group_key
