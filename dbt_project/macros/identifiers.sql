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

{#- The 10-digit enterprise code a tax code as delivered names, or NULL: the
    loader's safe repairs (sources/taxcode.py: spaces and dots dropped, the
    leading zero Excel lost put back, a 13-digit code read as a branch), then
    python-stdnum's check of the 10 digits (digits 3-9 not all zero, the
    check digit). For rows the loader held back (audit.quarantine), whose
    code never reached staging; a branch's own suffix is not judged, so a row
    of a valid enterprise with a broken branch suffix still names it. -#}
{% macro tax_code_parent_as_delivered(value) -%}
    (select case
        when p.code ~ '^[0-9]{10}$' and substr(p.code, 3, 7) <> '0000000'
         and substr(p.code, 10, 1) = (10 - (31 * substr(p.code, 1, 1)::int + 29 * substr(p.code, 2, 1)::int
                                            + 23 * substr(p.code, 3, 1)::int + 19 * substr(p.code, 4, 1)::int
                                            + 17 * substr(p.code, 5, 1)::int + 13 * substr(p.code, 6, 1)::int
                                            + 7 * substr(p.code, 7, 1)::int + 5 * substr(p.code, 8, 1)::int
                                            + 3 * substr(p.code, 9, 1)::int) % 11)::text
        then p.code end
     from (select case when c.compact ~ '^[0-9]{9}(-?[0-9]{3})?$' then left('0' || replace(c.compact, '-', ''), 10)
                       when c.compact ~ '^[0-9]{10}(-?[0-9]{3})?$' then left(c.compact, 10) end as code
           from (select regexp_replace({{ value }}, '[[:space:].]', '', 'g') as compact) as c) as p)
{%- endmacro %}

{#- The first nine digits of a tax code as delivered (every other character
    dropped), for rows the loader held back: the tenth is the check digit, so
    a code mistyped there is still the enterprise's. CAP01 attributes a
    quarantined contribution by it, REL01 a disclosure line held back. -#}
{% macro tax_code_stem_as_delivered(value) -%}
    left(regexp_replace({{ value }}, '[^0-9]', '', 'g'), 9)
{%- endmacro %}
