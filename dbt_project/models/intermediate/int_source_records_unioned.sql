-- One row per loaded record (delivery in force) of every dataset that names
-- an enterprise, in one shape for entity resolution: its code as delivered,
-- and the name, address and area it gives. Which column plays which role
-- comes from the contract (local_rules.yaml `identity`, carried into the
-- sources' meta.contract by `fdi sync-contracts`); the list below only names
-- the datasets, because dbt must see every ref() while it parses.
-- registry.investors is not here: investors name no enterprise themselves,
-- they follow their project.
{%- set datasets = [
    ('registry', 'projects'), ('tax', 'cit_returns'), ('tax', 'related_party'), ('tax', 'payments'),
    ('customs', 'declarations'), ('land', 'leases'), ('labour', 'employment'), ('labour', 'work_permits'),
    ('labour', 'stoppages'), ('credit', 'loans'), ('fx', 'capital_flows'),
] %}

with

{% for agency, dataset in datasets %}
{{ agency }}__{{ dataset }} as (
    select
        '{{ agency }}'::text as agency,
        '{{ dataset }}'::text as dataset,
        period::text as period,
        source_key,
        delivery_id,
        row_number,
        tax_code_full,
        tax_code,
        tax_code_branch,
        tax_code_was_repaired,
        {{ identity_column(agency, dataset, 'name') }}::text as name,
        {{ identity_column(agency, dataset, 'name_en') }}::text as name_en,
        {{ identity_column(agency, dataset, 'address') }}::text as address,
        {{ identity_column(agency, dataset, 'admin_area') }}::text as admin_area,
        {{ identity_column(agency, dataset, 'industrial_zone_code') }}::text as industrial_zone_code
    {%- if dataset == 'cit_returns' %}
    from {{ ref('base_tax__cit_returns') }}
    {%- else %}
    from {{ ref('stg_' ~ agency ~ '__' ~ dataset) }}
    {%- endif %}
){{ ',' if not loop.last }}
{% endfor %}

{% for agency, dataset in datasets %}
select * from {{ agency }}__{{ dataset }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
