-- One row per land lease per monthly land snapshot, with the enterprise
-- entity resolution tied it to (NULL when unmatched). The snapshots LAND01
-- reads, public so that a reviewer can check an idle-land flag against them,
-- each with its delivery (the workbench's records page). The lessee's name
-- and address stay in staging: the link is what the rule reads.
-- The workbench reads a lease's snapshots of a span on every LAND01 records page.
{{ config(indexes=[{'columns': ['lease_id', 'snapshot_period']}]) }}

with

leases as (
    {{ linked_records('land', 'leases') }}
)

select
    lease_id::text as lease_id,
    snapshot_period::text as snapshot_period,
    enterprise_id::text as enterprise_id,
    match_method::text as match_method,
    parcel_no::text as parcel_no,
    map_sheet::text as map_sheet,
    industrial_zone_code::text as industrial_zone_code,
    purpose_code::text as purpose_code,
    status::text as status,
    area_m2::numeric as area_m2,
    in_use_area_m2::numeric as in_use_area_m2,
    lease_start::date as lease_start,
    lease_end::date as lease_end,
    delivery_id::text as delivery_id
from leases
