-- One row per delivery the loader has seen, with its status and counts
-- (warehouse/audit.sql): the input of marts.dataset_coverage.
with

source as (
    select * from {{ source('audit', 'deliveries') }}
),

renamed as (
    select
        -- ids
        delivery_id,
        agency,
        dataset,
        period,
        -- outcome
        status,
        reason,
        rows_in_manifest,
        rows_loaded,
        rows_quarantined,
        rows_repaired,
        -- times
        extracted_at,
        received_at,
        loaded_at,
        validated_at
    from source
)

select * from renamed
