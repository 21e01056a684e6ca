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
