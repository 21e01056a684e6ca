-- One row per decision of a person on a name group entity resolution left to
-- them, as appended to the decision log (warehouse/link_decisions.sql).
with

source as (
    select * from {{ source('linkage', 'decisions') }}
),

renamed as (
    select
        -- ids
        decision_id,
        name_group_id,
        -- decision: the candidate chosen, NULL for none of them
        enterprise_id,
        reviewer,
        note,
        candidate_score,
        -- who and when, stamped by the server
        decided_by,
        decided_at
    from source
)

select * from renamed
