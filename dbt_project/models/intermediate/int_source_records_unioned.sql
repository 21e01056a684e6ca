-- One row per loaded record (delivery in force) of every dataset that names
-- an enterprise, in one shape for entity resolution: its code as delivered,
-- and the name, address and area it gives. registry.investors is not here:
-- investors name no enterprise themselves, they follow their project.
{%- set datasets = [
    ('registry', 'projects', 'enterprise_name', 'enterprise_name_en', 'address', 'admin_area', 'industrial_zone_code'),
    ('tax', 'cit_returns', 'taxpayer_name', none, none, none, none),
    ('tax', 'related_party', none, none, none, none, none),
    ('tax', 'payments', none, none, none, none, none),
    ('customs', 'declarations', 'trader_name', none, none, none, none),
    ('land', 'leases', 'lessee_name', none, 'lessee_address', 'admin_area', 'industrial_zone_code'),
    ('labour', 'employment', 'employer_name', none, 'employer_address', none, none),
    ('labour', 'work_permits', 'employer_name', none, none, none, none),
    ('labour', 'stoppages', 'employer_name', none, none, none, none),
    ('credit', 'loans', none, 'borrower_name', none, none, none),
    ('fx', 'capital_flows', none, none, none, none, none),
] %}

with

{% for agency, dataset, name, name_en, address, area, zone in datasets %}
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
        {{ name or 'null' }}::text as name,
        {{ name_en or 'null' }}::text as name_en,
        {{ address or 'null' }}::text as address,
        {{ area or 'null' }}::text as admin_area,
        {{ zone or 'null' }}::text as industrial_zone_code
    {%- if dataset == 'cit_returns' %}
    from {{ ref('base_tax__cit_returns') }}
    {%- else %}
    from {{ ref('stg_' ~ agency ~ '__' ~ dataset) }}
    {%- endif %}
){{ ',' if not loop.last }}
{% endfor %}

{% for agency, dataset, _n, _e, _a, _r, _z in datasets %}
select * from {{ agency }}__{{ dataset }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
