-- One row per loan (lender, loan id) per month-end snapshot in force.
with

deliveries as (
    {{ in_force_deliveries('credit', 'loans') }}
),

source as (
    select s.*, d.period as snapshot_period,
           {{ tax_code_was_repaired('credit', 'loans', 'borrower_tax_code') }} as tax_code_was_repaired
    from {{ source('raw_credit', 'loans') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('credit', 'loans') }} as source_key,
        lender_code,
        loan_id,
        sbv_registration_no,
        borrower_tax_code as tax_code_full,
        {{ parent_tax_code('borrower_tax_code') }} as tax_code,
        {{ branch_suffix('borrower_tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        lender_name,
        lender_kind,
        lender_country,
        borrower_name,
        -- amounts in the loan currency
        source.currency,
        original_amount,
        outstanding_amount,
        interest_rate_pct,
        debt_group,
        -- amounts at the SBV rate of the report date
        round(original_amount * rate.vnd_per_unit) as original_amount_vnd,
        round(outstanding_amount * rate.vnd_per_unit) as outstanding_amount_vnd,
        round(original_amount * rate.vnd_per_unit / usd.vnd_per_unit, 2) as original_amount_usd,
        round(outstanding_amount * rate.vnd_per_unit / usd.vnd_per_unit, 2) as outstanding_amount_usd,
        -- dates
        report_date,
        disbursed_on,
        matures_on,
        -- lineage
        snapshot_period,
        snapshot_period as period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins('source.currency', 'source.report_date') }}
)

select * from renamed
