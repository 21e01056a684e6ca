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
comment on column fis.export_revisions.report_period is
    'Report period: YYYY-Qn (quarterly) or YYYY (annual) / Kỳ báo cáo';
comment on column fis.export_revisions.revision is
    'Revision of the period sent: 1, then one more for each export whose content changed / Lần xuất (phiên bản)';
comment on column fis.export_revisions.exported_at is
    'When the revision was exported (its manifest) / Thời điểm xuất';
comment on column fis.export_revisions.row_count is
    'Rows (projects) in the revision / Số dòng (dự án)';
comment on column fis.export_revisions.content_sha256 is
    'sha256 of the rows'' figures, revision excluded: equal hashes mean nothing changed / Mã băm nội dung';
comment on column fis.export_revisions.changed_projects is
    'Projects whose figures changed since the previous revision / Các dự án thay đổi so với lần trước';
comment on column fis.export_revisions.changed_columns is
    'Columns that changed in those projects / Các cột thay đổi so với lần trước';
comment on column fis.export_revisions.manifest_path is
    'The revision''s manifest in the outbox (manifest_rN.json) / Đường dẫn tệp manifest';
