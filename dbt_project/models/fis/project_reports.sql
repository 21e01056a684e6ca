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
-- A period is complete for a project when every input is in force
-- (marts.dataset_coverage) and none of its enterprise's records in them is
-- in quarantine (int_quarantined_records_attributed): missing_inputs names
-- both, and the export refuses the period (docs/fis-and-kpi.md).
--
-- `revision` is the latest revision of the period in the export ledger
-- fis.export_revisions when this table is built. The ledger is written by
-- `fdi export-fis` only (created by the bootstrap, warehouse/exports.sql) and
-- is current at once; an export shows here from the next build on.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ contract_relaxed_on_existing_table() }}", "{{ fis_delete_periods_rebuilt() }}"],
    post_hook="{{ contract_rules_on_existing_table() }}",
) }}

with

-- Every report period, its bounds and its inputs' fingerprint (macros/fis.sql)
periods as materialized (
    {{ fis_period_inputs() }}
),

-- the periods this build writes: those the pre-hook deleted or never built
-- (a month's deliveries: their quarter and their year)
periods_to_build as materialized (
    select p.report_period, p.inputs_fingerprint
    from periods as p
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} as t where t.report_period = p.report_period)
    {% endif %}
),

-- the first and last month whose records those periods sum: as two values
-- (scalar subqueries), the readers of the monthly facts filter on them
-- before anything else; the periods to build then keep what is theirs
months_to_build as materialized (
    select min(p.first_month) as first_month, max(p.last_month) as last_month
    from periods as p
    where p.report_period in (select b.report_period from periods_to_build as b)
),

-- the register, when there is a period to build (a build that has none reads nothing)
register as (
    select * from {{ ref('stg_registry__projects') }}
    where exists (select 1 from periods_to_build)
),

coverage as (
    select agency, dataset, period, grain, status from {{ ref('dataset_coverage') }}
),

report_bounds as (
    select report_period, is_quarterly, first_month, last_month from periods
),

-- A snapshot describes the register until the next one: a period uses its
-- own snapshots (the latest of them per project, as before) or, with none
-- of its own, the latest snapshot before it (carried forward).
register_snapshots as (
    select distinct snapshot_period from register
),

period_snapshots as (
    select b.report_period, s.snapshot_period
    from report_bounds as b
    join register_snapshots as s on s.snapshot_period between b.first_month and b.last_month
    union all
    select b.report_period, max(s.snapshot_period)
    from report_bounds as b
    join register_snapshots as s on s.snapshot_period < b.first_month
    where not exists (select 1 from register_snapshots as o where o.snapshot_period between b.first_month and b.last_month)
    group by b.report_period
),

-- The project as the register stood at the end of the period (its latest
-- snapshot in the period, or carried forward), for the periods this build
-- writes and every quarter (the cumulative capital sums the quarters); a
-- year this build keeps would only be sorted and dropped.
project_periods as (
    select distinct on (r.project_code, ps.report_period)
        r.project_code,
        ps.report_period,
        b.is_quarterly,
        r.tax_code,
        {{ enterprise_id_from_tax_code('r.tax_code') }} as enterprise_id,  -- NULL with no tax code
        r.enterprise_name,
        r.issued_on,
        r.registered_capital_usd,
        r.snapshot_period,
        b.last_month
    from period_snapshots as ps
    join report_bounds as b using (report_period)
    join register as r using (snapshot_period)
    where b.is_quarterly or ps.report_period in (select p.report_period from periods_to_build as p)
    order by r.project_code, ps.report_period, r.snapshot_period desc
),

