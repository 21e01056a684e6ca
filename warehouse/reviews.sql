-- What monitoring staff decide about risk flags, and when each flag was first
-- seen (contracts/warehouse.md, "risk"). Created idempotently by the
-- bootstrap, outside dbt's reach: no rebuild, `dbt build --full-refresh` or
-- reload ever drops or rewrites these tables. dbt only reads them
-- (risk.flags_for_review) and adds new flag ids to risk.flag_first_seen.

-- First detection of each flag. flag_id is a hash of rule, enterprise and
-- period, so the same finding keeps its row, and its date, across rebuilds.
create table if not exists risk.flag_first_seen (
    flag_id            text primary key,
    rule_code          text not null,
    first_detected_at  timestamptz not null default now()
);
comment on table risk.flag_first_seen is
    'When each risk flag was first detected; kept across every rebuild / Thời điểm phát hiện lần đầu của mỗi cảnh báo';
comment on column risk.flag_first_seen.flag_id is
    'Stable id of the flag (a hash of rule, enterprise and period), as in risk.flags / Mã cảnh báo';
comment on column risk.flag_first_seen.rule_code is
    'Rule that raised the flag, e.g. TP01 / Mã quy tắc';
comment on column risk.flag_first_seen.first_detected_at is
    'When a build first found the flag; never changed afterwards / Thời điểm phát hiện lần đầu';

