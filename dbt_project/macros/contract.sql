{#- The contract of a raw dataset (sources/contracts), as `fdi sync-contracts`
    wrote it into the source's `meta.contract`: key, grain, kind, personal
    columns and identity roles. Models read it here instead of retyping it, so
    the contract stays declared once. While dbt parses (execute is false) the
    graph is not complete yet; the SQL is only rendered for real at run time. -#}
{% macro contract(agency, dataset) -%}
    {%- if execute and graph.sources is not defined -%}
        {#- a dbt unit test compiles without the sources' graph: its `overrides: vars:
            fdi_unit_test_contracts` gives the contracts it needs, {'agency.dataset': {...}} -#}
        {{ return(var('fdi_unit_test_contracts', {}).get(agency ~ '.' ~ dataset, {'key': [], 'grain': none, 'kind': none, 'pii': [], 'identity': {}})) }}
    {%- elif execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == 'raw_' ~ agency and node.name == dataset -%}
                {{ return(node.meta.contract) }}
            {%- endif -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error("source raw_" ~ agency ~ "." ~ dataset ~ " has no meta.contract: run `fdi sync-contracts`") }}
    {%- endif -%}
    {{ return({'key': [], 'grain': none, 'kind': none, 'pii': [], 'identity': {}}) }}
{%- endmacro %}

{#- The record's key as warehouse.md defines it for marts.enterprise_links:
    the contract's `key` columns, in contract order, joined with `|`, as
    delivered. The raw tables hold a repaired value (a tax code's lost
    leading zero or its dots, a name's NFD; README "Known defects" 1-2), and
    audit.repairs its value before: a row whose key the loader repaired takes
    that value back, so the key is the one the agency's own records carry.
    The few repaired rows are found by a hashed lookup of the dataset's
    key repairs, built once per query; only they read their values before.
    A personal key column's repair is stored hashed (`<column>_hash`): such
    a key keeps the value the warehouse holds. `row` names the relation with
    the raw `_delivery_id` and `_row_number` (every staging model's `source`). -#}
{% macro contract_source_key(agency, dataset, row='source') -%}
    {%- set key = contract(agency, dataset).key -%}
    {%- set as_loaded = [] -%}
    {%- for c in key %}{% do as_loaded.append(row ~ '.' ~ c) %}{% endfor -%}
    {%- if key -%}
    case when ({{ row }}._delivery_id, {{ row }}._row_number) in (
            select r.delivery_id, r.row_number from {{ source('audit', 'repairs') }} as r
            where r.agency = '{{ agency }}' and r.dataset = '{{ dataset }}'
              and r.column_name in ({% for c in key %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %}))
         then concat_ws('|', {% for c in key %}coalesce((
            select r.value_before from {{ source('audit', 'repairs') }} as r
            where r.delivery_id = {{ row }}._delivery_id and r.row_number = {{ row }}._row_number
              and r.agency = '{{ agency }}' and r.dataset = '{{ dataset }}' and r.column_name = '{{ c }}'
            limit 1), {{ row }}.{{ c }}::text){{ ', ' if not loop.last }}{% endfor %})
         else {{ source_key(as_loaded) }} end
    {%- else -%}
    {{ source_key(key) }}
    {%- endif -%}
{%- endmacro %}

{#- The column playing `role` (name, name_en, address, admin_area,
    industrial_zone_code) in a dataset's identity (local_rules.yaml
    `identity`), or the SQL null when the dataset has none. -#}
{% macro identity_column(agency, dataset, role) -%}
    {{ contract(agency, dataset).identity.get(role) or 'null' }}
{%- endmacro %}

{#- Post-hook of a public model incremental on an existing table
    (fct_customs_lines, enterprise_links): the column rules of its contract
    (not_null on its columns, named check constraints on the model) on the table it writes
    into. dbt states a contract's constraints only in the DDL of a table it
    creates, so a table an earlier version created, before a rule became a
    constraint, would never get it: this adds what is missing (one scan of
    the table the first time, then nothing, as the table already has them).
    Every row the build writes is then checked by PostgreSQL, not by a data
    test reading it again (docs/linked-warehouse.md, "Incremental builds"). -#}
{% macro contract_rules_on_existing_table() -%}
    {%- set not_null = [] -%}
    {%- for column in model.columns.values() -%}
        {%- for constraint in column.constraints if constraint.type == 'not_null' -%}
            {%- do not_null.append(column.name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {#- checks are stated on the model, where dbt's DDL names them (on a column it leaves the name to
        PostgreSQL, which takes it from the table dbt creates under a temporary name) -#}
    {%- set checks = model.constraints | selectattr('type', 'equalto', 'check') | list -%}
    {%- for check in checks if not check.name -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": a check constraint of an incremental model needs a name, so a later build can tell it is there") }}
    {%- endfor -%}
    {%- if not_null %}
    alter table {{ this }}
        {%- for name in not_null %}
        alter column {{ adapter.quote(name) }} set not null{{ "," if not loop.last }}
        {%- endfor %};
    {%- endif %}
    {%- for check in checks %}
    do $$ begin
        if not exists (select 1 from pg_constraint
                       where conrelid = '{{ this }}'::regclass and conname = '{{ check.name }}') then
            alter table {{ this }} add constraint {{ check.name }} check ({{ check.expression }});
        end if;
    end $$;
    {%- endfor %}
    {%- if not not_null and not checks %}
    select 'no column rule in the contract'
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of each public model incremental on an existing table
    (fct_customs_lines, enterprise_links, risk.flags, fis.project_reports):
    the other way round, NOT NULL dropped from each column its contract no longer
    requires (fct_customs_lines' is_related_party and partner_is_investor,
    NULL since 2026-12-07 when the register's investor rows are held in
    quarantine). A table an earlier version created keeps the constraint,
    and the build's insert would fail on the first NULL, so this runs
    before it. It reads the catalogue and alters only a column that still
    has one: nothing the second time. -#}
{% macro contract_relaxed_on_existing_table() -%}
    {%- set nullable = [] -%}
    {%- for column in model.columns.values() -%}
        {%- if not (column.constraints | selectattr('type', 'equalto', 'not_null') | list) -%}
            {%- do nullable.append(column.name) -%}
        {%- endif -%}
    {%- endfor %}
    do $$
    declare
        nullable_column text;
    begin
        for nullable_column in
            select a.attname from pg_attribute as a
            where a.attrelid = to_regclass('{{ this }}') and a.attnum > 0 and not a.attisdropped and a.attnotnull
              and a.attname = any (array[{% for name in nullable %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %}]::text[])
        loop
            execute format('alter table {{ this }} alter column %I drop not null', nullable_column);
        end loop;
    end $$;
{%- endmacro %}
