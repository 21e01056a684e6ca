-- One row per year with investment-register snapshots: foreign investment
-- capital registered in the year, new certificates plus capital increases
-- (Decision 3055/QĐ-UBND, programme Part I.3: "Tổng vốn đầu tư nước ngoài
-- đăng ký", the programme's measure of attraction).
--
-- The register is a monthly snapshot with each project's current registered
-- capital, so its history is read from consecutive snapshots:
--   * a new certificate counts its capital in its first snapshot, in the year
--     of issue, when it was issued after the register snapshot before that
--     one: a project issued in December whose December snapshot was rejected
--     first shows in January and is still new in December's year. A project
--     in the first snapshot loaded is new only if issued in that snapshot's
--     year; one issued earlier, or one that enters the register of FDI
--     projects long after its issue, is not new in any year;
--   * a capital increase is a rise of registered capital from one snapshot of
--     the project to the next, in the year of the later snapshot. A decrease
--     is not negative attraction and is not netted.
with

register as (
    select * from {{ ref('stg_registry__projects') }}
    -- the register of FDI projects: projects with foreign ownership
    where foreign_ownership_pct > 0
),

-- each snapshot of the register and the one loaded before it
register_snapshots as (
    select snapshot_period, lag(snapshot_period) over (order by snapshot_period) as previous_snapshot_period
    from (select distinct snapshot_period from register) as p
),

snapshots as (
    select
        r.project_code,
        r.snapshot_period,
        left(r.snapshot_period, 4)::int as year,
        r.issued_on,
        r.registered_capital_usd,
        s.previous_snapshot_period,
        lag(r.registered_capital_usd) over (partition by r.project_code order by r.snapshot_period) as previous_capital_usd,
        row_number() over (partition by r.project_code order by r.snapshot_period) as nth_snapshot
    from register as r
    join register_snapshots as s using (snapshot_period)
),

years as (
    select distinct left(snapshot_period, 4)::int as year from register
),

new_certificates as (
    select extract(year from issued_on)::int as year, sum(registered_capital_usd) as capital_usd
    from snapshots
    where nth_snapshot = 1
      and (extract(year from issued_on)::int = year
           or issued_on >= to_date(previous_snapshot_period, 'YYYY-MM') + interval '1 month')
    group by 1
),

increases as (
    select year, sum(registered_capital_usd - previous_capital_usd) as capital_usd
    from snapshots
    where previous_capital_usd is not null and registered_capital_usd > previous_capital_usd
    group by 1
)

select
    'fdi_registered_capital'::text as indicator_code,
    y.year::int as year,
    (coalesce(n.capital_usd, 0) + coalesce(i.capital_usd, 0))::numeric(20, 2) as actual,
    coalesce(n.capital_usd, 0)::numeric(20, 2) as numerator,
    null::numeric(20, 2) as denominator
from years as y
left join new_certificates as n on n.year = y.year
left join increases as i on i.year = y.year
