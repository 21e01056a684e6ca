-- One row per enterprise, month and tax paid to the state budget.
with

deliveries as (
    {{ in_force_deliveries('tax', 'payments') }}
),

source as (
    select s.*, d.period as delivery_period,
           {{ tax_code_was_repaired('tax', 'payments', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_tax', 'payments') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('tax', 'payments') }} as source_key,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        tax_type,
        -- amounts, USD at the SBV rate of the month's last day
        amount_paid_vnd,
        {{ vnd_to_usd('amount_paid_vnd') }} as amount_paid_usd,
        -- dates
        (to_date(source.period, 'YYYY-MM') + interval '1 month - 1 day')::date as period_end,
        -- lineage
        source.period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins("'USD'", "(to_date(source.period, 'YYYY-MM') + interval '1 month - 1 day')::date") }}
)

select * from renamed
