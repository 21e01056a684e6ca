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
