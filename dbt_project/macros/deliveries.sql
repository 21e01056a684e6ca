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

{#- Per delivery, a hash of the links of its records linked by name and
    address (found by the name_group_id index of marts.enterprise_links):
    entity resolution can link such a record again without a new delivery,
    so a model built a period at a time (fis.project_reports,
    intermediate.int_relationship_years) puts this in its periods'
    fingerprints. A record linked by its tax code keeps its link. -#}
{% macro relinkable_links_by_delivery() -%}
    select delivery_id, sum(hashtextextended(row_number || ':' || coalesce(enterprise_id, '-'), 0)::numeric) as links
    from {{ ref('enterprise_links') }}
    where name_group_id is not null
    group by delivery_id
{%- endmacro %}
