-- One row per flag with the review decision in force. A view, so a decision
-- recorded in risk.flag_reviews shows at once, without a rebuild.
--
-- The decision in force is the latest one (decided_at, then review_id). A
-- `dismissed` decision holds only while the flag's evidence is the evidence
-- that was reviewed (same evidence_hash); when the figures change, the flag
-- is `open` again, so a dismissed flag stays dismissed only while nothing new
-- has been found.
{{ config(materialized='view') }}

with

flags as (
    select * from {{ ref('flags') }}
),

latest_review as (
    select distinct on (flag_id)
        flag_id, review_id, status, reviewer, note, evidence_hash, decided_at
    from {{ ref('stg_risk_reviews__flag_reviews') }}
    order by flag_id, decided_at desc, review_id desc
)

select
    f.flag_id,
    f.rule_code,
    f.rule_version,
    f.enterprise_id,
    f.tax_code,
    f.period,
    f.severity,
    f.score,
    f.amount_at_stake_vnd,
    f.summary,
    f.evidence,
    f.evidence_hash,
    f.industrial_zone_code,
    f.first_detected_at,
    (case
        when r.flag_id is null then 'open'
        when r.status = 'dismissed' and r.evidence_hash is distinct from f.evidence_hash then 'open'
        else r.status
    end)::text as review_status,
    coalesce(r.status = 'dismissed' and r.evidence_hash is distinct from f.evidence_hash, false)::boolean as reopened,
    r.reviewer::text as reviewer,
    r.note::text as review_note,
    r.decided_at::timestamptz as decided_at
from flags as f
left join latest_review as r on r.flag_id = f.flag_id
