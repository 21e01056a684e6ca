-- One row per project per monthly snapshot in force.
with

deliveries as (
    {{ in_force_deliveries('registry', 'projects') }}
),

source as (
    select s.*, d.period as snapshot_period,
           {{ tax_code_was_repaired('registry', 'projects', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_registry', 'projects') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('registry', 'projects') }} as source_key,
        project_code,
        irc_number,
        tax_code as tax_code_full,
        {{ parent_tax_code('tax_code') }} as tax_code,
        {{ branch_suffix('tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        enterprise_name,
        enterprise_name_en,
        address,
        admin_area,
        industrial_zone_code,
        vsic_code,
        status,
        authority,
        -- numbers
        registered_capital_usd,
        charter_capital_usd,
        foreign_ownership_pct,
        -- dates
        issued_on,
        last_adjusted_on,
        expires_on,
        capital_deadline,
        -- lineage
        snapshot_period,
        snapshot_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