-- Each flag a build stopped raising, as it was last raised. A flag goes when
-- the data it stood on changes (a late delivery, a correction) or a new rule
-- version no longer finds it; its decisions stay in risk.flag_reviews, and
-- this row keeps what they were about, so the workbench can still show them
-- (issue #17: a reviewer's decision is never lost). Appended by the pre-hook
-- of risk.flags (macros/risk.sql, risk_record_withdrawals), never changed; a
-- flag raised again and then withdrawn again has a second row.
create table if not exists risk.flag_withdrawals (
    withdrawal_id        bigint generated always as identity primary key,
    flag_id              text not null,
    rule_code            text not null,
    rule_version         text,
    enterprise_id        text,
    tax_code             text,
    period               text,
    severity             text,
    score                numeric(5, 1),
    amount_at_stake_vnd  numeric(22, 0),
    summary              text,
    evidence             jsonb,
    evidence_hash        text,
    first_detected_at    timestamptz,
    withdrawn_at         timestamptz not null default now()
);
create index if not exists flag_withdrawals_flag on risk.flag_withdrawals (flag_id, withdrawn_at desc);
create index if not exists flag_withdrawals_enterprise on risk.flag_withdrawals (enterprise_id);
comment on table risk.flag_withdrawals is
    'Each risk flag a build stopped raising, as it was last raised; its decisions stay in risk.flag_reviews (append-only) / Cảnh báo không còn được nêu, lưu như lần cuối được nêu (chỉ thêm)';
comment on column risk.flag_withdrawals.withdrawal_id is
    'Id of the withdrawal, in the order recorded / Mã lần rút';
comment on column risk.flag_withdrawals.flag_id is
    'The flag no longer raised (risk.flags.flag_id while it was) / Mã cảnh báo';
comment on column risk.flag_withdrawals.rule_code is
    'Rule that raised it / Mã quy tắc';
comment on column risk.flag_withdrawals.rule_version is
    'Rule version that last raised it / Phiên bản quy tắc lần cuối nêu';
comment on column risk.flag_withdrawals.enterprise_id is
    'Enterprise / Mã doanh nghiệp';
comment on column risk.flag_withdrawals.tax_code is
    '10-digit tax code / Mã số thuế';
comment on column risk.flag_withdrawals.period is
    'YYYY or YYYY-MM / Kỳ';
comment on column risk.flag_withdrawals.severity is
    'low | medium | high, as last raised / Mức độ';
comment on column risk.flag_withdrawals.score is
    '0-100, as last raised / Điểm rủi ro';
comment on column risk.flag_withdrawals.amount_at_stake_vnd is
    'Estimated amount at stake, VND, as last raised / Số tiền ước tính liên quan';
comment on column risk.flag_withdrawals.summary is
    'The summary as last raised / Tóm tắt lần cuối';
comment on column risk.flag_withdrawals.evidence is
    'The evidence as last raised / Bằng chứng lần cuối';
comment on column risk.flag_withdrawals.evidence_hash is
    'md5 of that evidence: the hash a decision on it carries / Mã băm bằng chứng';
comment on column risk.flag_withdrawals.first_detected_at is
    'When the flag was first detected / Thời điểm phát hiện lần đầu';
comment on column risk.flag_withdrawals.withdrawn_at is
    'When the build that no longer raised it began writing risk.flags / Thời điểm không còn nêu';

-- The review log: append-only. A decision is never edited; a new decision is
-- a new row, and the latest one (decided_at, then review_id) is in force.
create table if not exists risk.flag_reviews (
    review_id      bigint generated always as identity primary key,
    flag_id        text not null,
    status         text not null check (status in ('open', 'in_review', 'confirmed', 'dismissed')),
    reviewer       text not null check (btrim(reviewer) <> ''),
    note           text,
    -- hash of the flag's evidence when it was decided: a dismissal holds only
    -- while the evidence is unchanged (risk.flags_for_review)
    evidence_hash  text,
    decided_at     timestamptz not null default clock_timestamp(),
    decided_by     text not null default session_user
);
create index if not exists flag_reviews_flag on risk.flag_reviews (flag_id, decided_at desc, review_id desc);
comment on table risk.flag_reviews is
    'Append-only decisions of monitoring staff on risk flags / Nhật ký xem xét cảnh báo rủi ro (chỉ thêm, không sửa, không xoá)';
comment on column risk.flag_reviews.review_id is
    'Id of the decision, in the order recorded / Mã quyết định';
comment on column risk.flag_reviews.flag_id is
    'The flag decided on (risk.flags.flag_id; it must exist when the decision is recorded) / Mã cảnh báo';
comment on column risk.flag_reviews.status is
    'open, in_review, confirmed or dismissed / Trạng thái: mở, đang xem xét, xác nhận, bác bỏ';
comment on column risk.flag_reviews.reviewer is
    'Name of the person deciding / Người xem xét';
comment on column risk.flag_reviews.note is
    'Why (kept with the decision) / Ghi chú';
comment on column risk.flag_reviews.evidence_hash is
    'Hash of the flag''s evidence when decided (the flag''s current one unless given); a dismissal holds only while it is unchanged / Mã băm bằng chứng tại thời điểm quyết định';
comment on column risk.flag_reviews.decided_at is
    'When, set by the server / Thời điểm quyết định (do máy chủ ghi)';
comment on column risk.flag_reviews.decided_by is
    'Database login that recorded the decision (session_user), set by the server / Tài khoản cơ sở dữ liệu ghi quyết định';

-- A decision must name a flag that exists now, and carries that flag's
-- evidence hash (filled in when the reviewer did not give it). The time and
-- the database user are recorded by the server, not taken from the client.
create or replace function risk.flag_reviews_before_insert() returns trigger
language plpgsql as $$
declare
    current_hash text;
    flag_exists boolean;
begin
    if to_regclass('risk.flags') is null then
        raise exception 'risk.flags does not exist yet: build the warehouse before reviewing flags';
    end if;
    -- dynamic SQL: risk.flags is rebuilt by dbt and may not exist when this is created
    execute 'select evidence_hash, true from risk.flags where flag_id = $1'
        into current_hash, flag_exists using new.flag_id;
    if flag_exists is null then
        raise exception 'no risk flag with flag_id %', new.flag_id using errcode = 'foreign_key_violation';
    end if;
    new.evidence_hash := coalesce(new.evidence_hash, current_hash);
    new.decided_at := clock_timestamp();
    new.decided_by := session_user;
    return new;
end $$;

-- The guard of every log of people's decisions (this one, linkage.decisions):
-- no row is changed or removed, not even by the owner.
create or replace function risk.refuse_change_to_log() returns trigger
language plpgsql as $$
begin
    raise exception '%.% is append-only: % is not allowed; record a new decision instead',
        tg_table_schema, tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end $$;

create or replace trigger flag_reviews_before_insert before insert on risk.flag_reviews
    for each row execute function risk.flag_reviews_before_insert();
create or replace trigger flag_reviews_no_update before update or delete on risk.flag_reviews
    for each row execute function risk.refuse_change_to_log();
create or replace trigger flag_reviews_no_truncate before truncate on risk.flag_reviews
    for each statement execute function risk.refuse_change_to_log();
-- the guard's name before it served the link decisions too
drop function if exists risk.flag_reviews_append_only();
create or replace trigger flag_withdrawals_no_update before update or delete on risk.flag_withdrawals
    for each row execute function risk.refuse_change_to_log();
create or replace trigger flag_withdrawals_no_truncate before truncate on risk.flag_withdrawals
    for each statement execute function risk.refuse_change_to_log();
