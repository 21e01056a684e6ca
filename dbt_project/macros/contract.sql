{#- The contract of a raw dataset (sources/contracts), as `fdi sync-contracts`
    wrote it into the source's `meta.contract`: key, grain, kind, personal
    columns and identity roles. Models read it here instead of retyping it, so
    the contract stays declared once. While dbt parses (execute is false) the
    graph is not complete yet; the SQL is only rendered for real at run time. -#}
{% macro contract(agency, dataset) -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == 'raw_' ~ agency and node.name == dataset -%}
                {{ return(node.meta.contract) }}
            {%- endif -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error("source raw_" ~ agency ~ "." ~ dataset ~ " has no meta.contract: run `fdi sync-contracts`") }}
    {%- endif -%}
    {{ return({'key': [], 'grain': none, 'kind': none, 'pii': [], 'identity': {}}) }}
{%- endmacro %}

{#- The record's key as warehouse.md defines it for marts.enterprise_links:
    the contract's `key` columns, in contract order, joined with `|`. -#}
{% macro contract_source_key(agency, dataset) -%}
    {{ source_key(contract(agency, dataset).key) }}
{%- endmacro %}

{#- The column playing `role` (name, name_en, address, admin_area,
    industrial_zone_code) in a dataset's identity (local_rules.yaml
    `identity`), or the SQL null when the dataset has none. -#}
{% macro identity_column(agency, dataset, role) -%}
    {{ contract(agency, dataset).identity.get(role) or 'null' }}
{%- endmacro %}
