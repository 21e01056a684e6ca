-- The load audit (contracts/warehouse.md, "audit"). Created idempotently by the
-- bootstrap; never dropped by a reload or a dbt rebuild.
create table if not exists audit.deliveries (
    delivery_id        text primary key,
    agency             text not null,
    dataset            text not null,
    period             text not null,
    extracted_at       timestamptz,
    received_at        timestamptz not null default now(),
    status             text not null check (status in ('loaded', 'rejected', 'superseded')),
    rows_in_manifest   bigint,
    rows_loaded        bigint,
    rows_quarantined   bigint,
    rows_repaired      bigint,
    reason             text,
    warnings           text[] not null default '{}',
    folder             text,
    manifest           jsonb,
    loaded_at          timestamptz
);
-- When the dataset's blocking GX suite last passed on this delivery's rows; NULL
-- until then, so a run killed during the check (or a failed check) re-validates it.
alter table audit.deliveries add column if not exists validated_at timestamptz;
create index if not exists deliveries_period on audit.deliveries (agency, dataset, period);

create table if not exists audit.quarantine (
    delivery_id  text not null,
    agency       text not null,
    dataset      text not null,
    row_number   bigint not null,
    reasons      text[] not null,
    original     jsonb not null,
    primary key (delivery_id, row_number)
);

create table if not exists audit.repairs (
    delivery_id   text not null,
    agency        text not null,
    dataset       text not null,
    row_number    bigint not null,
    column_name   text not null,
    value_before  text,
    value_after   text,
    rule          text not null
);
create index if not exists repairs_delivery on audit.repairs (delivery_id);

comment on table audit.deliveries is 'One row per delivery seen (loaded, rejected or superseded) / Mỗi dòng một lần giao dữ liệu';
comment on table audit.quarantine is 'One row per rejected row, with every failed check and the row as delivered / Dòng bị cách ly';
comment on table audit.repairs is 'Every safe repair the loader made: row, column, before, after, rule / Các sửa lỗi tự động';

-- Every column says what it holds (as warehouse/loader.py and pipelines/lib/ingest.py write it), like
-- marts, risk, fis and kpi (tests/warehouse/test_table_comments.py); run again on every bootstrap.
comment on column audit.deliveries.delivery_id is
    'The delivery''s id from its manifest; unreadable:<agency>/<dataset>/<period>:<digest> when the manifest cannot be read, <id>:conflict:<digest> for a copy reusing a loaded id with other files / Mã lần giao dữ liệu';
comment on column audit.deliveries.agency is 'Agency that delivered, from the landing folder (customs, fx, ...) / Cơ quan giao dữ liệu';
comment on column audit.deliveries.dataset is 'Dataset of the agency''s contract, from the landing folder / Bộ dữ liệu';
comment on column audit.deliveries.period is 'Period the delivery covers, YYYY-MM or YYYY, the landing folder''s name / Kỳ dữ liệu của lần giao';
comment on column audit.deliveries.extracted_at is
    'When the agency extracted the data (manifest); the latest extract of a period is the one in force; NULL when the manifest cannot be read / Thời điểm cơ quan trích xuất dữ liệu';
comment on column audit.deliveries.received_at is
    'When the warehouse first recorded the delivery (a rejected delivery seen again: when it was last seen) / Thời điểm kho ghi nhận lần giao';
comment on column audit.deliveries.status is
    'loaded: the period''s delivery in force; superseded: loaded, then replaced by a later extract of the period; rejected: refused as a whole, nothing of it loaded (see reason) / Trạng thái: đang hiệu lực, bị thay thế, bị từ chối';
comment on column audit.deliveries.rows_in_manifest is 'Data rows the manifest declares; NULL when the manifest cannot be read / Số dòng theo bản kê';
comment on column audit.deliveries.rows_loaded is 'Rows copied into raw_<agency>.<dataset>; 0 when rejected / Số dòng đã nạp';
comment on column audit.deliveries.rows_quarantined is 'Rows refused one by one into audit.quarantine; 0 when rejected / Số dòng bị cách ly';
comment on column audit.deliveries.rows_repaired is
    'Loaded rows with at least one safe repair (audit.repairs); 0 when rejected / Số dòng được sửa lỗi tự động';
comment on column audit.deliveries.reason is 'Why the whole delivery was rejected, one sentence; NULL unless rejected / Lý do từ chối lần giao';
comment on column audit.deliveries.warnings is
    'What the loader noted without refusing anything (e.g. a file''s unknown columns); empty when nothing / Cảnh báo khi nạp';
comment on column audit.deliveries.folder is 'The delivery folder it was read from (<landing>/<agency>/<dataset>/<period>) / Thư mục lần giao';
comment on column audit.deliveries.manifest is 'The manifest as delivered, JSON; NULL when it cannot be read / Bản kê lần giao (JSON)';
comment on column audit.deliveries.loaded_at is
    'When the load committed (again on a forced reload); NULL for a rejected delivery; a build reads the deliveries loaded since the last build that passed (audit.dbt_builds) / Thời điểm nạp xong';
comment on column audit.deliveries.validated_at is
    'When the dataset''s blocking GX suite last passed on this delivery''s rows; NULL until then, so a failed or interrupted check validates it again / Thời điểm kiểm tra chất lượng (GX) đạt';

comment on column audit.quarantine.delivery_id is 'Delivery the row came in (audit.deliveries) / Mã lần giao dữ liệu';
comment on column audit.quarantine.agency is 'Agency of the delivery / Cơ quan giao dữ liệu';
comment on column audit.quarantine.dataset is 'Dataset of the delivery / Bộ dữ liệu';
comment on column audit.quarantine.row_number is
    'Data row number within the delivery, header excluded (as raw tables'' _row_number) / Số thứ tự dòng dữ liệu trong lần giao';
comment on column audit.quarantine.reasons is 'Every check the row failed, by name / Các kiểm tra dòng không đạt';
comment on column audit.quarantine.original is
    'The row as delivered, JSON of column to text; a personal column as <column>_hash, the keyed hash staging uses, never in clear / Dòng dữ liệu như đã giao (JSON; dữ liệu cá nhân đã băm)';

comment on column audit.repairs.delivery_id is 'Delivery the repaired row came in (audit.deliveries) / Mã lần giao dữ liệu';
comment on column audit.repairs.agency is 'Agency of the delivery / Cơ quan giao dữ liệu';
comment on column audit.repairs.dataset is 'Dataset of the delivery / Bộ dữ liệu';
comment on column audit.repairs.row_number is
    'Data row number within the delivery, header excluded; a loaded row (a quarantined row''s repairs are not kept) / Số thứ tự dòng dữ liệu trong lần giao';
comment on column audit.repairs.column_name is 'Column repaired; <column>_hash when the column is personal / Cột được sửa';
comment on column audit.repairs.value_before is 'Value as delivered (its keyed hash when personal) / Giá trị như đã giao';
comment on column audit.repairs.value_after is 'Value as loaded (its keyed hash when personal) / Giá trị sau khi sửa';
comment on column audit.repairs.rule is
    'The safe repair applied, by name (e.g. tax_code_leading_zero, unicode_nfc) / Quy tắc sửa lỗi đã áp dụng';
