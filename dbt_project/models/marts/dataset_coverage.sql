-- Coverage as data: one row per agency, dataset and period the agreement
-- expects, so a partial figure can say what it lacks (issue: no partial
-- figure passes as complete).
--
-- Which periods are expected (written down in the README, "Coverage"):
-- * from the first period of the warehouse's data: the earliest month any
--   monthly dataset delivered (monthly datasets), the earliest year any annual
--   dataset delivered (annual datasets). A dataset whose own first period is
--   missing shows as missing, not as starting later;
-- * up to the latest period due: the data's own clock, never the wall clock,
--   so a rebuild of the same deliveries gives the same grid. A month is due
--   once any agency has delivered that month or a later one; a year once its
--   December is due (an annual delivery counts as its December).
-- A period is `complete` when a delivery is in force (status `loaded`), even
-- with 0 rows (README "Delivery layout": an empty period is delivered, not
-- skipped); `rejected` when every delivery of it was rejected; `missing` when
-- nothing arrived; `not yet due` when nothing could have (below). Datasets
-- outside the agreement (contract `optional`) have rows only for periods they
-- delivered. Folders that are not periods of the dataset's grain create no
-- rows (the loader rejects them).
-- A year of an annual dataset whose legal deadline comes later than its
-- December (agreement_datasets.due_months_after_year_end, a local rule: the
-- CIT returns and related-party disclosures by the end of March) is
-- `not yet due` until that month is due, with nothing in force or rejected:
-- no agency can deliver it yet, so it is no gap to chase. It is still a row,
-- and not `complete`: a rule gated on the year waits (risk.judgements_waiting)
-- and a figure built on it says it is partial.
with

agreement as (
    select agency, dataset, grain, kind, expected, due_months_after_year_end
    from {{ ref('agreement_datasets') }}
),

deliveries as (
    select d.delivery_id, d.agency, d.dataset, d.period, d.status, d.extracted_at, d.received_at,
           d.rows_loaded, d.rows_quarantined, d.reason, a.grain
    from {{ ref('stg_audit__deliveries') }} as d
    join agreement as a using (agency, dataset)
    where ((a.grain = 'month' and d.period ~ '^\d{4}-(0[1-9]|1[0-2])$')
           or (a.grain = 'year' and d.period ~ '^\d{4}$'))
      -- A rejected delivery of a period that had not ended when it was extracted
      -- or when it arrived (the loader's "has not ended yet", a manifest dated
      -- before its own period) is no period of the grid: it would move the
      -- clock, and make every agency "missing" up to it for good. The audit and
      -- the load summary keep the rejection.
      and (d.status <> 'rejected'
           or (case when a.grain = 'month' then to_date(d.period, 'YYYY-MM') + interval '1 month'
                    else to_date(d.period, 'YYYY') + interval '1 year' end)
              <= least(d.extracted_at, d.received_at))
),

clock as (
    select
        min(to_date(period, 'YYYY-MM')) filter (where grain = 'month') as first_month,
        min(period::int) filter (where grain = 'year') as first_year,
        max(case when grain = 'month' then to_date(period, 'YYYY-MM')
                 else to_date(period || '-12', 'YYYY-MM') end) as last_month_due
    from deliveries
),

expected_periods as (
    select a.agency, a.dataset, a.grain, a.kind, to_char(m, 'YYYY-MM') as period
    from agreement as a
    cross join clock as c
    cross join lateral generate_series(c.first_month, c.last_month_due, interval '1 month') as m
    where a.grain = 'month' and a.expected
    union all
    select a.agency, a.dataset, a.grain, a.kind, y::text
    from agreement as a
    cross join clock as c
    cross join lateral generate_series(c.first_year, extract(year from c.last_month_due)::int) as y
    where a.grain = 'year' and a.expected
      and to_date(y::text || '-12', 'YYYY-MM') <= c.last_month_due
    union
    -- whatever was delivered is covered, expected or not
    select d.agency, d.dataset, a.grain, a.kind, d.period
    from deliveries as d
    join agreement as a using (agency, dataset)
),

-- the years whose legal deadline the clock has not reached (above), with the
-- month they are due in
not_yet_due as (
    select e.agency, e.dataset, e.period, m.due_month
    from expected_periods as e
    join agreement as a using (agency, dataset)
    cross join clock as c
    cross join lateral (
        select (to_date(e.period || '-12', 'YYYY-MM') + make_interval(months => a.due_months_after_year_end))::date
            as due_month) as m
    where e.grain = 'year' and m.due_month > c.last_month_due
),

in_force as (
    select agency, dataset, period, delivery_id, extracted_at, rows_loaded, rows_quarantined
    from deliveries
    where status = 'loaded'
),

-- the latest rejected delivery of a period, for its sentence
last_rejected as (
    select distinct on (agency, dataset, period) agency, dataset, period, extracted_at, reason
    from deliveries
    where status = 'rejected'
    order by agency, dataset, period, extracted_at desc nulls last, received_at desc
)

select
    e.agency::text as agency,
    e.dataset::text as dataset,
    e.period::text as period,
    e.grain::text as grain,
    e.kind::text as kind,
    (case when f.delivery_id is not null then 'complete'
          when r.period is not null then 'rejected'
          when n.period is not null then 'not yet due'
          else 'missing' end)::text as status,
    f.delivery_id::text as delivery_id,
    f.rows_loaded::bigint as rows_in_force,
    f.rows_quarantined::bigint as rows_quarantined,
    coalesce(f.extracted_at, r.extracted_at)::timestamptz as extracted_at,
    (case when f.delivery_id is not null then null
          when r.period is not null then r.reason
          when n.period is not null then 'due by the end of ' || to_char(n.due_month, 'YYYY-MM')
     end)::text as reason
from expected_periods as e
left join in_force as f using (agency, dataset, period)
left join last_rejected as r using (agency, dataset, period)
left join not_yet_due as n using (agency, dataset, period)
