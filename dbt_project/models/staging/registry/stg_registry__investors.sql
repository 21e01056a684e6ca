-- One row per investor of a project per monthly snapshot in force.
with

deliveries as (
    {{ in_force_deliveries('registry', 'investors') }}
),

source as (
    select s.*, d.period as snapshot_period
    from {{ source('raw_registry', 'investors') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('registry', 'investors') }} as source_key,
        project_code,
        investor_seq,
        -- personal data (contract `pii`): keyed hash only, never in clear past staging
        {{ pseudonymise('investor_reg_no') }} as investor_reg_no_hash,
        -- an individual's name is personal data too (registry.yaml: "personal data
        -- when investor_kind is individual"): only its keyed hash leaves raw
        case when investor_kind = 'individual' then {{ pseudonymise('investor_name') }} end as investor_name_hash,
        -- text
        case when investor_kind = 'individual' then null else investor_name end as investor_name,
        investor_country,
        investor_kind,
        ultimate_parent,
        -- numbers
        ownership_pct,
        committed_capital_usd,
        -- lineage
        snapshot_period,
        snapshot_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
