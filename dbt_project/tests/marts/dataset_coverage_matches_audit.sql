-- Reconciliation of marts.dataset_coverage with the load audit: every
-- delivery in force is its period's `complete` row with the same id and row
-- count, and every `complete` or `rejected` row has the deliveries that make
-- it so. Returns the mismatches.
{{ config(meta={'dagster': {'ref': {'name': 'dataset_coverage'}}}) }}

with

in_force as (
    select d.agency, d.dataset, d.period, d.delivery_id, d.rows_loaded
    from {{ source('audit', 'deliveries') }} as d
    join {{ ref('agreement_datasets') }} as a using (agency, dataset)
    where d.status = 'loaded'
      and d.period ~ case when a.grain = 'month' then '^\d{4}-(0[1-9]|1[0-2])$' else '^\d{4}$' end
),

coverage as (
    select * from {{ ref('dataset_coverage') }}
)

select 'delivery in force without its complete row' as problem, f.agency, f.dataset, f.period
from in_force as f
left join coverage as c
    on c.agency = f.agency and c.dataset = f.dataset and c.period = f.period
   and c.status = 'complete' and c.delivery_id = f.delivery_id and c.rows_in_force = f.rows_loaded
where c.period is null
union all
select 'complete row without a delivery in force', c.agency, c.dataset, c.period
from coverage as c
left join in_force as f using (agency, dataset, period)
where c.status = 'complete' and f.delivery_id is null
union all
select 'rejected row without a rejected delivery', c.agency, c.dataset, c.period
from coverage as c
where c.status = 'rejected' and not exists (
    select 1 from {{ source('audit', 'deliveries') }} as d
    where d.agency = c.agency and d.dataset = c.dataset and d.period = c.period and d.status = 'rejected')
