{#- Row-count reconciliation with raw (warehouse.md: "one row per loaded
    record"): the model has exactly as many rows as the raw rows of the
    deliveries in force, or, with `distinct`, as the distinct values of that
    expression among them (a dimension, or a fact of the latest version).
    A dataset given as [agency, dataset, expression] uses its own expression
    (a column named differently). `by_dataset`: the model has agency and
    dataset columns and every dataset is compared on its own. Fails with one
    row per mismatch. -#}
{% test rows_match_raw_in_force(model, datasets=none, distinct=none, by_dataset=false) %}
{%- set datasets = datasets or [
    ('registry', 'projects'), ('registry', 'investors'), ('tax', 'cit_returns'), ('tax', 'related_party'),
    ('tax', 'payments'), ('customs', 'declarations'), ('land', 'leases'), ('labour', 'employment'),
    ('labour', 'work_permits'), ('labour', 'stoppages'), ('credit', 'loans'), ('fx', 'capital_flows'),
] %}
with

raw_rows as (
    {% for entry in datasets %}
    select '{{ entry[0] }}'::text as agency, '{{ entry[1] }}'::text as dataset,
           {{ entry[2] if entry | length > 2 else (distinct or 'null') }} as distinct_value
    from {{ source('raw_' ~ entry[0], entry[1]) }} as s
    join {{ source('audit', 'deliveries') }} as d
      on d.delivery_id = s._delivery_id and d.status = 'loaded'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% if by_dataset %}
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
