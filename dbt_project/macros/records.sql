{#- The record's key as warehouse.md defines it for marts.enterprise_links:
    the contract's `key` columns, in contract order, joined with `|`. -#}
{% macro source_key(columns) -%}
    {%- if columns -%}
    concat_ws('|', {% for c in columns %}{{ c }}::text{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
    {#- only while dbt parses or sqlfluff lints: the contract's key is not known yet (macros/contract.sql) -#}
    null::text
    {%- endif -%}
{%- endmacro %}

{#- True when the loader repaired this row's tax code (lost leading zero,
    spaces or dots; README "Known defects" 1). Entity resolution reports such
    links as `tax_code_repaired` so a reviewer can tell them apart. -#}
{% macro tax_code_was_repaired(agency, dataset, column, row_alias='s') -%}
    exists (
        select 1 from {{ source('audit', 'repairs') }} as r
        where r.delivery_id = {{ row_alias }}._delivery_id
          and r.row_number = {{ row_alias }}._row_number
          and r.agency = '{{ agency }}' and r.dataset = '{{ dataset }}'
          and r.column_name = '{{ column }}'
          and r.rule like 'tax\_code%'
    )
{%- endmacro %}

{#- A staging model's rows with the enterprise entity resolution tied each to
    (marts.enterprise_links, matched on the delivery and row the record came
    in): a record delivered with only a name and address (README "Known
    defects" 3: most land leases, some labour employers) counts for its
    enterprise once linked by `name_address`; `enterprise_id` is NULL when it
    is unmatched. The one way downstream models read a dataset that has no
    marts fact of its own. -#}
{% macro linked_records(agency, dataset) -%}
    select s.*, k.enterprise_id, k.match_method
    from {{ ref('stg_' ~ agency ~ '__' ~ dataset) }} as s
    join {{ ref('enterprise_links') }} as k
      on k.agency = '{{ agency }}' and k.dataset = '{{ dataset }}'
     and k.delivery_id = s.delivery_id and k.row_number = s.row_number
{%- endmacro %}

{#- The decision in force of each name group a person decided (linkage.decisions, `fdi link`): the latest,
    by decided_at then decision_id. Read by the weighing and by the review queue. -#}
{% macro link_decisions_in_force() -%}
    select distinct on (name_group_id) *
    from {{ ref('stg_linkage__decisions') }}
    order by name_group_id, decided_at desc, decision_id desc
{%- endmacro %}
