{#- Row-count reconciliation with raw: for every dataset that names an
    enterprise, the model has exactly one row per raw row of the deliveries
    in force (warehouse.md: "one row per loaded record"). Fails with one row
    per dataset whose counts differ. -#}
{% test rows_match_raw_in_force(model, datasets=none) %}
{%- set datasets = datasets or [
    ('registry', 'projects'), ('registry', 'investors'), ('tax', 'cit_returns'), ('tax', 'related_party'),
    ('tax', 'payments'), ('customs', 'declarations'), ('land', 'leases'), ('labour', 'employment'),
    ('labour', 'work_permits'), ('labour', 'stoppages'), ('credit', 'loans'), ('fx', 'capital_flows'),
] %}
with

raw_counts as (
    {% for agency, dataset in datasets %}
    select '{{ agency }}'::text as agency, '{{ dataset }}'::text as dataset, count(*) as raw_rows
    from {{ source('raw_' ~ agency, dataset) }} as s
    join {{ source('audit', 'deliveries') }} as d
      on d.delivery_id = s._delivery_id and d.status = 'loaded'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

model_counts as (
    select agency, dataset, count(*) as model_rows
    from {{ model }}
    group by agency, dataset
)

select r.agency, r.dataset, r.raw_rows, coalesce(m.model_rows, 0) as model_rows
from raw_counts as r
left join model_counts as m using (agency, dataset)
where r.raw_rows <> coalesce(m.model_rows, 0)
{% endtest %}
