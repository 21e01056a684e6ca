-- One row per indicator and period: each year of the programme (YYYY) and
-- each programme period (YYYY-YYYY), the actual against the target of
-- Decision 3055/QĐ-UBND (seeds/kpi_targets.csv, each row citing its place in
-- the decision).
--
-- * A year is measured against the target of the programme period it falls
--   in. A period total (`sum`) gives each year an even share of it (11 bn USD
--   over 2021-2025 is a pace of 2.2 bn a year); a level (`latest`) applies
--   as it is.
-- * A programme period's actual is the sum of its years (`sum`) or the level
--   in its latest year with data (`latest`); `as_of_year`, `years_with_data`
--   and `is_complete` say how much of the period the data covers.
-- * status: `met` when the actual reaches target_low (the programme's
--   targets are floors: "đạt", "phấn đấu đạt từ"; the high end of a range is
--   the aim, not a ceiling), `not_met` below it, `no_data` when no agency
--   data covers the period.
-- * input_gaps: the periods of the indicator's input dataset within the
--   row's years that are not complete (marts.dataset_coverage), so an
--   actual built on a partial year says so; NULL when nothing is missing.
with

-- the dataset each indicator is computed from
kpi_inputs as (
    select * from (values
        ('fdi_registered_capital', 'registry', 'projects'),
        ('trained_workforce_share', 'labour', 'employment'),
        ('industrial_zone_occupancy', 'land', 'zones'),
        ('industrial_zone_wastewater_treatment', 'land', 'zones')
    ) as v (indicator_code, agency, dataset)
),

input_gaps as (
    select k.indicator_code, left(c.period, 4)::int as year, c.agency, c.dataset, c.period,
           c.agency || '/' || c.dataset || ' ' || c.period || ' ' || c.status as gap
    from kpi_inputs as k
    join {{ ref('dataset_coverage') }} as c on c.agency = k.agency and c.dataset = k.dataset
    where c.status <> 'complete'
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

indicators as (
    select * from {{ ref('indicator_fdi_registered_capital') }}
    union all
    select * from {{ ref('indicator_trained_workforce_share') }}
    union all
    select * from {{ ref('indicator_industrial_zone_occupancy') }}
    union all
    select * from {{ ref('indicator_industrial_zone_wastewater_treatment') }}
),

target_years as (
    select t.*, y.year
    from targets as t
    cross join lateral generate_series(t.period_start, t.period_end) as y (year)
),

yearly as (
    select
        ty.indicator_code,
        ty.year::text as period,
        'year'::text as period_kind,
        i.actual,
        i.numerator,
        i.denominator,
        case when ty.aggregation = 'sum'
             then ty.target_low / (ty.period_end - ty.period_start + 1)
             else ty.target_low end as target_low,
        case when ty.aggregation = 'sum'
             then ty.target_high / (ty.period_end - ty.period_start + 1)
             else ty.target_high end as target_high,
        ty.unit,
        ty.source,
        case when i.actual is not null then ty.year end as as_of_year,
        (i.actual is not null)::int as years_with_data,
        (i.actual is not null) as is_complete
    from target_years as ty
    left join indicators as i on i.indicator_code = ty.indicator_code and i.year = ty.year
),

period_years as (
    select
        ty.indicator_code, ty.period_start, ty.period_end, ty.aggregation, ty.year, i.actual,
        i.numerator, i.denominator
    from target_years as ty
    left join indicators as i on i.indicator_code = ty.indicator_code and i.year = ty.year
),

latest_year as (
    select distinct on (indicator_code, period_start)
        indicator_code, period_start, year, actual, numerator, denominator
    from period_years
    where actual is not null
    order by indicator_code, period_start, year desc
),

periods as (
    select
        t.indicator_code,
        t.period_start || '-' || t.period_end as period,
        'programme_period'::text as period_kind,
        case when t.aggregation = 'sum'
             then (select sum(py.actual) from period_years as py
                   where py.indicator_code = t.indicator_code and py.period_start = t.period_start)
             else l.actual end as actual,
        case when t.aggregation = 'sum'
             then (select sum(py.numerator) from period_years as py
                   where py.indicator_code = t.indicator_code and py.period_start = t.period_start)
             else l.numerator end as numerator,
        case when t.aggregation = 'sum' then null else l.denominator end as denominator,
        t.target_low,
        t.target_high,
        t.unit,
        t.source,
        l.year as as_of_year,
        (select count(py.actual) from period_years as py
         where py.indicator_code = t.indicator_code and py.period_start = t.period_start)::int as years_with_data,
        case when t.aggregation = 'sum'
             then (select count(py.actual) from period_years as py
                   where py.indicator_code = t.indicator_code and py.period_start = t.period_start)
                  = t.period_end - t.period_start + 1
             else l.year = t.period_end end as is_complete
    from targets as t
    left join latest_year as l on l.indicator_code = t.indicator_code and l.period_start = t.period_start
),

unioned as (
    select * from yearly
    union all
    select * from periods
)

select
    indicator_code::text as indicator_code,
    period::text as period,
    period_kind::text as period_kind,
    round(actual, 2)::numeric(20, 2) as actual,
    round(target_low, 2)::numeric(20, 2) as target_low,
    round(target_high, 2)::numeric(20, 2) as target_high,
    unit::text as unit,
    (case
        when actual is null then 'no_data'
        when actual >= target_low then 'met'
        else 'not_met'
     end)::text as status,
    source::text as source,
    as_of_year::int as as_of_year,
    years_with_data::int as years_with_data,
    coalesce(is_complete, false)::boolean as is_complete,
    numerator::numeric(20, 2) as numerator,
    denominator::numeric(20, 2) as denominator,
    (select string_agg(g.gap, '; ' order by g.agency, g.dataset, g.period)
     from input_gaps as g
     where g.indicator_code = u.indicator_code
       and g.year between left(u.period, 4)::int and right(u.period, 4)::int)::text as input_gaps
from unioned as u
