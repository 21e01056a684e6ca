{#- Planner statistics for the tables a build reads but did not write.
    `fdi run` and the bench build right after a load: the raw tables then
    hold rows autovacuum has not sampled yet, the planner guesses one row per
    join and nests loops over the staging views (fct_customs_lines took 65 s
    for 45,000 lines at 100 enterprises). Only tables changed since their
    last analyze are sampled, so a monthly build analyzes what the month
    loaded. Tables dbt builds are analyzed by their own post-hook
    (dbt_project.yml). -#}
{% macro analyze_changed_sources() -%}
    {%- set stale = [] -%}
    {%- if execute -%}
        {%- set names = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- do names.append("('" ~ source.schema ~ "', '" ~ source.identifier ~ "')") -%}
        {%- endfor -%}
        {#- A source kept one partition per delivery (raw customs, warehouse/bootstrap.py) changes in its
            partitions: each changed one is sampled, and the table as a whole `only` (its own statistics,
            which the full build's plans read, without sampling every partition again: PostgreSQL 18; an
            older server keeps the partitions' statistics only, since a plain `analyze` of the table would
            sample all of them every month). -#}
        {%- set changed = run_query(
            "with sources (schemaname, relname) as (values " ~ names | join(', ') ~ "),
             tables as (
                 select t.relid, t.schemaname, t.relname, c.relkind, t.n_mod_since_analyze,
                        coalesce(t.last_analyze, t.last_autoanalyze) as analyzed,
                        (select i.inhparent from pg_inherits as i where i.inhrelid = t.relid) as parent
                 from pg_stat_user_tables as t join pg_class as c on c.oid = t.relid
             ),
             stale as (
                 select t.* from tables as t
                 where ((t.schemaname, t.relname) in (select * from sources)
                        or t.parent in (select p.relid from tables as p
                                        where (p.schemaname, p.relname) in (select * from sources)))
                   and t.relkind <> 'p' and (t.n_mod_since_analyze > 0 or t.analyzed is null)
             )
             select format('%I.%I', schemaname, relname) from stale
             union all
             select 'only ' || format('%I.%I', p.schemaname, p.relname) from tables as p
             where p.relkind = 'p' and current_setting('server_version_num')::int >= 180000
               and p.relid in (select parent from stale)
             order by 1") -%}
        {%- for row in changed.rows -%}{%- do stale.append(row[0]) -%}{%- endfor -%}
    {%- endif -%}
    {%- if stale -%}
        analyze {{ stale | join(', ') }}
    {%- else -%}
        select 'no source table changed since its last analyze'
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the tables dbt builds (dbt_project.yml): analyze the table
    when this build's transaction wrote to it, or it has never been analyzed.
    A table built whole is new, so it always is; an incremental model that
    found nothing to do keeps its statistics, which still describe it (a
    build after one agency's delivery leaves most of them untouched, and
    sampling them again cost 3.1 s of node time with nothing new at 5,000
    enterprises). The transaction's counts include the pre-hook's deletes
    (same transaction). They can also include an earlier transaction of the
    same connection whose statistics are not yet flushed: that only adds an
    analyze, never skips one. -#}
{% macro analyze_if_written() -%}
    do $analyze$
    begin
        if pg_stat_get_xact_tuples_inserted('{{ this }}'::regclass)
           + pg_stat_get_xact_tuples_updated('{{ this }}'::regclass)
           + pg_stat_get_xact_tuples_deleted('{{ this }}'::regclass) > 0
           or coalesce(pg_stat_get_last_analyze_time('{{ this }}'::regclass),
                       pg_stat_get_last_autoanalyze_time('{{ this }}'::regclass)) is null then
            analyze {{ this }};
        end if;
    end
    $analyze$
{%- endmacro %}
