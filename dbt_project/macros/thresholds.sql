{#- One threshold of seeds/er_thresholds.csv, as a scalar subquery. -#}
{% macro er_threshold(name) -%}
    (select value from {{ ref('er_thresholds') }} where threshold = '{{ name }}')
{%- endmacro %}
