-- One row per decision of monitoring staff on a risk flag, as appended to the
-- review log (warehouse/reviews.sql).
-- Replaced in place (macros/view_in_place.sql): risk.flags_for_review, a view
-- the workbench reads, is built over it, and would go with it.
{{ config(materialized='view_in_place') }}
with

source as (
    select * from {{ source('risk_reviews', 'flag_reviews') }}
),

renamed as (
    select
        -- ids
        review_id,
        flag_id,
        -- decision
        status,
        reviewer,
        note,
        evidence_hash,
        -- who and when, stamped by the server
        decided_by,
        decided_at
    from source
)

select * from renamed
