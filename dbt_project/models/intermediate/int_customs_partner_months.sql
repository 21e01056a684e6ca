-- One row per month, declarant enterprise (and its code), flow, related-party
-- mark and foreign partner of the customs lines in marts.fct_customs_lines,
-- with the lines' count, values and first and last registration dates.
--
-- Why: customs is nine rows in ten of the warehouse, and the models that
-- read every year of it (the enterprise network, REG02, REL01, NOM01, the
-- yearly facts and the FIS reports) need it only per partner and month, not
-- per line. At 5,000 enterprises this is about a fifth of the lines' rows,
-- and it is built a month at a time: a month is (re)built exactly when
-- fct_customs_lines rebuilt it, i.e. when its inputs' fingerprint
-- (macros/customs.sql) differs from the one stored here, and a superseded
-- delivery's rows go first (pre-hook), as in the lines. So it always equals a
-- full refresh, a month corrected to nothing to report included.
{{ config(
    materialized='incremental',
    unique_key='period',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['delivery_id']}, {'columns': ['enterprise_id']}],
    pre_hook="{{ delete_records_out_of_force() }}",
) }}
-- the pre-hook's input: depends_on: {{ ref('stg_audit__deliveries') }}

with

to_build as (
    select period, delivery_id, inputs_fingerprint
    from ({{ customs_period_inputs() }}) as f
    {% if is_incremental() %}
    where not exists (
        -- a month's rows all carry its delivery and fingerprint: one probe of the delivery_id index
        select 1 from {{ this }} as built
        where built.delivery_id = f.delivery_id and built.inputs_fingerprint = f.inputs_fingerprint
    )
    {% endif %}
)

select
    l.period::text as period,
    l.enterprise_id::text as enterprise_id,
    l.tax_code::text as tax_code,
    l.flow::text as flow,
    l.is_related_party::boolean as is_related_party,
    l.partner_name::text as partner_name,
    l.partner_country::text as partner_country,
    count(*)::bigint as lines,
    sum(l.customs_value_vnd)::numeric(24, 0) as customs_value_vnd,
    sum(l.invoice_value_usd)::numeric(22, 2) as invoice_value_usd,
    min(l.registered_on)::date as first_registered_on,
    max(l.registered_on)::date as last_registered_on,
    min(l.declaration_no || '|' || l.line_no)::text as first_record,
    b.delivery_id::text as delivery_id,
    b.inputs_fingerprint::text as inputs_fingerprint
-- through the lines' index on delivery_id: a month reads only its own lines
from to_build as b
join {{ ref('fct_customs_lines') }} as l on l.delivery_id = b.delivery_id
group by l.period, l.enterprise_id, l.tax_code, l.flow, l.is_related_party, l.partner_name, l.partner_country,
         b.delivery_id, b.inputs_fingerprint
