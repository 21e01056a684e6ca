-- The ledger of what was sent to the national FDI information system
-- (docs/fis-and-kpi.md, "Delivering the feed"). Created idempotently by the
-- bootstrap, outside dbt's reach: no rebuild or full refresh drops it.
-- `fdi export-fis` (apps/fis_export.py) appends one row per report period and
-- revision, acting as fdi_exporter, its owner; dbt only reads it
-- (stg_fis_exports__export_revisions), and the outbox manifests it mirrors
-- refill it on a new database.
create table if not exists fis.export_revisions (
    report_period     text not null,
    revision          integer not null,
    exported_at       timestamptz not null,
    row_count         integer not null,
    content_sha256    text not null,
    changed_projects  text[] not null default '{}',
    changed_columns   text[] not null default '{}',
    manifest_path     text,
    primary key (report_period, revision)
);
comment on table fis.export_revisions is
    'Exports to the national FDI information system, one row per report period and revision; written by fdi export-fis only / Sổ theo dõi các lần xuất dữ liệu sang Hệ thống thông tin quốc gia về đầu tư nước ngoài';
