{#- Row-count reconciliation with raw (warehouse.md: "one row per loaded
    record"): the model has exactly as many rows as the raw rows of the
    deliveries in force, or, with `distinct`, as the distinct values of that
    expression among them (a dimension, or a fact of the latest version).
    A dataset given as [agency, dataset, expression] uses its own expression
    (a column named differently). `by_dataset`: the model has agency and
    dataset columns and every dataset is compared on its own. `per_delivery`:
    the model has a delivery_id column and every delivery is compared on its
    own (a model incremental by delivery): in a build, only the deliveries the
    build brought (test_scope.sql, build_new_deliveries), read on both sides
    through their ids, so the month's test costs the month; every delivery in
    `dbt test`, the nightly full pass and `fdi run --full-tests`, where a row
    of a delivery no longer in force fails it too. Fails with one row per
    mismatch. -#}
{% test rows_match_raw_in_force(model, datasets=none, distinct=none, by_dataset=false, per_delivery=false) %}
{%- set datasets = datasets or [
    ('registry', 'projects'), ('registry', 'investors'), ('tax', 'cit_returns'), ('tax', 'related_party'),
    ('tax', 'payments'), ('customs', 'declarations'), ('land', 'leases'), ('labour', 'employment'),
    ('labour', 'work_permits'), ('labour', 'stoppages'), ('credit', 'loans'), ('fx', 'capital_flows'),
] %}
{%- set scope = build_new_deliveries() if per_delivery else none %}
with

raw_rows as (
    {% for entry in datasets %}
    select '{{ entry[0] }}'::text as agency, '{{ entry[1] }}'::text as dataset, s._delivery_id as delivery_id,
           {{ entry[2] if entry | length > 2 else (distinct or 'null') }} as distinct_value
    from {{ source('raw_' ~ entry[0], entry[1]) }} as s
    join {{ source('audit', 'deliveries') }} as d
      on d.delivery_id = s._delivery_id and d.status = 'loaded'
    {%- if scope is not none %}
    where {{ delivery_in(scope, 's._delivery_id') }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% if per_delivery %}
raw_counts as (
    select delivery_id, count(*) as raw_rows from raw_rows group by delivery_id
),

model_counts as (
    select delivery_id, count(*) as model_rows from {{ model }}
    {%- if scope is not none %}
    where {{ delivery_in(scope) }}
    {%- endif %}
    group by delivery_id
)

select coalesce(r.delivery_id, m.delivery_id) as delivery_id, r.raw_rows, m.model_rows
from raw_counts as r
full join model_counts as m using (delivery_id)
where r.raw_rows is distinct from m.model_rows
{% elif by_dataset %}
raw_counts as (
    select agency, dataset, count(*) as raw_rows from raw_rows group by agency, dataset
),

model_counts as (
    select agency, dataset, count(*) as model_rows from {{ model }} group by agency, dataset
)

select r.agency, r.dataset, r.raw_rows, coalesce(m.model_rows, 0) as model_rows
from raw_counts as r
left join model_counts as m using (agency, dataset)
where r.raw_rows <> coalesce(m.model_rows, 0)
{% else %}
raw_counts as (
    select {{ 'count(distinct distinct_value)' if distinct else 'count(*)' }} as raw_rows from raw_rows
),

model_counts as (
    select count(*) as model_rows from {{ model }}
)

select r.raw_rows, m.model_rows
from raw_counts as r
cross join model_counts as m
where r.raw_rows <> m.model_rows
{% endif %}
{% endtest %}
