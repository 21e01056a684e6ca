-- One row per loaded record (delivery in force) of every dataset that names
-- an enterprise, in one shape for entity resolution: its code as delivered,
-- and the name, address and area it gives. Which column plays which role
-- comes from the contract (local_rules.yaml `identity`, carried into the
-- sources' meta.contract by `fdi sync-contracts`); the list below only names
-- the datasets, because dbt must see every ref() while it parses.
-- registry.investors is not here: investors name no enterprise themselves,
-- they follow their project.
--
-- Incremental by delivery: a delivery's records never change (a correction
-- is a new delivery), so a build appends the records of the deliveries in
-- force it has not seen, read delivery by delivery, and the pre-hook deletes
-- those of deliveries no longer in force (superseded). The table therefore
-- equals a full refresh, and a month's build reads only that month. A change
-- of this SQL or of a contract's identity columns needs `--full-refresh`.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_records_out_of_force() }}",
    indexes=[{'columns': ['delivery_id', 'row_number']}],
) }}
{%- set datasets = [
    ('registry', 'projects'), ('tax', 'cit_returns'), ('tax', 'related_party'), ('tax', 'payments'),
    ('customs', 'declarations'), ('land', 'leases'), ('labour', 'employment'), ('labour', 'work_permits'),
    ('labour', 'stoppages'), ('credit', 'loans'), ('fx', 'capital_flows'),
] %}

with

-- the deliveries in force whose records are not here yet: all of them in a full build
to_read as (
    {{ deliveries_not_yet_in(this) }}
),

{% for agency, dataset in datasets %}
{{ agency }}__{{ dataset }} as (
    -- `offset 0` keeps the lateral subquery per delivery, so the delivery id
    -- reaches raw customs' partitions and the other raw tables' block-range
    -- indexes (a month reads a month)
    select r.*
    from to_read as d
    cross join lateral (
        select
        '{{ agency }}'::text as agency,
        '{{ dataset }}'::text as dataset,
        s.period::text as period,
        s.source_key,
        s.delivery_id,
        s.row_number,
        s.tax_code_full,
        s.tax_code,
        s.tax_code_branch,
        s.tax_code_was_repaired,
        {{ identity_column(agency, dataset, 'name') }}::text as name,
        {{ identity_column(agency, dataset, 'name_en') }}::text as name_en,
        {{ identity_column(agency, dataset, 'address') }}::text as address,
        {{ identity_column(agency, dataset, 'admin_area') }}::text as admin_area,
        {{ identity_column(agency, dataset, 'industrial_zone_code') }}::text as industrial_zone_code
    {%- if dataset == 'cit_returns' %}
    from {{ ref('base_tax__cit_returns') }} as s
    {%- else %}
    from {{ ref('stg_' ~ agency ~ '__' ~ dataset) }} as s
    {%- endif %}
    where s.delivery_id = d.delivery_id
    offset 0
    ) as r
    where d.agency = '{{ agency }}' and d.dataset = '{{ dataset }}'
){{ ',' if not loop.last }}
{% endfor %}

{% for agency, dataset in datasets %}
select * from {{ agency }}__{{ dataset }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
