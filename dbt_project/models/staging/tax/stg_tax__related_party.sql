-- One row per related-party disclosure line: enterprise, fiscal year,
-- counterparty and transaction type (Decree 132/2020, Appendix I).
with

deliveries as (
    {{ in_force_deliveries('tax', 'related_party') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('tax', 'related_party', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_tax', 'related_party') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('tax', 'related_party') }} as source_key,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        fiscal_year,
        counterparty_tax_id,
        -- text
        counterparty_name,
        counterparty_country,
        relationship_code,
        transaction_type,
        pricing_method,
        -- amounts
        amount_vnd,
        {{ vnd_to_usd('amount_vnd') }} as amount_usd,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins("'USD'", "make_date(source.fiscal_year::int, 12, 31)") }}
)

select * from renamed
