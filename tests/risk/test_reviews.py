"""Guards the review log of risk flags in the database itself (warehouse/reviews.sql, roles.yaml).

No pipeline: a freshly bootstrapped warehouse and a stand-in risk.flags with
two flags are enough to show that monitoring staff may append decisions and
nothing else, that nobody can rewrite the log, and that analysts cannot read
the risk schema at all.
"""
from __future__ import annotations

import psycopg
import pytest

from apps.review import RiskError, record_review


@pytest.fixture
def flags(db):
    """A stand-in for the dbt-built risk.flags (only the columns the review trigger reads)."""
    db.execute("create table risk.flags (flag_id text primary key, rule_code text, evidence_hash text)")
    db.execute("insert into risk.flags values ('f1', 'TP01', 'hash-1'), ('f2', 'CAP01', 'hash-2')")
    db.execute("create view risk.flags_for_review as select * from risk.flags")
    return db


def test_monitor_records_a_review_with_the_flags_evidence_hash(flags):
    review = record_review(flags, "f1", "confirmed", "Nguyễn Văn A", "giá nhập khẩu cao bất thường")
    assert review.status == "confirmed" and review.evidence_hash == "hash-1"
    row = flags.execute("select reviewer, decided_by, decided_at is not null from risk.flag_reviews").fetchone()
    assert row[0] == "Nguyễn Văn A" and row[2]


def test_a_review_must_name_an_existing_flag_and_a_known_status(flags):
    with pytest.raises(RiskError, match="no risk flag"):
        record_review(flags, "nope", "confirmed", "A")
    with pytest.raises(RiskError, match="status"):
        record_review(flags, "f1", "approved", "A")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        flags.execute("insert into risk.flag_reviews (flag_id, status, reviewer) values ('nope', 'open', 'A')")


def test_the_review_log_is_append_only_even_for_the_owner(flags):
    record_review(flags, "f1", "dismissed", "A")
    for statement in ("update risk.flag_reviews set status = 'confirmed'",
                      "delete from risk.flag_reviews",
                      "truncate risk.flag_reviews"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            flags.execute(statement)
    assert flags.execute("select count(*) from risk.flag_reviews").fetchone()[0] == 1


def test_monitor_may_insert_reviews_but_not_alter_flags_or_first_seen(flags):
    with flags.transaction():
        flags.execute("set local role fdi_monitor")
        flags.execute("insert into risk.flag_reviews (flag_id, status, reviewer) values ('f2', 'in_review', 'B')")
        assert flags.execute("select count(*) from risk.flags").fetchone()[0] == 2
    for statement in ("update risk.flags set evidence_hash = 'x'",
                      "delete from risk.flags",
                      "insert into risk.flag_first_seen (flag_id, rule_code) values ('f9', 'TP01')",
                      "update risk.flag_reviews set note = 'x'"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with flags.transaction():
                flags.execute("set local role fdi_monitor")
                flags.execute(statement)


def test_analyst_cannot_read_risk(flags):
    for table in ("risk.flags", "risk.flag_reviews", "risk.flag_first_seen"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with flags.transaction():
                flags.execute("set local role fdi_analyst")
                flags.execute(f"select count(*) from {table}")
