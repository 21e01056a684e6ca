{#- Tax codes arrive canonical from the loader (NNNNNNNNNN or NNNNNNNNNN-NNN,
    repairs recorded in audit.repairs); these split them into the 10-digit
    enterprise code and the dependent unit's suffix (README "Identifiers"). -#}
{% macro parent_tax_code(column) -%}
    left({{ column }}, 10)
{%- endmacro %}

{% macro branch_suffix(column) -%}
    nullif(substr({{ column }}, 12, 3), '')
{%- endmacro %}

{#- A stable enterprise id: a function of the enterprise's identity, never a
    sequence, so rebuilds and new deliveries give the same id. -#}
{% macro enterprise_id_from_tax_code(column) -%}
    'EN' || {{ column }}
{%- endmacro %}

{#- Keyed hash of personal data. The key is a server setting passed by the
    dbt process (PGOPTIONS), never written into SQL or the repository. -#}
{% macro pseudonymise(column) -%}
    case when {{ column }} is null then null
         else audit.hmac_sha256({{ column }}, current_setting('fdi.pseudonym_key')) end
{%- endmacro %}
