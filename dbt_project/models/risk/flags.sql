-- One row per finding of any rule: the union of the rule models
-- (models/risk/rules/), each row keyed by its stable flag_id. The first
-- detection time comes from risk.flag_first_seen, a table outside dbt
-- (warehouse/reviews.sql) that the pre-hook fills with `on conflict do
-- nothing`, so neither a rebuild nor `dbt build --full-refresh` resets it.
-- A flag no rule raises any more is kept, as it was last raised, in
-- risk.flag_withdrawals (also outside dbt; the second pre-hook), so the
-- decisions on it still say what they were about.
--
-- Rebuilt in place: every row deleted and the findings inserted in one
-- transaction (incremental, its pre-hook emptying it), not a new table
-- swapped in. A table swapped in drops the old one with `cascade`, and with it
-- risk.flags_for_review, the view the workbench reads, until the build
-- reached that view again; readers of a table rebuilt in place see the old
-- flags or the new, never none. So it always equals a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ contract_relaxed_on_existing_table() }}", "{{ risk_record_first_seen() }}",
              "{{ risk_record_withdrawals() }}",
              "{% if is_incremental() %}delete from {{ this }}{% else %}select 'built in full'{% endif %}"],
    post_hook="{{ contract_rules_on_existing_table() }}",
) }}

with

findings as (
    {{ risk_rules_union('*') }}
),

first_seen as (
    select flag_id, first_detected_at from {{ ref('stg_risk_reviews__flag_first_seen') }}
)

select
    f.flag_id::text as flag_id,
    f.rule_code::text as rule_code,
    f.rule_version::text as rule_version,
    f.enterprise_id::text as enterprise_id,
    f.tax_code::text as tax_code,
    f.period::text as period,
    f.severity::text as severity,
    f.score::numeric(5, 1) as score,
    f.amount_at_stake_vnd::numeric(22, 0) as amount_at_stake_vnd,
    f.summary::text as summary,
    f.evidence::jsonb as evidence,
    f.evidence_hash::text as evidence_hash,
    e.industrial_zone_code::text as industrial_zone_code,
    coalesce(s.first_detected_at, now())::timestamptz as first_detected_at
from findings as f
left join first_seen as s on s.flag_id = f.flag_id
left join {{ ref('dim_enterprise') }} as e on e.enterprise_id = f.enterprise_id