-- Inputs of a period and what is missing of them (marts.dataset_coverage):
-- every month of the flow datasets, the period's last month of the snapshot
-- ones (the register and land as they stood at the period's end), and the
-- CIT returns of the year on annual rows. A month not yet due counts as
-- missing: the period is not over.
report_inputs as (
    select b.report_period, i.agency, i.dataset, to_char(m, 'YYYY-MM') as period
    from report_bounds as b
    cross join lateral generate_series(to_date(b.first_month, 'YYYY-MM'), to_date(b.last_month, 'YYYY-MM'),
                                       interval '1 month') as m
    cross join (values ('fx', 'capital_flows', false), ('customs', 'declarations', false),
                       ('labour', 'employment', false), ('tax', 'payments', false),
                       ('registry', 'projects', true), ('land', 'leases', true)) as i (agency, dataset, is_snapshot)
    where not i.is_snapshot or to_char(m, 'YYYY-MM') = b.last_month
    union all
    select report_period, 'tax', 'cit_returns', report_period from report_bounds where not is_quarterly
),

missing_inputs as (
    select
        i.report_period,
        string_agg(i.agency || '/' || i.dataset || ' ' || i.period || ' ' || coalesce(c.status, 'not yet due'), '; '
                   order by i.agency, i.dataset, i.period) as missing_inputs
    from report_inputs as i
    left join coverage as c using (agency, dataset, period)
    where c.status is distinct from 'complete'
    group by 1
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

-- Records of the project's enterprise that an input of the period in force
-- delivered but the loader quarantined (int_quarantined_records_attributed):
-- the month is complete, the enterprise's figure from it is short. The same
-- inputs as above: every month of the flows, the register and land at the
-- period's end, the year's CIT returns on annual rows. A register row counts
-- for its project and for the enterprise's other projects (their allocation
-- shares stand on it). Named in missing_inputs, so the period is incomplete
-- for the project and the export refuses it (docs/fis-and-kpi.md).
quarantined as (
    select
        a.project_code,
        a.report_period,
        q.agency,
        q.dataset,
        q.period,
        q.delivery_id,
        q.row_number,
        case when q.project_code = a.project_code then 'project' else 'enterprise' end as whose
    from allocated as a
    join report_bounds as b using (report_period)
    join {{ ref('int_quarantined_records_attributed') }} as q on q.enterprise_id = a.enterprise_id
    where a.report_period in (select p.report_period from periods_to_build as p)
      and q.dataset <> 'investors'  -- the register's investors are no input of the reports
      and case when (q.agency, q.dataset) in (('registry', 'projects'), ('land', 'leases')) then q.period = b.last_month
               when (q.agency, q.dataset) = ('tax', 'cit_returns') then q.period = a.report_period
               else q.period between b.first_month and b.last_month end
    union
    -- a register row of the project that names no enterprise (or another one)
    select a.project_code, a.report_period, q.agency, q.dataset, q.period, q.delivery_id, q.row_number, 'project'
    from allocated as a
    join report_bounds as b using (report_period)
    join {{ ref('int_quarantined_records_attributed') }} as q
      on q.project_code = a.project_code and q.period = b.last_month
    where a.report_period in (select p.report_period from periods_to_build as p)
      and q.dataset <> 'investors'
      and q.enterprise_id is distinct from a.enterprise_id
),

quarantined_inputs as (
    select
        project_code,
        report_period,
        string_agg(agency || '/' || dataset || ' ' || period || ': ' || records
                   || case when records = 1 then ' record' else ' records' end
                   || ' of this ' || whose || ' quarantined', '; '
                   order by agency, dataset, period, whose desc) as quarantined_inputs
    from (
        select project_code, report_period, agency, dataset, period, whose, count(*) as records
        from quarantined
        group by 1, 2, 3, 4, 5, 6
    ) as per_input
    group by 1, 2
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
    where enterprise_id is not null and fiscal_year::text in (select report_period from periods_to_build)
    group by 1, 2
),

-- an enterprise's month first (a few rows a month, not one per partner), then
-- its periods: the sums are the same, and each row goes to its periods once
trade_month as (
    select
        enterprise_id,
        period,
        -- customs declared the enterprise this month: a flow with no line is 0, not unknown
        coalesce(sum(invoice_value_usd) filter (where flow = 'EX'), 0) as exports_usd,
        coalesce(sum(invoice_value_usd) filter (where flow = 'IM'), 0) as imports_usd
    -- per partner and month (int_customs_partner_months); a line's registration
    -- date lies in its month (customs contract), so its quarter is the month's
    from {{ ref('int_customs_partner_months') }}
    where enterprise_id is not null
      and period between (select first_month from months_to_build) and (select last_month from months_to_build)
    group by 1, 2
),

trade as (
    select m.enterprise_id, p.report_period, sum(m.exports_usd) as exports_usd, sum(m.imports_usd) as imports_usd
    from trade_month as m
    {{ fis_report_periods("to_date(m.period, 'YYYY-MM')") }}
    where p.report_period in (select report_period from periods_to_build)
    group by 1, 2
),

-- Labour: an enterprise's position summed over its social-insurance units
-- per month, then averaged over the months reported in the period.
employment_month as (
    select enterprise_id, period, sum(employees_total) as employees_total, sum(employees_foreign) as employees_foreign
    from {{ ref('fct_employment') }}
    where enterprise_id is not null
      and period between (select first_month from months_to_build) and (select last_month from months_to_build)
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
    where p.report_period in (select report_period from periods_to_build)
    group by 1, 2
),

payments_month as (
    select t.enterprise_id, t.period, sum(t.amount_paid_vnd) as taxes_paid_vnd
    from ({{ linked_records('tax', 'payments') }}) as t
    where t.enterprise_id is not null
      and t.period between (select first_month from months_to_build) and (select last_month from months_to_build)
    group by 1, 2
),

payments as (
    select m.enterprise_id, p.report_period, sum(m.taxes_paid_vnd) as taxes_paid_vnd
    from payments_month as m
    {{ fis_report_periods("to_date(m.period, 'YYYY-MM')") }}
    where p.report_period in (select report_period from periods_to_build)
    group by 1, 2
),

-- Land: leases in force at the latest land snapshot on or before the
-- period's end (a snapshot carries forward until the next one).
last_lease_snapshot as (
    select b.report_period, max(s.snapshot_period) as snapshot_period
    from report_bounds as b
    join (select distinct snapshot_period from {{ ref('stg_land__leases') }}) as s on s.snapshot_period <= b.last_month
    where b.report_period in (select report_period from periods_to_build)
    group by 1
),

leases as (
    select l.enterprise_id, l.snapshot_period, l.area_m2, l.status
    from ({{ linked_records('land', 'leases') }}) as l
    where l.snapshot_period in (select snapshot_period from last_lease_snapshot)
),

land as (
    select l.enterprise_id, s.report_period, sum(l.area_m2) filter (where l.status = 'active') as leased_area_m2
    from leases as l
    join last_lease_snapshot as s on s.snapshot_period = l.snapshot_period
    where l.enterprise_id is not null
    group by 1, 2
),

ledger as (
    select report_period, max(revision) as revision
    from {{ ref('stg_fis_exports__export_revisions') }}
    group by 1
),

-- every period's projects, the figures only the periods to build have (materialised: it is read once
-- per period to build; estimated as a few rows, a join filter there read it once per row)
joined as materialized (
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
        coalesce(ledger.revision, 0) as revision,
        a.snapshot_period as register_snapshot_period,
        ((left(a.last_month, 4)::int * 12 + right(a.last_month, 2)::int)
         - (left(a.snapshot_period, 4)::int * 12 + right(a.snapshot_period, 2)::int)) as register_snapshot_age_months,
        nullif(concat_ws('; ', mi.missing_inputs, qi.quarantined_inputs), '') as missing_inputs
    from allocated as a
    left join capital as c on c.enterprise_id = a.enterprise_id and c.report_period = a.report_period
    left join cit on cit.enterprise_id = a.enterprise_id and cit.report_period = a.report_period
    left join trade as t on t.enterprise_id = a.enterprise_id and t.report_period = a.report_period
    left join employment as e on e.enterprise_id = a.enterprise_id and e.report_period = a.report_period
    left join payments as pay on pay.enterprise_id = a.enterprise_id and pay.report_period = a.report_period
    left join land as l on l.enterprise_id = a.enterprise_id and l.report_period = a.report_period
    left join ledger on ledger.report_period = a.report_period
    left join missing_inputs as mi on mi.report_period = a.report_period
    left join quarantined_inputs as qi on qi.project_code = a.project_code and qi.report_period = a.report_period
),

-- Cumulative capital since the certificate: the project's own (allocated)
-- contributions of every quarter from its issue through this period, as far
-- back as fx deliveries reach. An annual row carries the cumulative at year end.
-- Read from every period, whichever this build writes.
project_capital as (
    select a.project_code, a.report_period, a.is_quarterly, a.allocation_share, c.capital_realized_usd
    from allocated as a
    left join capital as c on c.enterprise_id = a.enterprise_id and c.report_period = a.report_period
),

quarterly_cumulative as (
    select
        project_code,
        report_period,
        left(report_period, 4) as year,
        case when count(capital_realized_usd) over upto > 0 then
            sum(coalesce(capital_realized_usd * allocation_share, 0)) over upto
        end as capital_realized_cum_usd
    from project_capital
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
    j.revision::integer as revision,
    j.register_snapshot_period::text as register_snapshot_period,
    j.register_snapshot_age_months::integer as register_snapshot_age_months,
    (j.missing_inputs is null)::boolean as is_complete,
    j.missing_inputs::text as missing_inputs,
    b.inputs_fingerprint::text as inputs_fingerprint
from joined as j
join periods_to_build as b on b.report_period = j.report_period
left join cumulative as cum on cum.project_code = j.project_code and cum.report_period = j.report_period
