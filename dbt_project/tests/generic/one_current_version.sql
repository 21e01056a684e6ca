{#- SCD2: every key has exactly one current version. -#}
{% test one_current_version(model, key) %}
select {{ key }}, count(*) filter (where is_current) as current_versions
from {{ model }}
group by {{ key }}
having count(*) filter (where is_current) <> 1
{% endtest %}
