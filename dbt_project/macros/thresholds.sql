{#- The one way SQL reads a threshold: one row of seeds/thresholds.csv, as a
    scalar subquery. Every number a rule or the entity resolution compares
    with lives in that seed, with its legal source or project rule
    (rule_code: a risk rule, ALL for every risk rule, ER for entity
    resolution). -#}
{% macro threshold(rule_code, parameter) -%}
    (select value from {{ ref('thresholds') }}
     where rule_code = '{{ rule_code }}' and parameter = '{{ parameter }}')
{%- endmacro %}
