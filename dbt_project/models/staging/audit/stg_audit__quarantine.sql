-- One row per quarantined row of any delivery: the row as delivered and every
-- check it failed (warehouse/audit.sql). Read by rules that must not mistake a
-- row the loader held back for a row that never came (CAP01).
with

source as (
    select * from {{ source('audit', 'quarantine') }}
),

renamed as (
    select
        -- ids
        delivery_id,
        agency,
        dataset,
        row_number,
        -- what failed, and the row as delivered
        reasons,
        original
    from source
)

select * from renamed
