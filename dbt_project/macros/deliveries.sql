{#- Rows of the delivery in force for each period: audit.deliveries marks the
    latest extract of a period `loaded` and every earlier one `superseded`
    (README "Delivery semantics"). Used only in staging models. -#}
{% macro in_force_deliveries(agency, dataset) -%}
    select delivery_id, period, extracted_at
    from {{ source('audit', 'deliveries') }}
    where status = 'loaded'
      and agency = '{{ agency }}'
      and dataset = '{{ dataset }}'
{%- endmacro %}
