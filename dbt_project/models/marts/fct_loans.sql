-- One row per loan (lender, loan id) per month-end credit snapshot, in the
-- loan currency and in VND and USD at the SBV rate of the report date.
with

loans as (
    select * from {{ ref('stg_credit__loans') }}
)

select
    lender_code::text as lender_code,
    loan_id::text as loan_id,
    snapshot_period::text as snapshot_period,
    report_date::date as report_date,
    {{ enterprise_id_from_tax_code('tax_code') }}::text as enterprise_id,
    tax_code::text as tax_code,
    lender_name::text as lender_name,
    lender_kind::text as lender_kind,
    lender_country::text as lender_country,
    currency::text as currency,
    original_amount::numeric(20, 2) as original_amount,
    outstanding_amount::numeric(20, 2) as outstanding_amount,
    original_amount_usd::numeric(20, 2) as original_amount_usd,
    outstanding_amount_usd::numeric(20, 2) as outstanding_amount_usd,
    outstanding_amount_vnd::numeric(22, 0) as outstanding_amount_vnd,
    interest_rate_pct::numeric(6, 3) as interest_rate_pct,
    debt_group::int as debt_group,
    disbursed_on::date as disbursed_on,
    matures_on::date as matures_on,
    sbv_registration_no::text as sbv_registration_no
from loans
