-- The dbt builds' own record (docs/linked-warehouse.md, "Incremental builds"):
-- one row per `dbt build` or `dbt run`, with the newest delivery it could see
-- and whether it built and tested every delivery-keyed model without error.
-- A monthly build's data tests read only the deliveries loaded since the last
-- build that succeeded (macros/test_scope.sql), so a failed build's deliveries
-- are tested again by the next one. Created here, outside dbt, like every
-- table dbt does not build: a full refresh never forgets what was tested.
-- dbt (fdi_builder) writes it through its on-run-start and on-run-end hooks.
create table if not exists audit.dbt_builds (
    invocation_id  text primary key,
    started_at     timestamptz not null,
    loaded_until   timestamptz,
    succeeded      boolean not null default false
);
comment on table audit.dbt_builds is
    'One row per dbt build: the newest delivery it saw and whether it succeeded / Mỗi dòng một lần dbt xây dựng kho: lần giao mới nhất và kết quả';
comment on column audit.dbt_builds.invocation_id is 'dbt''s invocation id of the build or run / Mã lần chạy dbt';
comment on column audit.dbt_builds.started_at is 'When it started (its on-run-start hook) / Thời điểm bắt đầu';
comment on column audit.dbt_builds.loaded_until is
    'The newest loaded_at in audit.deliveries when it started: the deliveries it could see; NULL when none was loaded / Thời điểm nạp của lần giao mới nhất mà lần chạy thấy';
comment on column audit.dbt_builds.succeeded is
    'It built every model of var fdi_tested_by_new_deliveries with no error and no failed test (its on-run-end hook); false until then, so a killed build stays false / Lần chạy thành công';
