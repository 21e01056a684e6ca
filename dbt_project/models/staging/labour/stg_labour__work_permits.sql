-- One row per work permit event (issued, renewed, revoked) in the month.
with

deliveries as (
    {{ in_force_deliveries('labour', 'work_permits') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('labour', 'work_permits', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_labour', 'work_permits') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('labour', 'work_permits') }} as source_key,
        permit_no,
        tax_code as tax_code_full,
        {{ parent_tax_code('tax_code') }} as tax_code,
        {{ branch_suffix('tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- personal data (contract `pii`): keyed hash only, never in clear past staging
        {{ pseudonymise('worker_passport') }} as worker_passport_hash,
        {{ pseudonymise('worker_name') }} as worker_name_hash,
        -- text
        employer_name,
        nationality,
        job_category,
        status,
        -- dates
        issued_on,
        expires_on,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
)

select * from renamed
