-- One row per employer (social-insurance unit) and month.
with

deliveries as (
    {{ in_force_deliveries('labour', 'employment') }}
),

source as (
    select s.*, d.period as delivery_period,
           {{ tax_code_was_repaired('labour', 'employment', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_labour', 'employment') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('labour', 'employment') }} as source_key,
        si_unit_code,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        employer_name,
        employer_address,
        -- numbers
        employees_total,
        employees_foreign,
        employees_trained,
        avg_monthly_wage_vnd,
        si_contribution_due_vnd,
        si_contribution_paid_vnd,
        si_arrears_vnd,
        -- USD at the SBV rate of the month's last day
        {{ vnd_to_usd('avg_monthly_wage_vnd') }} as avg_monthly_wage_usd,
        {{ vnd_to_usd('si_arrears_vnd') }} as si_arrears_usd,
        -- lineage
        source.period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins("'VND'", "(to_date(source.period, 'YYYY-MM') + interval '1 month - 1 day')::date") }}
)

select * from renamed
