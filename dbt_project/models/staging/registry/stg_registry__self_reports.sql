-- One row per project and report period (YYYY-Qn or YYYY) self-reported by
-- the investor, from the annual delivery in force (optional dataset
-- registry/self_reports: empty when no delivery was ever loaded).
with

deliveries as (
    {{ in_force_deliveries('registry', 'self_reports') }}
),

source as (
    select s.*, d.period as delivery_period,
           {{ tax_code_was_repaired('registry', 'self_reports', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_registry', 'self_reports') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('registry', 'self_reports') }} as source_key,
        project_code,
        report_period,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        (report_period like '%-Q%') as is_quarterly,
        -- numbers as reported
        capital_realized_usd,
        revenue_vnd,
        profit_before_tax_vnd,
        exports_usd,
        imports_usd,
        employees_total,
        employees_foreign,
        taxes_paid_vnd,
        -- dates
        filed_on,
        -- lineage
        delivery_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
