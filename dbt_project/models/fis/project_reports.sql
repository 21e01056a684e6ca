-- One row per registered project and report period: each quarter (YYYY-Qn)
-- and each year (YYYY) in which the project is in the investment register.
-- The periodic investment implementation report of Form A.III.1 (Circular
-- 03/2021/TT-BKHĐT), pre-filled from the agencies' data (Decision
-- 3055/QĐ-UBND, task 7.5).
--
-- Figures are the enterprise's (tax code); a project whose enterprise carries
-- several projects in the period gets the share of its registered capital in
-- the enterprise's registered capital (`allocation_share`, `is_allocated`),
-- since the agencies report per enterprise, never per project.
-- NULL means no agency reported the figure for the enterprise and period,
-- never 0 (warehouse.md, fis).
--
-- The export ledger fis.export_revisions is written by `fdi export-fis`
-- (pipelines/fis_export.py) and never by dbt: created here if missing so the
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
    select
        r.*,
        p.report_period,
        p.is_quarterly
    from register as r
    cross join lateral (
        values
            (left(r.snapshot_period, 4) || '-Q' || extract(quarter from to_date(r.snapshot_period, 'YYYY-MM'))::int, true),
            (left(r.snapshot_period, 4), false)
    ) as p (report_period, is_quarterly)
),

-- The project as the register stood at the end of the period (its latest
-- snapshot in the period).
project_periods as (
    select distinct on (project_code, report_period)
        project_code,
        report_period,
        is_quarterly,
        tax_code,
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
    -- a project not yet incorporated has no tax code: it is its own enterprise
    window enterprise_period as (partition by coalesce(pp.tax_code, pp.project_code), pp.report_period)
),

-- Enterprise figures per agency, at quarter and year grain -------------------
capital as (
    select tax_code, p.report_period, sum(amount_usd) as capital_realized_usd
    from {{ ref('stg_fx__capital_flows') }}
    cross join lateral (values
        (to_char(value_date, 'YYYY') || '-Q' || extract(quarter from value_date)::int),
        (to_char(value_date, 'YYYY'))) as p (report_period)
    where flow_type = 'capital_contribution' and direction = 'inflow' and tax_code is not null
    group by 1, 2
),

-- CIT finalisation is annual: quarterly rows get no revenue or profit, never
-- a share of the year (the form's quarterly report has no such figure from tax).
cit as (
    select tax_code, fiscal_year::text as report_period, revenue_vnd, profit_before_tax_vnd
    from {{ ref('stg_tax__cit_returns') }}
    where tax_code is not null
),

trade as (
    select
        tax_code,
        p.report_period,
        sum(invoice_value_usd) filter (where flow = 'EX') as exports_usd,
        sum(invoice_value_usd) filter (where flow = 'IM') as imports_usd
    from {{ ref('stg_customs__declarations') }}
    cross join lateral (values
        (to_char(registered_on, 'YYYY') || '-Q' || extract(quarter from registered_on)::int),
        (to_char(registered_on, 'YYYY'))) as p (report_period)
    where tax_code is not null
    group by 1, 2
),

-- Labour: an employer's position summed over its social-insurance units per
-- month, then averaged over the months reported in the period.
employment_month as (
    select tax_code, period, sum(employees_total) as employees_total, sum(employees_foreign) as employees_foreign
    from {{ ref('stg_labour__employment') }}
    where tax_code is not null
    group by 1, 2
),

employment as (
    select
        tax_code,
        p.report_period,
        avg(employees_total) as employees_total,
        avg(employees_foreign) as employees_foreign
    from employment_month
    cross join lateral (values
        (left(period, 4) || '-Q' || extract(quarter from to_date(period, 'YYYY-MM'))::int),
        (left(period, 4))) as p (report_period)
    group by 1, 2
),

payments as (
    select tax_code, p.report_period, sum(amount_paid_vnd) as taxes_paid_vnd
    from {{ ref('stg_tax__payments') }}
    cross join lateral (values
        (left(period, 4) || '-Q' || extract(quarter from to_date(period, 'YYYY-MM'))::int),
        (left(period, 4))) as p (report_period)
    where tax_code is not null
    group by 1, 2
),

-- Land: leases in force at the period's latest snapshot.
lease_snapshots as (
    select
        l.tax_code,
        p.report_period,
        l.snapshot_period,
        l.area_m2,
        l.status,
        max(l.snapshot_period) over (partition by p.report_period) as last_snapshot
    from {{ ref('stg_land__leases') }} as l
    cross join lateral (values
        (left(snapshot_period, 4) || '-Q' || extract(quarter from to_date(snapshot_period, 'YYYY-MM'))::int),
        (left(snapshot_period, 4))) as p (report_period)
    where l.tax_code is not null
),

land as (
    select tax_code, report_period, sum(area_m2) filter (where status = 'active') as leased_area_m2
    from lease_snapshots
    where snapshot_period = last_snapshot
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
            case when c.tax_code is not null then 'fx' end,
            case when t.tax_code is not null then 'customs' end,
            case when l.tax_code is not null then 'land' end,
            case when e.tax_code is not null then 'labour' end,
            'registry',
            case when pay.tax_code is not null or (cit.tax_code is not null and not a.is_quarterly) then 'tax' end
        ) as sources,
        coalesce(ledger.revision, 0) as revision
    from allocated as a
    left join capital as c on c.tax_code = a.tax_code and c.report_period = a.report_period
    left join cit on cit.tax_code = a.tax_code and cit.report_period = a.report_period
    left join trade as t on t.tax_code = a.tax_code and t.report_period = a.report_period
    left join employment as e on e.tax_code = a.tax_code and e.report_period = a.report_period
    left join payments as pay on pay.tax_code = a.tax_code and pay.report_period = a.report_period
    left join land as l on l.tax_code = a.tax_code and l.report_period = a.report_period
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
