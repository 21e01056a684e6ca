-- What a person decided about a name group entity resolution left to them
-- (marts.enterprise_link_candidates): which of its candidate enterprises the
-- group's records name, or none of them. Created idempotently by the
-- bootstrap, outside dbt's reach, in a schema of its own owned by the owner of
-- the review log (fdi_reviews), so no rebuild, full refresh or pipeline role
-- can drop or rewrite a decision (issue #13). `fdi link` appends one row as
-- fdi_engineer; dbt only reads the log (stg_linkage__decisions), and the
-- latest decision of a group is in force (int_name_candidates_scored).

create table if not exists linkage.decisions (
    decision_id        bigint generated always as identity primary key,
    name_group_id      text not null,
    -- NULL: none of the candidates; the group's records stay unmatched
    enterprise_id      text,
    reviewer           text not null check (btrim(reviewer) <> ''),
    note               text,
    -- what the queue showed when the decision was made, set by the server
    delivered_name     text,
    delivered_address  text,
    candidate_score    numeric(5, 4),
    decided_at         timestamptz not null default clock_timestamp(),
    decided_by         text not null default session_user
);
create index if not exists decisions_group on linkage.decisions (name_group_id, decided_at desc, decision_id desc);
comment on table linkage.decisions is
    'Append-only decisions of people on the name groups entity resolution could not link alone; the latest of a group is in force / Nhật ký quyết định liên kết bản ghi với doanh nghiệp (chỉ thêm)';
comment on column linkage.decisions.decision_id is
    'Id of the decision, in the order recorded / Mã quyết định';
comment on column linkage.decisions.name_group_id is
    'The name group decided on (marts.enterprise_link_candidates.name_group_id) / Mã nhóm tên';
comment on column linkage.decisions.enterprise_id is
    'The candidate enterprise the group''s records name; NULL when they name none of the candidates / Doanh nghiệp được chọn (NULL: không doanh nghiệp nào)';
comment on column linkage.decisions.reviewer is
    'Name of the person deciding / Người quyết định';
comment on column linkage.decisions.note is
    'Why (kept with the decision) / Ghi chú';
comment on column linkage.decisions.delivered_name is
    'The name as delivered when decided, from the queue, set by the server / Tên như được giao';
comment on column linkage.decisions.delivered_address is
    'The address as delivered when decided, from the queue, set by the server / Địa chỉ như được giao';
comment on column linkage.decisions.candidate_score is
    'Entity resolution''s score of the chosen candidate when decided (NULL for none) / Điểm của ứng viên được chọn';
comment on column linkage.decisions.decided_at is
    'When, set by the server / Thời điểm quyết định (do máy chủ ghi)';
comment on column linkage.decisions.decided_by is
    'Database login that recorded the decision (session_user), set by the server / Tài khoản cơ sở dữ liệu ghi quyết định';

-- A decision names a group the queue shows now (or one decided before, which
-- a person may decide again) and, unless it is "none", one of that group's
-- candidates there; the delivered name, the score, the time and the login are
-- the server's, not the client's.
create or replace function linkage.decisions_before_insert() returns trigger
language plpgsql as $$
declare
    shown record;
    chosen record;
begin
    if to_regclass('marts.enterprise_link_candidates') is null then
        raise exception 'marts.enterprise_link_candidates does not exist yet: build the warehouse before deciding links';
    end if;
    -- dynamic SQL: the queue is rebuilt by dbt and may not exist when this is created
    execute 'select delivered_name, delivered_address from marts.enterprise_link_candidates
             where name_group_id = $1 limit 1'
        into shown using new.name_group_id;
    if shown is null then
        raise exception 'no name group % in marts.enterprise_link_candidates', new.name_group_id
            using errcode = 'foreign_key_violation';
    end if;
    if new.enterprise_id is not null then
        execute 'select score from marts.enterprise_link_candidates
                 where name_group_id = $1 and candidate_enterprise_id = $2'
            into chosen using new.name_group_id, new.enterprise_id;
        if chosen is null then
            raise exception 'enterprise % is not a candidate of name group %', new.enterprise_id, new.name_group_id
                using errcode = 'foreign_key_violation';
        end if;
        new.candidate_score := chosen.score;
    else
        new.candidate_score := null;
    end if;
    new.delivered_name := shown.delivered_name;
    new.delivered_address := shown.delivered_address;
    new.decided_at := clock_timestamp();
    new.decided_by := session_user;
    return new;
end $$;

-- append-only by the review log's guard (warehouse/reviews.sql, applied before this file)
create or replace trigger decisions_before_insert before insert on linkage.decisions
    for each row execute function linkage.decisions_before_insert();
create or replace trigger decisions_no_update before update or delete on linkage.decisions
    for each row execute function risk.refuse_change_to_log();
create or replace trigger decisions_no_truncate before truncate on linkage.decisions
    for each statement execute function risk.refuse_change_to_log();
