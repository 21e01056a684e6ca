-- One row per collective work stoppage reported.
with

deliveries as (
    {{ in_force_deliveries('labour', 'stoppages') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('labour', 'stoppages', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_labour', 'stoppages') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('labour', 'stoppages') }} as source_key,
        event_id,
        tax_code as tax_code_full,
        {{ parent_tax_code('tax_code') }} as tax_code,
        {{ branch_suffix('tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        employer_name,
        cause,
        -- numbers
        workers_involved,
        -- dates
        started_on,
        ended_on,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
