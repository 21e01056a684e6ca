-- One row per industrial or economic zone per annual snapshot in force.
with

deliveries as (
    {{ in_force_deliveries('land', 'zones') }}
),

source as (
    select s.*, d.period as snapshot_period
    from {{ source('raw_land', 'zones') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('land', 'zones') }} as source_key,
        industrial_zone_code,
        -- text
        zone_name,
        zone_kind,
        developer_name,
        -- numbers
        total_area_ha,
        industrial_land_ha,
        leased_land_ha,
        -- flags
        has_central_wwtp,
        -- dates
        operating_since,
        -- lineage
        snapshot_period,
        snapshot_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
