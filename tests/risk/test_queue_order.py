"""The review queue's one order (apps.review.QUEUE_ORDER), as `fdi flags` and the workbench's /flags list it.

No pipeline: stand-ins for risk.flags_for_review, risk.enterprise_scores and marts.dim_enterprise with the
case that was wrong. Many scores saturate at 100, so a tie fell to the rule code's alphabet (`fdi flags`) or
to the flag id's hash (the workbench, within an enterprise): a TP01 flag of 7.5 bn VND listed above TP02
flags of 140-188 bn.
"""
from __future__ import annotations

import pytest

from apps.review import open_flags
from workbench.queries import QueueFilters, queue

BN = 1_000_000_000
# flag_id, rule, enterprise, period, score, amount at stake (VND); flag ids chosen so that their own order,
# and the rule codes', is the wrong one
FLAGS = [
    ("a1", "TP01", "E_SMALL", "2024", 100, 7_500_000_000),
    ("b1", "TP02", "E_MID", "2024", 100, 140 * BN),
    ("c1", "TP02", "E_BIG", "2024", 100, 188 * BN),
    # one enterprise, two flags of the same score: the larger amount first, then the one without an estimate
    ("d1", "CAP01", "E_BIG", "2024-06", 100, None),
    ("d2", "TP01", "E_BIG", "2024", 100, 2 * BN),
    ("d3", "ABS01", "E_BIG", "2024-09", 80, 90 * BN),
    # an earlier year comes after every flag of the latest
    ("e1", "TP02", "E_OLD", "2023", 100, 900 * BN),
]
# risk.enterprise_scores' rank in 2024: by priority (evidence weighted by the amount's percentile), as dbt ranks
RANKS = [("E_BIG", 2024, 1), ("E_MID", 2024, 2), ("E_SMALL", 2024, 3), ("E_OLD", 2023, 1)]
EXPECTED = ["c1", "d2", "d1", "d3", "b1", "a1", "e1"]


@pytest.fixture
def stand_ins(db):
    db.execute("create schema if not exists marts")
    db.execute("create table marts.dim_enterprise (enterprise_id text, name_vi text, name_en text)")
    db.execute("insert into marts.dim_enterprise select e, 'Công ty ' || e, null from unnest(%s::text[]) as e",
               (sorted({f[2] for f in FLAGS}),))
    db.execute("""create table risk.flags_for_review (
        flag_id text primary key, rule_code text, tax_code text, enterprise_id text, period text, severity text,
        score numeric(5, 1), amount_at_stake_vnd numeric(22, 0), summary text, review_status text,
        reviewer text, decided_at timestamptz, review_note text, industrial_zone_code text)""")
    for flag_id, rule, enterprise, period, score, amount in FLAGS:
        db.execute("insert into risk.flags_for_review values (%s, %s, %s, %s, %s, 'high', %s, %s, 'Tóm tắt.', "
                   "'open', null, null, null, null)", (flag_id, rule, enterprise, enterprise, period, score, amount))
    db.execute("create table risk.enterprise_scores (enterprise_id text, year int, rank_in_year int)")
    db.cursor().executemany("insert into risk.enterprise_scores values (%s, %s, %s)", RANKS)
    return db


def test_fdi_flags_lists_the_queue_by_rank_then_score_then_amount(stand_ins):
    assert [r["flag_id"] for r in open_flags(stand_ins)] == EXPECTED


def test_the_workbench_queue_is_in_the_same_order(stand_ins):
    rows, total = queue(stand_ins, QueueFilters(), limit=None)
    assert [r["flag_id"] for r in rows] == EXPECTED and total == len(EXPECTED)


def test_filters_keep_the_queue_order(stand_ins):
    only_2024 = [f for f in EXPECTED if f != "e1"]
    assert [r["flag_id"] for r in open_flags(stand_ins, period="2024")] == only_2024
    rows, _ = queue(stand_ins, QueueFilters(year=2024), limit=None)
    assert [r["flag_id"] for r in rows] == only_2024
    assert [r["flag_id"] for r in open_flags(stand_ins, rule="tp02")] == ["c1", "b1", "e1"]
