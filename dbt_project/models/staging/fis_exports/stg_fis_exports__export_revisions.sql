-- One row per report period and revision sent to the national FDI
-- information system (warehouse/exports.sql; appended by `fdi export-fis`).
with

source as (
    select * from {{ source('fis_exports', 'export_revisions') }}
),

renamed as (
    select
        -- ids
        report_period,
        revision,
        -- what was sent
        row_count,
        content_sha256,
        changed_projects,
        changed_columns,
        manifest_path,
        -- when
        exported_at
    from source
)

select * from renamed
