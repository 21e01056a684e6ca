-- One row per registered project and report period: each quarter (YYYY-Qn)
-- and each year (YYYY) in which the project is in the investment register.
-- The periodic investment implementation report of Form A.III.1 (Circular
-- 03/2021/TT-BKHĐT), pre-filled from the agencies' data (Decision
-- 3055/QĐ-UBND, task 7.5).
--
-- Figures are the enterprise's, and every agency record reaches its
-- enterprise through entity resolution, not through its own tax code: the
-- marts facts (enterprise_id) or, for datasets without one, the staging rows
-- with their marts.enterprise_links (macro linked_records). So a land lease
-- or a labour employer delivered with only a name and address counts once it
-- is linked by `name_address`; an unmatched record counts for no project.
-- The project's enterprise is the register's: enterprise_id = 'EN' ||
-- tax_code, as in dim_project; a project with no tax code yet is not
-- incorporated (registry contract), has no agency records of its own and is
-- its own enterprise, whatever its name resembles.
-- A project whose enterprise carries several projects in the period gets the
-- share of its registered capital in the enterprise's registered capital
-- (`allocation_share`, `is_allocated`), since the agencies report per
-- enterprise, never per project.
-- NULL means no agency reported the figure for the enterprise and period,
-- never 0 (warehouse.md, fis).
--
-- The export ledger fis.export_revisions is written by `fdi export-fis`
-- (apps/fis_export.py) and never by dbt: created here if missing so the
-- first build on a fresh database can read it; a rebuild never drops it.
{{ config(pre_hook="
    create table if not exists fis.export_revisions (
        report_period text not null,
        revision integer not null,
        exported_at timestamptz not null,
        row_count integer not null,
        content_sha256 text not null,
        changed_projects text[] not null default '{}',
        changed_columns text[] not null default '{}',
        manifest_path text,
        primary key (report_period, revision)
    )") }}
with

register as (
    select * from {{ ref('stg_registry__projects') }}
),

-- Every snapshot month gives its quarter and its year.
register_periods as (
    select r.*, p.report_period, p.is_quarterly
    from register as r
    {{ fis_report_periods("to_date(r.snapshot_period, 'YYYY-MM')") }}
),

-- The project as the register stood at the end of the period (its latest
-- snapshot in the period).
project_periods as (
    select distinct on (project_code, report_period)
        project_code,
        report_period,
        is_quarterly,
        tax_code,
        {{ enterprise_id_from_tax_code('tax_code') }} as enterprise_id,  -- NULL with no tax code
        enterprise_name,
        issued_on,
        registered_capital_usd,
        snapshot_period
    from register_periods
    order by project_code, report_period, snapshot_period desc
),

-- Allocation rule: registered capital share among the enterprise's projects
-- of the same period; equal shares if the capital of all of them is 0.
allocated as (
    select
        pp.*,
        count(*) over enterprise_period as projects_of_enterprise,
        coalesce(
            pp.registered_capital_usd / nullif(sum(pp.registered_capital_usd) over enterprise_period, 0),
            1.0 / count(*) over enterprise_period
        ) as allocation_share
    from project_periods as pp
    -- a project not yet incorporated has no enterprise: it is its own
    window enterprise_period as (partition by coalesce(pp.enterprise_id, pp.project_code), pp.report_period)
),

-- Enterprise figures per agency, at quarter and year grain -------------------
capital as (
    select f.enterprise_id, p.report_period, sum(f.amount_usd) as capital_realized_usd
    from {{ ref('fct_capital_flows') }} as f
    {{ fis_report_periods('f.value_date') }}
    where f.flow_type = 'capital_contribution' and f.direction = 'inflow' and f.enterprise_id is not null
    group by 1, 2
),

-- CIT finalisation is annual: quarterly rows get no revenue or profit, never
-- a share of the year (the form's quarterly report has no such figure from
-- tax). A dependent unit filing under its own 13-digit code adds to its
-- enterprise, as in fct_enterprise_year.
cit as (
    select enterprise_id, fiscal_year::text as report_period,
           sum(revenue_vnd) as revenue_vnd, sum(profit_before_tax_vnd) as profit_before_tax_vnd
    from {{ ref('fct_tax_returns') }}
    where enterprise_id is not null
    group by 1, 2
),

trade as (
    select
        c.enterprise_id,
        p.report_period,
        sum(c.invoice_value_usd) filter (where c.flow = 'EX') as exports_usd,
        sum(c.invoice_value_usd) filter (where c.flow = 'IM') as imports_usd
    from {{ ref('fct_customs_lines') }} as c
    {{ fis_report_periods('c.registered_on') }}
    where c.enterprise_id is not null
    group by 1, 2
),

-- Labour: an enterprise's position summed over its social-insurance units
-- per month, then averaged over the months reported in the period.
employment_month as (
    select enterprise_id, period, sum(employees_total) as employees_total, sum(employees_foreign) as employees_foreign
    from {{ ref('fct_employment') }}
    where enterprise_id is not null
    group by 1, 2
),

employment as (
    select
        m.enterprise_id,
        p.report_period,
        avg(m.employees_total) as employees_total,
        avg(m.employees_foreign) as employees_foreign
    from employment_month as m
    {{ fis_report_periods("to_date(m.period, 'YYYY-MM')") }}
    group by 1, 2
),

payments as (
    select t.enterprise_id, p.report_period, sum(t.amount_paid_vnd) as taxes_paid_vnd
    from ({{ linked_records('tax', 'payments') }}) as t
    {{ fis_report_periods("to_date(t.period, 'YYYY-MM')") }}
    where t.enterprise_id is not null
    group by 1, 2
),

-- Land: leases in force at the period's latest snapshot.
leases as (
    select l.enterprise_id, l.snapshot_period, l.area_m2, l.status, p.report_period
    from ({{ linked_records('land', 'leases') }}) as l
    {{ fis_report_periods("to_date(l.snapshot_period, 'YYYY-MM')") }}
),

last_lease_snapshot as (
    select report_period, max(snapshot_period) as snapshot_period
    from leases
    group by 1
),

land as (
    select l.enterprise_id, l.report_period, sum(l.area_m2) filter (where l.status = 'active') as leased_area_m2
    from leases as l
    join last_lease_snapshot as s on s.report_period = l.report_period and s.snapshot_period = l.snapshot_period
    where l.enterprise_id is not null
    group by 1, 2
),

ledger as (
    select report_period, max(revision) as revision
    from {{ source('fis', 'export_revisions') }}
    group by 1
),

joined as (
    select
        a.project_code,
        a.tax_code,
        a.enterprise_name,
        a.report_period,
        a.is_quarterly,
        a.issued_on,
        a.projects_of_enterprise,
        a.allocation_share,
        c.capital_realized_usd,
        case when not a.is_quarterly then cit.revenue_vnd end as revenue_vnd,
        case when not a.is_quarterly then cit.profit_before_tax_vnd end as profit_before_tax_vnd,
        t.exports_usd,
        t.imports_usd,
        e.employees_total,
        e.employees_foreign,
        pay.taxes_paid_vnd,
        l.leased_area_m2,
        concat_ws(',',
            case when c.enterprise_id is not null then 'fx' end,
            case when t.enterprise_id is not null then 'customs' end,
            case when l.enterprise_id is not null then 'land' end,
            case when e.enterprise_id is not null then 'labour' end,
            'registry',
            case when pay.enterprise_id is not null or (cit.enterprise_id is not null and not a.is_quarterly) then 'tax' end
        ) as sources,
        coalesce(ledger.revision, 0) as revision
    from allocated as a
    left join capital as c on c.enterprise_id = a.enterprise_id and c.report_period = a.report_period
    left join cit on cit.enterprise_id = a.enterprise_id and cit.report_period = a.report_period
    left join trade as t on t.enterprise_id = a.enterprise_id and t.report_period = a.report_period
    left join employment as e on e.enterprise_id = a.enterprise_id and e.report_period = a.report_period
    left join payments as pay on pay.enterprise_id = a.enterprise_id and pay.report_period = a.report_period
    left join land as l on l.enterprise_id = a.enterprise_id and l.report_period = a.report_period
    left join ledger on ledger.report_period = a.report_period
),

-- Cumulative capital since the certificate: the project's own (allocated)
-- contributions of every quarter from its issue through this period, as far
-- back as fx deliveries reach. An annual row carries the cumulative at year end.
quarterly_cumulative as (
    select
        project_code,
        report_period,
        left(report_period, 4) as year,
        case when count(capital_realized_usd) over upto > 0 then
            sum(coalesce(capital_realized_usd * allocation_share, 0)) over upto
        end as capital_realized_cum_usd
    from joined
    where is_quarterly
    window upto as (partition by project_code order by report_period
                    rows between unbounded preceding and current row)
),

cumulative as (
    select project_code, report_period, capital_realized_cum_usd from quarterly_cumulative
    union all
    select project_code, year, capital_realized_cum_usd
    from (
        select distinct on (project_code, year) project_code, year, capital_realized_cum_usd
        from quarterly_cumulative
        order by project_code, year, report_period desc
    ) as year_end
)

select
    j.project_code::text as project_code,
    j.tax_code::text as tax_code,
    j.enterprise_name::text as enterprise_name,
    j.report_period::text as report_period,
    (case when j.is_quarterly then 'quarter' else 'year' end)::text as period_kind,
    round(j.capital_realized_usd * j.allocation_share, 2)::numeric(18, 2) as capital_realized_usd,
    round(cum.capital_realized_cum_usd, 2)::numeric(18, 2) as capital_realized_cum_usd,
    round(j.revenue_vnd * j.allocation_share)::numeric(20, 0) as revenue_vnd,
    round(j.profit_before_tax_vnd * j.allocation_share)::numeric(20, 0) as profit_before_tax_vnd,
    round(j.exports_usd * j.allocation_share, 2)::numeric(18, 2) as exports_usd,
    round(j.imports_usd * j.allocation_share, 2)::numeric(18, 2) as imports_usd,
    round(j.employees_total * j.allocation_share, 1)::numeric(12, 1) as employees_total,
    round(j.employees_foreign * j.allocation_share, 1)::numeric(12, 1) as employees_foreign,
    round(j.taxes_paid_vnd * j.allocation_share)::numeric(20, 0) as taxes_paid_vnd,
    round(j.leased_area_m2 * j.allocation_share, 2)::numeric(16, 2) as leased_area_m2,
    round(j.allocation_share, 6)::numeric(9, 6) as allocation_share,
    (j.projects_of_enterprise > 1)::boolean as is_allocated,
    j.sources::text as sources,
    j.revision::integer as revision
from joined as j
left join cumulative as cum on cum.project_code = j.project_code and cum.report_period = j.report_period
