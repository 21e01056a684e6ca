"""`fdi evaluate`'s arithmetic on hand-made truths and flags (sources/synthetic/score_rules.py).

Each case is one way the evaluation flattered the rules: precision@k divided by the length of a short list
(8 listed reported as "precision@25 1.00 met"); a queue hit counted for an enterprise planted for any rule,
not the rule that flagged it; TP04's case in a single-year economy (no year before to judge it on) scored as
missed with recall 0. The last test runs the same inputs through the database path `fdi evaluate` takes.
"""
from __future__ import annotations

import csv
import json

import pytest

from sources.synthetic.score_rules import (
    evaluate,
    evaluate_queue,
    format_evaluation,
    format_queue,
    score_flags,
    score_queue,
)


def case(rule: str, tax_code: str, period: str, kind: str = "planted") -> dict:
    return {"rule": rule, "enterprise_tax_code": tax_code, "period": period, "kind": kind, "note": ""}


def codes(n: int, prefix: str = "02") -> list[str]:
    return [f"{prefix}{i:08d}" for i in range(n)]


# --- precision@k ---------------------------------------------------------------------------------------------

def test_precision_at_k_divides_by_k_not_by_the_list():
    queue = codes(30)
    # the top 10 holds 9 true findings, the top 25 holds 19
    true = queue[:9] + queue[10:20]
    scenarios = [case("TP02", t, "2024") for t in true]
    flags = [("TP02", t, "2024", 1_000) for t in queue]
    score = score_queue(2024, queue, flags, scenarios)
    at = {a.label: a for a in score.at_k}
    assert (at["10"].hits, at["10"].precision) == (9, 0.9)
    assert (at["25"].hits, at["25"].precision) == (19, 19 / 25)
    assert not score.meets_targets()  # 0.76 < 0.8 at 25
    assert "MISSED (>= 0.8)" in format_queue(score)


def test_a_list_shorter_than_k_has_no_precision_at_k_and_says_so():
    queue = codes(8)
    scenarios = [case("TP02", t, "2024") for t in queue]
    flags = [("TP02", t, "2024", 1_000) for t in queue]
    score = score_queue(2024, queue, flags, scenarios, enterprises=1000)
    at = {a.label: a for a in score.at_k}
    for k in ("10", "25"):
        assert at[k].listed == 8 and at[k].hits == 8 and at[k].short and at[k].precision is None
    assert at["1% (10)"].precision is None
    text = format_queue(score)
    assert "only 8 listed" in text and "1.00" not in text and " met" not in text
    assert "not judged (>= 0.8 needs 25 listed)" in text
    assert score.meets_targets()  # not judged is not a failure: the text says which k were not judged


# --- a hit is a flag by the rule planted ---------------------------------------------------------------------

def test_a_queue_hit_needs_the_flag_of_the_rule_planted():
    queue = codes(10)
    # all ten are planted for TP05; only the first six are flagged by it, the other four by TP01 only
    scenarios = [case("TP05", t, "2024") for t in queue]
    flags = ([("TP05", t, "2024", 5_000) for t in queue[:6]]
             + [("TP01", t, "2024", 7_500_000_000) for t in queue[6:]])
    score = score_queue(2024, queue, flags, scenarios)
    at10 = score.at_k[0]
    assert (at10.k, at10.hits, at10.other_rule, at10.precision) == (10, 6, 4, 0.6)
    assert at10.amount_share == 1.0  # the TP01 amounts are not true findings
    assert not score.meets_targets()


def test_a_planted_case_in_another_period_is_not_a_hit():
    queue = codes(10)
    scenarios = [case("TP01", t, "2024") for t in queue[:9]] + [case("REG02", queue[9], "2024-12")]
    flags = [("TP01", t, "2024", 1) for t in queue[:9]] + [("REG02", queue[9], "2024-03", None)]
    at10 = score_queue(2024, queue, flags, scenarios).at_k[0]
    assert (at10.hits, at10.other_rule, at10.precision) == (9, 1, 0.9)


# --- a rule that cannot be judged ----------------------------------------------------------------------------

