{#- The record's key as warehouse.md defines it for marts.enterprise_links:
    the contract's `key` columns, in contract order, joined with `|`. -#}
{% macro source_key(columns) -%}
    concat_ws('|', {% for c in columns %}{{ c }}::text{% if not loop.last %}, {% endif %}{% endfor %})
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
