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
    the value (3, 24, 0.5), {RULE.parameter%} for the value as a percentage
    (0.30 -> 30), and {RULE.parameter} with a # before its closing brace for a
    whole number from one to twelve in English words (3 -> three; any other
    value as digits). The words keep the sentences as they read before their
    numbers moved to the seed: the evidence hash covers them, and a reworded
    sentence would reopen every decided flag. The rules write their evidence
    `threshold` this way, and the workbench fills its Vietnamese sentence with
    the same values (workbench/evidence.py), so a threshold changed in the seed
    changes both. -#}
{% macro threshold_sentence(template) -%}
    {%- set chunks = template.split('{') -%}
    {%- set pieces = [] -%}
    {%- for chunk in chunks -%}
        {%- set text = chunk -%}
        {%- if not loop.first -%}
            {%- set name, text = chunk.split('}', 1) -%}
            {%- set rule_code, parameter = name.rstrip('%#').split('.') -%}
            {%- set value = threshold(rule_code, parameter) -%}
            {%- if name.endswith('#') -%}
                {%- do pieces.append('(select case when v = trunc(v) and v between 1 and 12 then (array['
                                     ~ "'one','two','three','four','five','six','seven','eight','nine','ten','eleven','twelve'"
                                     ~ '])[v::int] else trim_scale(v)::text end from (select ' ~ value ~ ' as v) as t)') -%}
            {%- else -%}
                {%- do pieces.append('trim_scale(' ~ ('100 * ' if name.endswith('%') else '') ~ value ~ ')::text') -%}
            {%- endif -%}
        {%- endif -%}
        {%- if text -%}{%- do pieces.append("'" ~ text.replace("'", "''") ~ "'") -%}{%- endif -%}
    {%- endfor -%}
    ({{ pieces | join(' || ') }})
{%- endmacro %}
