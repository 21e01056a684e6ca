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
        {%- set changed = run_query(
            "select format('%I.%I', schemaname, relname) from pg_stat_user_tables
             where (schemaname, relname) in (" ~ names | join(', ') ~ ")
               and (n_mod_since_analyze > 0 or coalesce(last_analyze, last_autoanalyze) is null)
             order by 1") -%}
        {%- for row in changed.rows -%}{%- do stale.append(row[0]) -%}{%- endfor -%}
    {%- endif -%}
    {%- if stale -%}
        analyze {{ stale | join(', ') }}
    {%- else -%}
        select 'no source table changed since its last analyze'
    {%- endif -%}
{%- endmacro %}
