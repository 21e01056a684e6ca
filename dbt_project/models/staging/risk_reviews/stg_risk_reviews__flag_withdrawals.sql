-- One row per withdrawal of a risk flag: the flag as last raised, appended by
-- the pre-hook of risk.flags when a build stops raising it
-- (warehouse/reviews.sql, macros/risk.sql risk_record_withdrawals).
-- Replaced in place (macros/view_in_place.sql): risk.withdrawn_flags_for_review,
-- a view the workbench reads, is built over it, and would go with it.
{{ config(materialized='view_in_place') }}
with

source as (
    select * from {{ source('risk_reviews', 'flag_withdrawals') }}
),

renamed as (
    select
        -- ids
        withdrawal_id,
        flag_id,
        -- the flag as last raised
        rule_code,
        rule_version,
        enterprise_id,
        tax_code,
        period,
        severity,
        score,
        amount_at_stake_vnd,
        summary,
        evidence,
        evidence_hash,
        first_detected_at,
        -- when the build that no longer raised it began writing risk.flags
        withdrawn_at
    from source
)

select * from renamed
