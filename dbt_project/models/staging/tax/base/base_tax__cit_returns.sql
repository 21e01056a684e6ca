-- One row per CIT return in a delivery in force, every amendment included
-- (marts.enterprise_links covers every loaded record; stg_tax__cit_returns
-- keeps only the amendment in force).
with

deliveries as (
    {{ in_force_deliveries('tax', 'cit_returns') }}
),

source as (
    select s.*, d.period,
           {{ tax_code_was_repaired('tax', 'cit_returns', 'tax_code') }} as tax_code_was_repaired
    from {{ source('raw_tax', 'cit_returns') }} as s
    join deliveries as d on d.delivery_id = s._delivery_id
),

renamed as (
    select
        -- ids
        {{ contract_source_key('tax', 'cit_returns') }} as source_key,
        source.tax_code as tax_code_full,
        {{ parent_tax_code('source.tax_code') }} as tax_code,
        {{ branch_suffix('source.tax_code') }} as tax_code_branch,
        tax_code_was_repaired,
        fiscal_year,
        amendment_no,
        -- text
        taxpayer_name,
        incentive_code,
        -- amounts, VND as filed
        revenue_vnd,
        cost_of_goods_vnd,
        operating_expense_vnd,
        interest_expense_vnd,
        depreciation_vnd,
        other_income_vnd,
        profit_before_tax_vnd,
        taxable_income_vnd,
        cit_payable_vnd,
        loss_carried_forward_vnd,
        -- amounts, USD at the SBV rate of the fiscal year's last day
        {{ vnd_to_usd('revenue_vnd') }} as revenue_usd,
        {{ vnd_to_usd('profit_before_tax_vnd') }} as profit_before_tax_usd,
        {{ vnd_to_usd('cit_payable_vnd') }} as cit_payable_usd,
        -- dates
        filed_on,
        -- lineage
        period,
        _delivery_id as delivery_id,
        _row_number as row_number
    from source
    {{ fx_joins("'USD'", "make_date(source.fiscal_year::int, 12, 31)") }}
)

select * from renamed
