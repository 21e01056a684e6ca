-- One row per project, report period and figure where the investor's
-- self-report (registry/self_reports, Form A.III.1) and the agencies' figure
-- (fis.project_reports) both exist. A difference beyond the relative
-- tolerance of seeds/fis_settings.csv, and above the absolute floor of the
-- figure's unit, is flagged for follow-up (Decision 3055/QĐ-UBND, task 6.2:
-- joint supervision; task 7.5: a complete and correct national database).
with

settings as (
    select
        (select value from {{ ref('fis_settings') }} where setting = 'discrepancy_relative_tolerance') as relative_tolerance,
        (select value from {{ ref('fis_settings') }} where setting = 'discrepancy_min_abs_difference_vnd') as min_abs_vnd,
        (select value from {{ ref('fis_settings') }} where setting = 'discrepancy_min_abs_difference_usd') as min_abs_usd,
        (select value from {{ ref('fis_settings') }} where setting = 'discrepancy_min_abs_difference_persons') as min_abs_persons
),

self_reports as (
    select * from {{ ref('stg_registry__self_reports') }}
),

agency as (
    select * from {{ ref('project_reports') }}
),

-- One row per figure: (name, unit, self-reported, agencies' figure, which agency).
figures as (
    select
        s.project_code,
        s.report_period,
        a.tax_code,
        a.is_allocated,
        f.figure,
        f.unit,
        f.agency,
        f.self_reported,
        f.agency_value
    from self_reports as s
    join agency as a on a.project_code = s.project_code and a.report_period = s.report_period
    cross join lateral (values
        ('capital_realized_usd', 'USD', 'fx', s.capital_realized_usd::numeric, a.capital_realized_usd::numeric),
        ('revenue_vnd', 'VND', 'tax', s.revenue_vnd::numeric, a.revenue_vnd::numeric),
        ('profit_before_tax_vnd', 'VND', 'tax', s.profit_before_tax_vnd::numeric, a.profit_before_tax_vnd::numeric),
        ('exports_usd', 'USD', 'customs', s.exports_usd::numeric, a.exports_usd::numeric),
        ('imports_usd', 'USD', 'customs', s.imports_usd::numeric, a.imports_usd::numeric),
        ('employees_total', 'persons', 'labour', s.employees_total::numeric, a.employees_total::numeric),
        ('employees_foreign', 'persons', 'labour', s.employees_foreign::numeric, a.employees_foreign::numeric),
        ('taxes_paid_vnd', 'VND', 'tax', s.taxes_paid_vnd::numeric, a.taxes_paid_vnd::numeric)
    ) as f (figure, unit, agency, self_reported, agency_value)
    where f.self_reported is not null and f.agency_value is not null
),

compared as (
    select
        figures.*,
        self_reported - agency_value as difference,
        -- relative to the agencies' figure; undefined when it is 0
        (self_reported - agency_value) / nullif(abs(agency_value), 0) as relative_difference,
        settings.relative_tolerance,
        case unit
            when 'VND' then settings.min_abs_vnd
            when 'USD' then settings.min_abs_usd
            else settings.min_abs_persons
        end as min_abs_difference
    from figures
    cross join settings
)

select
    project_code::text as project_code,
    tax_code::text as tax_code,
    report_period::text as report_period,
    figure::text as figure,
    unit::text as unit,
    agency::text as agency,
    self_reported::numeric(20, 2) as self_reported,
    agency_value::numeric(20, 2) as agency_value,
    difference::numeric(20, 2) as difference,
    round(relative_difference, 4)::numeric(12, 4) as relative_difference,
    relative_tolerance::numeric(6, 4) as relative_tolerance,
    (abs(difference) > min_abs_difference
     and (relative_difference is null or abs(relative_difference) > relative_tolerance))::boolean as is_flagged,
    is_allocated::boolean as agency_value_is_allocated
from compared
