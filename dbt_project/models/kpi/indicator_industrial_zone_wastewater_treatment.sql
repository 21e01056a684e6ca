-- One row per year with a zones snapshot: share of the industrial zones in
-- operation that have a central wastewater treatment plant meeting the
-- standard, percent (Decision 3055/QĐ-UBND, programme Part I.3: "100% khu
-- công nghiệp đi vào hoạt động có nhà máy xử lý nước thải tập trung"). "In
-- operation" is operating_since on or before the snapshot year's end; a zone
-- still under construction is not yet bound by the target.
with

zones as (
    select * from {{ ref('stg_land__zones') }}
    where zone_kind = 'industrial_zone'
),

operating as (
    select *
    from zones
    where operating_since <= make_date(left(snapshot_period, 4)::int, 12, 31)
)

select
    'industrial_zone_wastewater_treatment'::text as indicator_code,
    left(snapshot_period, 4)::int as year,
    round(100.0 * count(*) filter (where has_central_wwtp) / nullif(count(*), 0), 2)::numeric(20, 2) as actual,
    (count(*) filter (where has_central_wwtp))::numeric(20, 2) as numerator,
    count(*)::numeric(20, 2) as denominator
from operating
group by left(snapshot_period, 4)::int