def test_tp04_in_a_single_year_economy_is_not_judgeable_not_missed():
    scenarios = [case("TP04", "0200000001", "2024"), case("TP04", "0200000002", "2024", "lookalike"),
                 case("TP01", "0200000003", "2024")]
    flags = [("TP01", "0200000003", "2024")]
    scores = {s.rule: s for s in score_flags(scenarios, flags, horizon="2024-12", first_year=2024)}
    tp04 = scores["TP04"]
    assert tp04.planted == 0 and tp04.recall is None and not tp04.missed
    assert tp04.before_data == [("0200000001", "2024")]
    assert tp04.verdict() == "not judgeable" and tp04.meets_targets()
    text = format_evaluation(list(scores.values()))
    tp04_line = next(line for line in text.splitlines() if line.startswith("TP04"))
    assert tp04_line.endswith("not judgeable") and "MISSED" not in text
    assert "Planted without the years of data before it that its rule needs" in text
    assert "Planted but not flagged" not in text
    # the totals leave it out of recall
    all_line = next(line for line in text.splitlines() if line.startswith("all"))
    assert all_line.split()[1] == "1" and all_line.split()[-1] == "1.00"


def test_tp04_with_the_year_before_delivered_is_judged_and_can_be_missed():
    scenarios = [case("TP04", "0200000001", "2024"), case("TP03", "0200000009", "2024")]
    scores = {s.rule: s for s in score_flags(scenarios, [], horizon="2024-12", first_year=2023)}
    assert scores["TP04"].planted == 1 and scores["TP04"].recall == 0.0 and scores["TP04"].verdict() == "MISSED"
    # TP03 is a run of three years: 2023-2024 is not enough
    assert scores["TP03"].planted == 0 and scores["TP03"].verdict() == "not judgeable"


def test_a_rule_with_nothing_planted_and_nothing_flagged_is_not_reported_as_met():
    scores = {s.rule: s for s in score_flags([case("TP01", "0200000003", "2024")], [("TP01", "0200000003", "2024")],
                                             first_year=2024)}
    assert scores["LAND01"].verdict() == "no case planted"
    assert scores["TP01"].verdict() == "met"


# --- the database path of `fdi evaluate` ---------------------------------------------------------------------

@pytest.fixture
def single_year(db, tmp_path):
    """A warehouse of 2024 only with the stand-in risk tables `fdi evaluate` reads, and its truth."""
    truth = tmp_path / "_truth"
    truth.mkdir()
    listed = codes(8)
    scenarios = ([case("TP02", t, "2024") for t in listed[:7]] + [case("TP05", listed[7], "2024")]
                 + [case("TP04", "0300000000", "2024")])
    with open(truth / "scenarios.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["rule", "enterprise_tax_code", "period", "kind", "note"])
        writer.writeheader()
        writer.writerows(scenarios)
    (truth / "economy.json").write_text(json.dumps({"enterprises": 120, "years": [2024, 2024], "seed": 3}))
    for month in range(1, 13):
        db.execute("insert into audit.deliveries (delivery_id, agency, dataset, period, status) "
                   "values (%s, 'tax', 'returns', %s, 'loaded')", (f"d{month}", f"2024-{month:02d}"))
    db.execute("create table risk.flags (rule_code text, tax_code text, period text, amount_at_stake_vnd numeric)")
    for t in listed[:7]:
        db.execute("insert into risk.flags values ('TP02', %s, '2024', 140e9)", (t,))
    db.execute("insert into risk.flags values ('TP01', %s, '2024', 7.5e9)", (listed[7],))
    db.execute("create table risk.enterprise_scores (tax_code text, year int, rank_in_year int)")
    for rank, t in enumerate(listed, 1):
        db.execute("insert into risk.enterprise_scores values (%s, 2024, %s)", (t, rank))
    return db, tmp_path


def test_fdi_evaluate_on_the_database_is_honest(single_year):
    db, truth = single_year
    scores = {s.rule: s for s in evaluate(db, truth)}
    assert scores["TP04"].verdict() == "not judgeable" and not scores["TP04"].missed
    assert scores["TP01"].verdict() == "MISSED"  # its one flag is on an enterprise planted for TP05
    queue = evaluate_queue(db, truth)
    at10 = queue.at_k[0]
    assert (at10.listed, at10.hits, at10.other_rule, at10.precision) == (8, 7, 1, None)
    assert "only 8 listed" in format_queue(queue)
