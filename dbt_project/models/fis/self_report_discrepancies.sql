-- One row per project, report period and figure where the investor's
-- self-report (registry/self_reports, Form A.III.1) and the agencies' figure
-- (fis.project_reports) both exist. A difference beyond the relative
-- tolerance of seeds/fis_settings.csv, and above the absolute floor of the
-- figure's unit, is flagged for follow-up (Decision 3055/QĐ-UBND, task 6.2:
-- joint supervision; task 7.5: a complete and correct national database).
--
-- A partial agency figure is no evidence against the investor. Each figure
-- stands on its own inputs (capital_realized_usd: fx/capital_flows; revenue
-- and profit: tax/cit_returns; exports and imports: customs/declarations;
-- employees: labour/employment; taxes_paid_vnd: tax/payments), and the
-- entries of fis.project_reports.missing_inputs (`agency/dataset period
-- status`) that name one of them make the agency's figure partial:
-- `agency_value_is_complete` is false and `agency_missing_inputs` says which
-- months are missing. A partial figure is flagged only where the gap cannot
-- explain the difference: a sum of amounts the agreement keeps at or above 0
-- (fx capital inflows, customs invoice values, tax payments: `min: 0` or
-- `min_exclusive: 0` in sources/contracts) can only grow when its missing
-- months arrive, so a self-report (also at or above 0) below even the partial
-- sum by more than the tolerance is below the complete figure by at least as
-- much, absolutely and relatively. A self-report above a partial sum may be
-- the missing months, and is not flagged; neither is any difference on a
-- figure that is no such sum (revenue and profit: one annual return, where a
-- missing return is not a part of the figure, and profit may be negative;
-- employees: an average of the months reported, which the missing months
-- move either way).
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

-- One row per figure: (name, unit, self-reported, agencies' figure, which
-- agency, the datasets it stands on as missing_inputs names them, and whether
-- a partial figure is a lower bound of the complete one).
figures as (
    select
        s.project_code,
        s.report_period,
        a.tax_code,
        a.is_allocated,
        a.missing_inputs,
        f.figure,
        f.unit,
        f.agency,
        f.inputs,
        f.partial_is_lower_bound,
        f.self_reported,
        f.agency_value
    from self_reports as s
    join agency as a on a.project_code = s.project_code and a.report_period = s.report_period
    cross join lateral (values
        ('capital_realized_usd', 'USD', 'fx', array['fx/capital_flows'], true,
         s.capital_realized_usd::numeric, a.capital_realized_usd::numeric),
        ('revenue_vnd', 'VND', 'tax', array['tax/cit_returns'], false,
         s.revenue_vnd::numeric, a.revenue_vnd::numeric),
        ('profit_before_tax_vnd', 'VND', 'tax', array['tax/cit_returns'], false,
         s.profit_before_tax_vnd::numeric, a.profit_before_tax_vnd::numeric),
        ('exports_usd', 'USD', 'customs', array['customs/declarations'], true,
         s.exports_usd::numeric, a.exports_usd::numeric),
        ('imports_usd', 'USD', 'customs', array['customs/declarations'], true,
         s.imports_usd::numeric, a.imports_usd::numeric),
        ('employees_total', 'persons', 'labour', array['labour/employment'], false,
         s.employees_total::numeric, a.employees_total::numeric),
        ('employees_foreign', 'persons', 'labour', array['labour/employment'], false,
         s.employees_foreign::numeric, a.employees_foreign::numeric),
        ('taxes_paid_vnd', 'VND', 'tax', array['tax/payments'], true,
         s.taxes_paid_vnd::numeric, a.taxes_paid_vnd::numeric)
    ) as f (figure, unit, agency, inputs, partial_is_lower_bound, self_reported, agency_value)
    where f.self_reported is not null and f.agency_value is not null
),

-- The entries of the period's missing_inputs (`agency/dataset period
-- status`, joined with `; `) that name one of the figure's own datasets, in
-- their order there; NULL when the figure's inputs are all complete.
gaps as (
    select
        figures.*,
        (
            select string_agg(g.entry, '; ' order by g.n)
            from unnest(string_to_array(figures.missing_inputs, '; ')) with ordinality as g (entry, n)
            where split_part(g.entry, ' ', 1) = any(figures.inputs)
        ) as agency_missing_inputs
    from figures
),

compared as (
    select
        gaps.*,
        self_reported - agency_value as difference,
        -- relative to the agencies' figure; undefined when it is 0
        (self_reported - agency_value) / nullif(abs(agency_value), 0) as relative_difference,
        settings.relative_tolerance,
        case unit
            when 'VND' then settings.min_abs_vnd
            when 'USD' then settings.min_abs_usd
            else settings.min_abs_persons
        end as min_abs_difference
    from gaps
    cross join settings
),

beyond as (
    select
        compared.*,
        agency_missing_inputs is null as agency_value_is_complete,
        (abs(difference) > min_abs_difference
         and (relative_difference is null or abs(relative_difference) > relative_tolerance)) as is_beyond_tolerance
    from compared
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
    -- complete: beyond the tolerance either way; partial: only below even the
    -- partial sum (see the head of this file), never what the gap may explain
    (is_beyond_tolerance
     and (agency_value_is_complete or (partial_is_lower_bound and self_reported < agency_value)))::boolean
        as is_flagged,
    is_allocated::boolean as agency_value_is_allocated,
    agency_value_is_complete::boolean as agency_value_is_complete,
    agency_missing_inputs::text as agency_missing_inputs
from beyond
