-- One row per tax code as filed (a dependent unit files under its own
-- 13-digit code) and fiscal year: the CIT finalisation return in
-- force (highest amendment), VND as filed and USD at the year-end SBV rate.
with

returns as (
    select * from {{ ref('stg_tax__cit_returns') }}
),

amendments as (
    select tax_code_full, fiscal_year, count(*) as returns_filed
    from {{ ref('base_tax__cit_returns') }}
    group by 1, 2
)

select
    {{ enterprise_id_from_tax_code('r.tax_code') }}::text as enterprise_id,
    r.tax_code::text as tax_code,
    r.tax_code_full::text as tax_code_filed,
    r.fiscal_year::int as fiscal_year,
    r.amendment_no::int as amendment_no,
    a.returns_filed::int as returns_filed,
    r.taxpayer_name::text as taxpayer_name,
    r.filed_on::date as filed_on,
    r.revenue_vnd::bigint as revenue_vnd,
    r.cost_of_goods_vnd::bigint as cost_of_goods_vnd,
    r.operating_expense_vnd::bigint as operating_expense_vnd,
    r.interest_expense_vnd::bigint as interest_expense_vnd,
    r.depreciation_vnd::bigint as depreciation_vnd,
    r.other_income_vnd::bigint as other_income_vnd,
    r.profit_before_tax_vnd::bigint as profit_before_tax_vnd,
    r.taxable_income_vnd::bigint as taxable_income_vnd,
    r.cit_payable_vnd::bigint as cit_payable_vnd,
    r.loss_carried_forward_vnd::bigint as loss_carried_forward_vnd,
    r.incentive_code::text as incentive_code,
    r.revenue_usd::numeric(20, 2) as revenue_usd,
    r.profit_before_tax_usd::numeric(20, 2) as profit_before_tax_usd,
    r.cit_payable_usd::numeric(20, 2) as cit_payable_usd,
    -- lineage: the return's record (marts.enterprise_links, audit.repairs), whose key as delivered may
    -- differ from the code as repaired above
    r.delivery_id::text as delivery_id,
    r.row_number::bigint as row_number
from returns as r
left join amendments as a on a.tax_code_full = r.tax_code_full and a.fiscal_year = r.fiscal_year
