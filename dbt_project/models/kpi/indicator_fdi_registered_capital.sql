-- One row per year with investment-register snapshots: foreign investment
-- capital registered in the year, new certificates plus capital increases
-- (Decision 3055/QĐ-UBND, programme Part I.3: "Tổng vốn đầu tư nước ngoài
-- đăng ký", the programme's measure of attraction).
--
-- The register is a monthly snapshot with each project's current registered
-- capital, so its history is read from consecutive snapshots:
--   * a new certificate counts its capital in its first snapshot, in the year
--     of issue (a project issued before the first snapshot loaded is not new
--     in any year the warehouse holds);
--   * a capital increase is a rise of registered capital from one snapshot of
--     the project to the next, in the year of the later snapshot. A decrease
--     is not negative attraction and is not netted.
with

register as (
    select * from {{ ref('stg_registry__projects') }}
    -- the register of FDI projects: projects with foreign ownership
    where foreign_ownership_pct > 0
),

snapshots as (
    select
        project_code,
        snapshot_period,
        left(snapshot_period, 4)::int as year,
        issued_on,
        registered_capital_usd,
        lag(registered_capital_usd) over (partition by project_code order by snapshot_period) as previous_capital_usd,
        row_number() over (partition by project_code order by snapshot_period) as nth_snapshot
    from register
),

years as (
    select distinct left(snapshot_period, 4)::int as year from register
),

new_certificates as (
    select extract(year from issued_on)::int as year, sum(registered_capital_usd) as capital_usd
    from snapshots
    where nth_snapshot = 1 and extract(year from issued_on)::int = year
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
