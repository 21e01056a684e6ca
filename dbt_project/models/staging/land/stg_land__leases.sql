-- One row per land lease per monthly snapshot in force.
with

deliveries as (
    {{ in_force_deliveries('land', 'leases') }}
),

source as (
    select s.*, d.period as snapshot_period,
           {{ tax_code_was_repaired('land', 'leases', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_land', 'leases') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('land', 'leases') }} as source_key,
        lease_id,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        parcel_no,
        map_sheet,
        -- text
        lessee_name,
        lessee_address,
        admin_area,
        industrial_zone_code,
        purpose_code,
        payment_mode,
        status,
        -- numbers
        area_m2,
        in_use_area_m2,
        annual_rent_vnd,
        -- USD at the SBV rate of the snapshot month's last day
        {{ vnd_to_usd('annual_rent_vnd') }} as annual_rent_usd,
        -- dates
        lease_start,
        lease_end,
        -- lineage
        snapshot_period,
        snapshot_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins("'VND'", "(to_date(source.snapshot_period, 'YYYY-MM') + interval '1 month - 1 day')::date") }}
)

select * from renamed
