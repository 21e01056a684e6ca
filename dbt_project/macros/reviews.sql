{#- The review decision in force on each flag of `flags`, a select with at
    least flag_id, severity and evidence_hash: its columns, then review_status,
    reopened, reviewer, review_note, decided_at, confirmations and
    confirmed_by. Shared by risk.flags_for_review (the flags raised) and
    risk.withdrawn_flags_for_review (those no rule raises any more, as last
    raised), so a decision reads the same wherever a reviewer meets it.

    The decision in force is the latest one (decided_at, then review_id). A
    `dismissed` decision holds only while the flag's evidence is the evidence
    that was reviewed (same evidence_hash); when the figures change, the flag
    is `open` again, so a dismissed flag stays dismissed only while nothing
    new has been found.

    Four-eyes (issue #17): a high-severity flag counts as `confirmed` only
    when two different logins (decided_by, the server's session_user) have
    confirmed it since its last other decision; until then it is
    `awaiting_second`. A confirmation never counts for evidence it did not
    see. -#}
{% macro review_in_force(flags) -%}
with

flags as (
    {{ flags }}
),

latest_review as (
    select distinct on (flag_id)
        flag_id, review_id, status, reviewer, note, evidence_hash, decided_at
    from {{ ref('stg_risk_reviews__flag_reviews') }}
    order by flag_id, decided_at desc, review_id desc
),

-- the current run of confirmations: those after the flag's last decision
-- that was not a confirmation
last_other as (
    select flag_id, max(review_id) as review_id
    from {{ ref('stg_risk_reviews__flag_reviews') }}
    where status <> 'confirmed'
    group by flag_id
),

confirmations as (
    select
        c.flag_id,
        c.evidence_hash,
        count(distinct c.decided_by)::int as confirmers,
        string_agg(distinct c.decided_by, ', ') as confirmed_by
    from {{ ref('stg_risk_reviews__flag_reviews') }} as c
    left join last_other as o on o.flag_id = c.flag_id
    where c.status = 'confirmed' and c.review_id > coalesce(o.review_id, 0)
    group by c.flag_id, c.evidence_hash
)

select
    f.*,
    (case
        when r.flag_id is null then 'open'
        when r.status = 'dismissed' and r.evidence_hash is distinct from f.evidence_hash then 'open'
        when r.status = 'confirmed' and f.severity = 'high' and coalesce(c.confirmers, 0) < 2 then 'awaiting_second'
        else r.status
    end)::text as review_status,
    coalesce(r.status = 'dismissed' and r.evidence_hash is distinct from f.evidence_hash, false)::boolean as reopened,
    r.reviewer::text as reviewer,
    r.note::text as review_note,
    r.decided_at::timestamptz as decided_at,
    coalesce(c.confirmers, 0)::int as confirmations,
    c.confirmed_by::text as confirmed_by
from flags as f
left join latest_review as r on r.flag_id = f.flag_id
left join confirmations as c on c.flag_id = f.flag_id and c.evidence_hash = f.evidence_hash
{%- endmacro %}
