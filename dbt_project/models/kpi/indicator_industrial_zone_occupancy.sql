-- One row per year with a zones snapshot: occupancy of the industrial zones,
-- leased over leasable industrial land, percent (Decision 3055/QĐ-UBND,
-- programme Part I.3: "tỷ lệ lấp đầy các khu công nghiệp"). The target names
-- industrial zones (khu công nghiệp): economic zones and industrial clusters
-- are left out.
with

zones as (
    select * from {{ ref('stg_land__zones') }}
    where zone_kind = 'industrial_zone'
)

select
    'industrial_zone_occupancy'::text as indicator_code,
    left(snapshot_period, 4)::int as year,
    round(100.0 * sum(leased_land_ha) / nullif(sum(industrial_land_ha), 0), 2)::numeric(20, 2) as actual,
    sum(leased_land_ha)::numeric(20, 2) as numerator,
    sum(industrial_land_ha)::numeric(20, 2) as denominator
from zones
group by left(snapshot_period, 4)::int
