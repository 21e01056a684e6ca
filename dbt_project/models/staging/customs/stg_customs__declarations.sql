-- One row per customs declaration line cleared, from the delivery in force
-- for its month.
with

deliveries as (
    {{ in_force_deliveries('customs', 'declarations') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('customs', 'declarations', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_customs', 'declarations') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('customs', 'declarations') }} as source_key,
        declaration_no,
        line_no,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        -- text
        flow,
        regime_code,
        trader_name,
        partner_name,
        partner_country,
        origin_country,
        hs_code,
        left(hs_code, 2) as hs_chapter,
        goods_description,
        unit,
        incoterms,
        customs_office,
        -- amounts as declared
        quantity,
        invoice_currency,
        invoice_value,
        exchange_rate as customs_exchange_rate,
        customs_value_vnd,
        import_duty_vnd,
        vat_vnd,
        -- amounts at the SBV rate of the registration date
        round(invoice_value * rate.vnd_per_unit) as invoice_value_vnd,
        round(invoice_value * rate.vnd_per_unit / usd.vnd_per_unit, 2) as invoice_value_usd,
        {{ vnd_to_usd('customs_value_vnd') }} as customs_value_usd,
        -- dates
        registered_on,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins('source.invoice_currency', 'source.registered_on') }}
)

select * from renamed
