-- One row per transaction on a direct-investment capital account or a
-- registered foreign-loan account, in USD at the SBV rate of the value date.
with

flows as (
    select * from {{ ref('stg_fx__capital_flows') }}
)

select
    txn_id::text as txn_id,
    period::text as period,
    value_date::date as value_date,
    {{ enterprise_id_from_tax_code('tax_code') }}::text as enterprise_id,
    tax_code::text as tax_code,
    account_no::text as account_no,
    bank_code::text as bank_code,
    direction::text as direction,
    flow_type::text as flow_type,
    currency::text as currency,
    amount::numeric(20, 2) as amount,
    amount_vnd::numeric(22, 0) as amount_vnd,
    amount_usd::numeric(20, 2) as amount_usd,
    counterparty_name::text as counterparty_name,
    counterparty_country::text as counterparty_country
from flows
