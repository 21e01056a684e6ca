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

{#- Hook: delete the rows whose `key` (indexed in this table) is no longer
    in `current`. The keys this table holds are read off its index one
    distinct key at a time (a loose index scan: a lookup per key, a few
    thousand), and each is looked for in `current` (by its index, when
    `current` is large). An anti-join of every row against `current` read all
    of them each build to find, most months, none: int_name_pairs_compared's
    5.6 million pairs against the groups (1.4 s at 5,000 enterprises over two
    years), int_name_candidates_scored's half a million candidates against
    the pairs (2.0 s, the pairs hashed to disk). For keys that are never NULL
    (hashes: a NULL key would be skipped, where the anti-join deleted it). -#}
{% macro delete_where_key_has_gone(key, current) -%}
    with recursive seen as (
        (select {{ key }} from {{ this }} order by {{ key }} limit 1)
        union all
        select (select t.{{ key }} from {{ this }} as t
                where t.{{ key }} > s.{{ key }} order by t.{{ key }} limit 1)
        from seen as s
        where s.{{ key }} is not null
    )
    delete from {{ this }}
    where {{ key }} in (
        select s.{{ key }} from seen as s
        where s.{{ key }} is not null
          and not exists (select 1 from {{ current }} as c where c.{{ key }} = s.{{ key }}))
{%- endmacro %}

{#- Incremental by period on an inputs fingerprint (the customs years, the
    network's years): `inputs` is SQL giving one row per period (column
    `key`) with its `inputs_fingerprint`, and the model stores both. The
    pre-hook deletes the periods whose fingerprint changed or that are gone;
    the model builds `periods_to_build`, the periods it does not hold (every
    period when built in full), and appends them, so it equals a full
    refresh. -#}
{% macro delete_periods_whose_inputs_changed(inputs, key) -%}
    {% if is_incremental() %}
    delete from {{ this }} as t
    where not exists (select 1 from ({{ inputs }}) as y
                      where y.{{ key }} = t.{{ key }} and y.inputs_fingerprint = t.inputs_fingerprint)
    {% else %}select 'built in full: nothing to delete'{% endif %}
{%- endmacro %}

{% macro periods_to_build(inputs, key) -%}
    select y.{{ key }}, y.inputs_fingerprint
    from ({{ inputs }}) as y
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} as t where t.{{ key }} = y.{{ key }})
    {% endif %}
{%- endmacro %}

{#- A table rebuilt whole when the fingerprint of its inputs changed, and
    left as it is otherwise, so a build with nothing new writes nothing (the
    network's trade partners, which a month changes for every trading
    enterprise at once, so a month rebuilds them all). `inputs` is SQL
    giving one row with `inputs_fingerprint`, which the model stores on every
    row. The pre-hook empties the table when the fingerprint differs; the
    model's rows are built only into an empty table (`unless_built`), so it
    equals a full refresh. A table built before it stored the fingerprint
    gets the column and is emptied (before dbt compares the columns: a
    pre-hook runs first), so it is rebuilt whole. -#}
{% macro delete_all_if_inputs_changed(inputs) -%}
    {%- if not is_incremental() -%}
    select 'built in full: nothing to delete'
    {%- elif lacks_inputs_fingerprint() -%}
    {{ add_inputs_fingerprint_and_empty() }}
    {%- else -%}
    -- every row holds the one fingerprint the table was built with, so one row tells it: when it holds, the
    -- planner's one-time filter skips the table instead of comparing every row
    delete from {{ this }}
    where (select t.inputs_fingerprint from {{ this }} as t limit 1)
          is distinct from (select i.inputs_fingerprint from ({{ inputs }}) as i)
    {%- endif -%}
{%- endmacro %}

{% macro unless_built() -%}
    {% if is_incremental() %}where not exists (select 1 from {{ this }}){% else %}where true{% endif %}
{%- endmacro %}

{#- Whether this table was built before its model stored `inputs_fingerprint`
    (an incremental model whose fingerprint came later). -#}
{% macro lacks_inputs_fingerprint() -%}
    {{ return('inputs_fingerprint' not in adapter.get_columns_in_relation(this) | map(attribute='name') | list) }}
{%- endmacro %}

{#- Pre-hook of such a table: the column added, every row deleted, so the
    build writes it whole with its fingerprint (a pre-hook runs before dbt
    compares the columns, so on_schema_change='fail' sees them already). -#}
{% macro add_inputs_fingerprint_and_empty() -%}
    alter table {{ this }} add column inputs_fingerprint text;
    delete from {{ this }}
{%- endmacro %}
