{#- The one way SQL reads a threshold: one row of seeds/thresholds.csv, as a
    scalar subquery. Every number a rule or the entity resolution compares
    with lives in that seed, with its legal source or project rule
    (rule_code: a risk rule, ALL for every risk rule, ER for entity
    resolution). -#}
{% macro threshold(rule_code, parameter) -%}
    (select value from {{ ref('thresholds') }}
     where rule_code = '{{ rule_code }}' and parameter = '{{ parameter }}')
{%- endmacro %}

{#- A sentence naming thresholds, built from their values in the seed rather
    than retyped: `template` is English text where {RULE.parameter} stands for
    the value (3, 24, 0.5) and {RULE.parameter%} for the value as a percentage
    (0.30 -> 30). The rules write their evidence `threshold` this way, and the
    workbench fills its Vietnamese sentence with the same values
    (workbench/evidence.py), so a threshold changed in the seed changes both. -#}
{% macro threshold_sentence(template) -%}
    {%- set chunks = template.split('{') -%}
    {%- set pieces = [] -%}
    {%- for chunk in chunks -%}
        {%- set text = chunk -%}
        {%- if not loop.first -%}
            {%- set name, text = chunk.split('}', 1) -%}
            {%- set rule_code, parameter = name.rstrip('%').split('.') -%}
            {%- do pieces.append('trim_scale(' ~ ('100 * ' if name.endswith('%') else '')
                                 ~ threshold(rule_code, parameter) ~ ')::text') -%}
        {%- endif -%}
        {%- if text -%}{%- do pieces.append("'" ~ text.replace("'", "''") ~ "'") -%}{%- endif -%}
    {%- endfor -%}
    ({{ pieces | join(' || ') }})
{%- endmacro %}
