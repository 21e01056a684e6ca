{#- The two report periods of Form A.III.1 (Circular 03/2021/TT-BKHĐT) a day
    falls in: its quarter `YYYY-Qn` (is_quarterly) and its year `YYYY`. A
    lateral join: each input row comes out once per period. -#}
{% macro fis_report_periods(day) -%}
    cross join lateral (values
        (to_char({{ day }}, 'YYYY') || '-Q' || extract(quarter from {{ day }})::int, true),
        (to_char({{ day }}, 'YYYY'), false)
    ) as p (report_period, is_quarterly)
{%- endmacro %}

{#- The report periods of fis.project_reports with their bounds and the
    fingerprint of every input a period's rows are built from, so the model
    rebuilds only the periods whose inputs changed (a month's delivery: its
    quarter and its year) and equals a full refresh:
      * the deliveries in force of the datasets it reads: those of the
        period's months (customs, labour employment, tax payments), the
        year's CIT returns, and every month up to the period's end of those
        a period carries forward (the register snapshot, the last land
        snapshot) or sums from the start (fx capital, for the cumulative
        capital; fx central rates, which put its flows in USD);
      * for the records linked by name and address, which entity resolution
        can link again without a new delivery, a hash of each delivery's
        links;
      * the coverage rows of the period's months and year (what
        missing_inputs says) and the period's latest revision in the export
        ledger (revision);
      * the quarantined records of the period's months and year and the
        enterprise or project each is attributed to
        (int_quarantined_records_attributed, named in missing_inputs). The
        quarantine rows themselves belong to their delivery, written in its
        transaction, so its id above already covers them; but a row without
        a usable tax code reaches its enterprise through the links of its
        labour unit's or lease's rows of other months, which entity
        resolution can change with no delivery of this period.
    Report periods: the quarters and years of every register snapshot and of
    every month the agreement expects from the first snapshot on, so a
    quarter without a register snapshot of its own still has its projects. -#}
{% macro fis_period_inputs() -%}
    with

    register_months as (
        select distinct snapshot_period as month from {{ ref('stg_registry__projects') }}
    ),

    coverage as (
        select agency, dataset, period, grain, status from {{ ref('dataset_coverage') }}
    ),

    report_periods as (
        select distinct p.report_period, p.is_quarterly
        from (
            select month from register_months
            union
            select c.period from coverage as c
            where c.grain = 'month' and c.period >= (select min(month) from register_months)
        ) as m
        {{ fis_report_periods("to_date(m.month, 'YYYY-MM')") }}
    ),

    bounds as (
        select
            report_period,
            is_quarterly,
            to_char(first_day, 'YYYY-MM') as first_month,
            to_char(first_day + (case when is_quarterly then interval '2 months' else interval '11 months' end),
                    'YYYY-MM') as last_month
        from (
            select report_period, is_quarterly,
                   case when is_quarterly then make_date(left(report_period, 4)::int, right(report_period, 1)::int * 3 - 2, 1)
                        else make_date(report_period::int, 1, 1) end as first_day
            from report_periods
        ) as b
    ),

    relinkable as (
        {{ relinkable_links_by_delivery() }}
    ),

    -- materialized: read below once per report period, and inlined there it
    -- hashed every relinkable link again for each period (10 times over two
    -- years, 30 over six): 6.7 s of project_reports' select with nothing new
    -- at 15,000 enterprises, 0.8 s materialized
    deliveries as materialized (
        select d.agency, d.dataset, d.period,
               d.agency || '/' || d.dataset || ' ' || d.period || ' ' || d.delivery_id || coalesce(' ' || r.links, '') as input,
               (d.agency, d.dataset) in (('fx', 'capital_flows'), ('fx', 'central_rates'), ('registry', 'projects'),
                                         ('land', 'leases')) as up_to_period_end
        from {{ source('audit', 'deliveries') }} as d
        left join relinkable as r using (delivery_id)
        where d.status = 'loaded'
          and (d.agency, d.dataset) in (('fx', 'capital_flows'), ('fx', 'central_rates'), ('customs', 'declarations'),
                                        ('labour', 'employment'), ('tax', 'payments'), ('tax', 'cit_returns'),
                                        ('registry', 'projects'), ('land', 'leases'))
    ),

    ledger as (
        select report_period, max(revision) as revision
        from {{ ref('stg_fis_exports__export_revisions') }}
        group by 1
    ),

    -- one string per month (or year) of what its quarantined records are attributed to
    quarantined as materialized (
        select period,
               string_agg(agency || '/' || dataset || ' ' || delivery_id || ':' || row_number || '>'
                          || coalesce(enterprise_id, '') || '/' || coalesce(project_code, ''), ','
                          order by agency, dataset, delivery_id, row_number, enterprise_id) as attributed
        from {{ ref('int_quarantined_records_attributed') }}
        where dataset <> 'investors'  -- no input of the reports (project_reports)
        group by 1
    )

    select
        b.report_period,
        b.is_quarterly,
        b.first_month,
        b.last_month,
        md5(concat_ws('|',
            -- the version of what a period's rows hold: raised with a change of project_reports' SQL, it
            -- changes every period's fingerprint, so the next build rebuilds them all (no --full-refresh)
            'rows v3',
            (select string_agg(d.input, ',' order by d.input) from deliveries as d
             where case when d.up_to_period_end then d.period <= b.last_month
                        when d.dataset = 'cit_returns' then d.period = left(b.report_period, 4)
                        else d.period between b.first_month and b.last_month end),
            (select string_agg(c.agency || '/' || c.dataset || ' ' || c.period || ' ' || c.status, ','
                               order by c.agency, c.dataset, c.period)
             from coverage as c
             where c.period between b.first_month and b.last_month or c.period = left(b.report_period, 4)),
            (select l.revision::text from ledger as l where l.report_period = b.report_period),
            (select string_agg(q.attributed, ',' order by q.period) from quarantined as q
             where q.period between b.first_month and b.last_month or q.period = left(b.report_period, 4))
        )) as inputs_fingerprint
    from bounds as b
{%- endmacro %}

{#- Pre-hook of fis.project_reports: delete the periods whose inputs
    changed or that are gone; the build then appends the periods missing. A
    table an earlier version built, before the fingerprint, gets the column
    and is rebuilt whole. -#}
{% macro fis_delete_periods_rebuilt() -%}
    {%- if not is_incremental() -%}
    select 'built in full: nothing to delete'
    {%- elif lacks_inputs_fingerprint() -%}
    {{ add_inputs_fingerprint_and_empty() }}
    {%- else -%}
    delete from {{ this }} as t
    where not exists (select 1 from ({{ fis_period_inputs() }}) as p
                      where p.report_period = t.report_period and p.inputs_fingerprint = t.inputs_fingerprint)
    {%- endif -%}
{%- endmacro %}
