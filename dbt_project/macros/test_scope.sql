{#- What a data test reads (docs/linked-warehouse.md, "Incremental builds").

    A monthly build writes one month into the incremental models, so their
    tests read the rows of the deliveries this build brought in: every data
    test has `where: __new_deliveries__` (dbt_project.yml), which resolves
    here, per tested relation:
      * a relation listed in var `fdi_tested_by_new_deliveries` (it has a
        `delivery_id` column and an index on it), in a `dbt build` or `dbt
        run`: the rows of the deliveries loaded since the last build that
        passed (audit.dbt_builds, created by the bootstrap), so a failed build's deliveries are
        tested again by the next one;
      * anything else, `dbt test` on its own, `--full-refresh`, or var
        `fdi_full_tests` true (`fdi run --full-tests`, the nightly
        `nightly_full_tests` schedule): every row.
    A test that reconciles totals opts out with `where: __every_row__`; one
    that reconciles per delivery scopes itself (rows_match_raw_in_force
    with `per_delivery`, through build_new_deliveries). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == '__new_deliveries__' -%}
        {%- set where = new_deliveries_filter(relation) -%}
    {%- elif where == '__every_row__' -%}
        {%- set where = none -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro new_deliveries_filter(relation) -%}
    {%- if relation.identifier not in var('fdi_tested_by_new_deliveries', []) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set ids = build_new_deliveries() -%}
    {{- return(none if ids is none else delivery_in(ids)) -}}
{%- endmacro %}

{#- The deliveries in force loaded since the last build that passed, as a list of ids: what a build's data
    tests read. None when every row is tested: `dbt test` on its own, `--full-refresh`, var
    `fdi_full_tests`, or no build record. -#}
{% macro build_new_deliveries() -%}
    {%- if var('fdi_full_tests', false) or flags.FULL_REFRESH or not records_builds() or not builds_recorded() -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- Looked up once, when the test is compiled, and written into it as literals (delivery_in): the
        planner then knows how many rows they hold (a subquery's array it cannot see into, and at 5,000
        enterprises it chose a scan of every customs line over the index, 2 s for each of 20 tests of a
        build that brought nothing). -#}
    {%- set query -%}
    select d.delivery_id from audit.deliveries as d
    where d.status = 'loaded'
      and d.loaded_at > coalesce((
          select max(b.loaded_until) from {{ builds_table() }} as b
          where b.succeeded
            and b.started_at < (select started_at from {{ builds_table() }}
                                where invocation_id = '{{ invocation_id }}')
      ), '-infinity')
    order by 1
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}

{#- `column in (the ids)`, the ids as literals; `false` for none (the test reads nothing). -#}
{% macro delivery_in(ids, column='delivery_id') -%}
    {%- if ids | length == 0 -%}
        {{- return('false') -}}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for id in ids -%}{%- do quoted.append("'" ~ (id | replace("'", "''")) ~ "'") -%}{%- endfor -%}
    {{- return(column ~ ' in (' ~ (quoted | join(', ')) ~ ')') -}}
{%- endmacro %}

{#- Only builds write models, so only they narrow their tests to what they wrote. -#}
{% macro records_builds() -%}
    {{- return(flags.WHICH in ['build', 'run']) -}}
{%- endmacro %}

{% macro builds_table() -%}
    {{- return(api.Relation.create(database=target.database, schema='audit', identifier='dbt_builds')) -}}
{%- endmacro %}

{#- The record exists once the bootstrap has run (warehouse/builds.sql); a
    database dbt reaches without it tests every row rather than failing. -#}
{% macro builds_recorded() -%}
    {%- if not execute -%}{{- return(false) -}}{%- endif -%}
    {{- return(adapter.get_relation(database=target.database, schema='audit', identifier='dbt_builds') is not none) -}}
{%- endmacro %}

{#- on-run-start: note the build and the newest delivery it can see. -#}
{% macro record_build_start() -%}
    {%- if records_builds() and builds_recorded() -%}
    insert into {{ builds_table() }} (invocation_id, started_at, loaded_until)
    select '{{ invocation_id }}', clock_timestamp(), max(loaded_at) from audit.deliveries
    {%- else -%}
    select 'not a build: nothing recorded'
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: a build that built every model listed in
    fdi_tested_by_new_deliveries, with no error and no failed test, has
    tested their rows up to its deliveries; a build of a selection has not. -#}
{% macro record_build_end(results) -%}
    {%- if records_builds() and builds_recorded() -%}
    {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
    {%- set built = results | map(attribute='node') | map(attribute='name') | list -%}
    {%- set missing = var('fdi_tested_by_new_deliveries', []) | reject('in', built) | list -%}
    update {{ builds_table() }} set succeeded = {{ 'false' if failed or missing else 'true' }}
    where invocation_id = '{{ invocation_id }}'
    {%- else -%}
    select 'not a build: nothing recorded'
    {%- endif -%}
{%- endmacro %}
