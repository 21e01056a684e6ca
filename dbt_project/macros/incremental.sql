{#- Incremental by delivery (docs/linked-warehouse.md, "Incremental builds").
    A delivery's rows never change: a correction is a new delivery that
    supersedes the old one (audit.deliveries). So a model keyed by delivery
    appends the deliveries in force it has not seen and deletes those no
    longer in force; it then holds exactly what a full refresh would. -#}

{#- The deliveries in force (`loaded`) with no row in `relation` yet; every
    delivery in force when the model is built in full. -#}
{% macro deliveries_not_yet_in(relation) -%}
    select d.delivery_id, d.agency, d.dataset, d.period
    from {{ ref('stg_audit__deliveries') }} as d
    where d.status = 'loaded'
    {%- if is_incremental() %}
      and not exists (select 1 from {{ relation }} as seen where seen.delivery_id = d.delivery_id)
    {%- endif %}
{%- endmacro %}

{#- Pre-hook: delete the rows of deliveries no longer in force (superseded
    by a correction) before the build appends what replaced them. -#}
{% macro delete_records_out_of_force() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as t
    using {{ ref('stg_audit__deliveries') }} as d
    where d.delivery_id = t.delivery_id and d.status <> 'loaded'
    {%- else -%}
    select 'built in full: nothing to delete'
    {%- endif -%}
{%- endmacro %}
