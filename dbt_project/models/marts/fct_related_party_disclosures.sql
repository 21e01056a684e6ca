-- One row per related-party disclosure line (Decree 132/2020/ND-CP Appendix
-- I): a counterparty and transaction type of an enterprise's fiscal year, as
-- the delivery in force of the year states it. TP05 and TP06 read them;
-- public so that a reviewer can check those flags against the lines, each
-- with its delivery (the workbench's records page).
-- The workbench reads an enterprise-year's lines on every TP05/TP06 records page.
{{ config(indexes=[{'columns': ['tax_code', 'fiscal_year']}]) }}

with

disclosures as (
    select * from {{ ref('stg_tax__related_party') }}
)

select
    {{ enterprise_id_from_tax_code('tax_code') }}::text as enterprise_id,
    tax_code::text as tax_code,
    tax_code_full::text as tax_code_filed,
    fiscal_year::int as fiscal_year,
    counterparty_name::text as counterparty_name,
    counterparty_country::text as counterparty_country,
    relationship_code::text as relationship_code,
    transaction_type::text as transaction_type,
    pricing_method::text as pricing_method,
    amount_vnd::bigint as amount_vnd,
    delivery_id::text as delivery_id
from disclosures
