{#- The folder's +schema is the schema itself (staging, marts, ...), not
    <target>_<schema>: one name across dbt folder, schema and Dagster group. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
