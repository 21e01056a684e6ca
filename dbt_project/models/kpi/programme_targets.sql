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
-- * The inputs a year's figure stands on: every period of the indicator's
--   dataset in the year (12 months, or the year of an annual one) and, for
--   capital, the register's December before it (January's rises are read
--   against it). A year is complete when it has data and every one of them
--   is complete in marts.dataset_coverage; a year of the coverage grid with a
--   month absent from it (not yet due, or before coverage starts) is partial
--   too. A period is complete when every year it stands on is: each of its
--   years (`sum`), its final year (`latest`).
-- * input_gaps: those inputs that are not complete, for the years the row's
--   actual stands on: the year; each year of a `sum` period; for a `latest`
--   period, its years from the level's year (or the first, with no data) to
--   the end, whose data would have replaced the level. NULL when nothing is
--   missing. Years outside the coverage grid list nothing (no data is due
--   there; status says no_data).
with

-- the dataset each indicator is computed from, its grain, and whether a
-- year also reads the December before it
kpi_inputs as (
    select * from (values
        ('fdi_registered_capital', 'registry', 'projects', 'month', true),
        ('trained_workforce_share', 'labour', 'employment', 'month', false),
        ('industrial_zone_occupancy', 'land', 'zones', 'year', false),
        ('industrial_zone_wastewater_treatment', 'land', 'zones', 'year', false)
    ) as v (indicator_code, agency, dataset, grain, reads_previous_december)
),

coverage as (
    select agency, dataset, period, status from {{ ref('dataset_coverage') }}
),

-- the periods of each input the coverage grid spans
grid as (
    select
        agency, dataset, min(period) as first_period, max(period) as last_period,
        min(left(period, 4)::int) as first_year, max(left(period, 4)::int) as last_year
    from coverage
    group by agency, dataset
),

-- the input periods a year's figure stands on, for the years of the grid
year_inputs as (
    select k.indicator_code, y.year, k.agency, k.dataset, p.period
    from kpi_inputs as k
    join grid as g on g.agency = k.agency and g.dataset = k.dataset
    cross join lateral generate_series(g.first_year, g.last_year) as y (year)
    cross join lateral (
        select to_char(make_date(y.year, m, 1), 'YYYY-MM') from generate_series(1, 12) as m where k.grain = 'month'
        union all
        select y.year::text where k.grain = 'year'
        union all
        select (y.year - 1)::text || '-12' where k.reads_previous_december
    ) as p (period)
),

input_gaps as (
    select
        i.indicator_code, i.year, i.agency, i.dataset, i.period,
        i.agency || '/' || i.dataset || ' ' || i.period || ' '
        || coalesce(c.status, case when i.period > g.last_period then 'not yet due' else 'before coverage starts' end)
            as gap
    from year_inputs as i
    join grid as g on g.agency = i.agency and g.dataset = i.dataset
    left join coverage as c on c.agency = i.agency and c.dataset = i.dataset and c.period = i.period
    where c.status is distinct from 'complete'
      -- the December before the grid is the register's baseline, not a gap
      and not (c.status is null and left(i.period, 4)::int < i.year)
),

years_with_gaps as (
    select distinct indicator_code, year from input_gaps
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
        (i.actual is not null and yg.year is null) as is_complete,
        ty.year as gaps_from_year
    from target_years as ty
    left join indicators as i on i.indicator_code = ty.indicator_code and i.year = ty.year
    left join years_with_gaps as yg on yg.indicator_code = ty.indicator_code and yg.year = ty.year
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
             else l.year = t.period_end end
        and not exists (
            select from years_with_gaps as yg
            where yg.indicator_code = t.indicator_code
              and yg.year between case when t.aggregation = 'sum' then t.period_start else t.period_end end
                              and t.period_end
        ) as is_complete,
        case when t.aggregation = 'sum' then t.period_start else coalesce(l.year, t.period_start) end
            as gaps_from_year
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
    (select string_agg(distinct g.gap, '; ' order by g.gap)  -- a December can count for two years
     from input_gaps as g
     where g.indicator_code = u.indicator_code
       and g.year between u.gaps_from_year and right(u.period, 4)::int)::text as input_gaps
from unioned as u
