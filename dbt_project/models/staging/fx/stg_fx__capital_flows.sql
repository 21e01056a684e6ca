-- One row per transaction on a direct-investment capital or foreign-loan account.
with

deliveries as (
    {{ in_force_deliveries('fx', 'capital_flows') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('fx', 'capital_flows', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_fx', 'capital_flows') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('fx', 'capital_flows') }} as source_key,
        txn_id,
        account_no,
        bank_code,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        direction,
        flow_type,
        counterparty_name,
        counterparty_country,
        -- amounts in the transaction currency, then at the SBV rate of the value date
        source.currency,
        amount,
        round(amount * rate.vnd_per_unit) as amount_vnd,
        round(amount * rate.vnd_per_unit / usd.vnd_per_unit, 2) as amount_usd,
        -- dates
        value_date,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins('source.currency', 'source.value_date') }}
)

select * from renamed
