-- One row per flag id ever detected, with when it was first detected
-- (warehouse/reviews.sql; filled by the pre-hook of risk.flags).
with

source as (
    select * from {{ source('risk_reviews', 'flag_first_seen') }}
),

renamed as (
    select
        flag_id,
        rule_code,
        first_detected_at
    from source
)

select * from renamed
