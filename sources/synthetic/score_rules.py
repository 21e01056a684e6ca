"""Score each risk rule against a generated economy's truth (`fdi evaluate`).

A flag on an enterprise and period planted for its rule is a true positive; a
planted case not flagged is a false negative; any other flag (a planted
look-alike or an unplanted enterprise) is a false positive.

Two more views (issue 15): the flags raised on honest loss-makers
(`_truth/honest_losses.csv`: start-ups, downturns, one-off losses), by rule;
and the review queue of the latest year (`risk.enterprise_scores`):
precision@k and the share of the amount at stake of true findings that the
top k captures.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sources.synthetic.truth import read_csv

RULES = ("TP01", "TP02", "TP03", "TP04", "TP05", "TP06", "TP07", "CAP01", "REG01", "REG02", "ABS01", "LAND01",
         "REL01", "NOM01")
# Targets of the task (issue 6): every rule on a generated economy.
TARGET_PRECISION = 0.85
TARGET_RECALL = 0.90
# Issue 15: at the real base rate of losses, no honest loss-maker flagged by
# TP04 and at most 2 % flagged by any rule; the queue's top 10 and 25 worth a
# reviewer's day (anchors: the WCO's DATE model, 92.7 % precision on the top
# 1 % of declarations).
TARGET_HONEST_FLAGGED_SHARE = 0.02
TARGET_HONEST_FLAGGED_BY_RULE = {"TP04": 0}
TARGET_PRECISION_AT = {10: 0.9, 25: 0.8}
TOP_SHARE = 0.01  # "the top 1 % of enterprises"


class TruthMissing(Exception):
    """The truth folder, or the risk tables to score, are not there; said in one sentence."""


def _risk_ready(pg: psycopg.Connection) -> None:
    if pg.execute("select to_regclass('risk.flags')").fetchone()[0] is None:
        raise TruthMissing("risk.flags does not exist yet: run `fdi run` (dbt build) first.")


@dataclass
class RuleScore:
    rule: str
    planted: int = 0
    lookalikes: int = 0
    flagged: int = 0
    true_positives: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)
    beyond_data: list[tuple[str, str]] = field(default_factory=list)  # planted after the last month delivered
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # tax code, period, why

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.planted if self.planted else None

    def meets_targets(self) -> bool:
        precision = 1.0 if self.precision is None else self.precision
        recall = 1.0 if self.recall is None else self.recall
        return precision >= TARGET_PRECISION and recall >= TARGET_RECALL


def _truth_file(truth: Path) -> Path:
    for candidate in (truth / "_truth" / "scenarios.csv", truth / "scenarios.csv"):
        if candidate.exists():
            return candidate
    raise TruthMissing(f"no scenarios.csv under {truth} (give the folder `fdi generate --out` wrote, or its _truth).")


def evaluate(pg: psycopg.Connection, truth: Path) -> list[RuleScore]:
    scenarios = read_csv(_truth_file(truth))
    _risk_ready(pg)
    flags = pg.execute("select rule_code, tax_code, period from risk.flags").fetchall()
    # A case planted in a month no delivery covers yet (e.g. REG01 for a project
    # expiring in the window's last month) cannot be in the data: it is listed,
    # not counted as missed.
    horizon = pg.execute("select max(period) from audit.deliveries where status = 'loaded' "
                         "and period ~ '^[0-9]{4}-[0-9]{2}$'").fetchone()[0] or "9999-12"
    scores = {rule: RuleScore(rule) for rule in RULES}
    planted: dict[str, set[tuple[str, str]]] = {rule: set() for rule in RULES}
    lookalike: dict[str, set[tuple[str, str]]] = {rule: set() for rule in RULES}
    for s in scenarios:
        rule = s["rule"]
        scores.setdefault(rule, RuleScore(rule))
        target = planted if s["kind"] == "planted" else lookalike
        target.setdefault(rule, set()).add((s["enterprise_tax_code"], s["period"]))
    for rule, cases in planted.items():
        late = {c for c in cases if c[1] > (horizon if len(c[1]) == 7 else horizon[:4])}
        scores[rule].beyond_data = sorted(late)
        planted[rule] = cases - late
    for rule, score in scores.items():
        score.planted = len(planted.get(rule, ()))
        score.lookalikes = len(lookalike.get(rule, ()) - planted.get(rule, set()))
    flagged: dict[str, set[tuple[str, str]]] = {}
    for rule, tax_code, period in flags:
        flagged.setdefault(rule, set()).add((tax_code, period))
        scores.setdefault(rule, RuleScore(rule))
    for rule, score in scores.items():
        mine = flagged.get(rule, set())
        truth_pos = planted.get(rule, set())
        score.flagged = len(mine)
        score.true_positives = len(mine & truth_pos)
        score.missed = sorted(truth_pos - mine)
        for tax_code, period in sorted(mine - truth_pos, key=lambda x: (x[0] or "", x[1])):
            if (tax_code, period) in lookalike.get(rule, set()):
                why = "planted look-alike (known clean)"
            else:
                same = sorted(r for r, cases in planted.items() if (tax_code, period) in cases)
                elsewhere = sorted(f"{r} {p}" for r, cases in planted.items() for t, p in cases
                                   if t == tax_code and r not in same and r != rule)
                why = (f"planted for {', '.join(same)} in the same period" if same
                       else f"not planted; the enterprise is planted for {', '.join(elsewhere)}" if elsewhere
                       else "not planted")
            score.false_positives.append((tax_code, period, why))
    return [scores[r] for r in sorted(scores, key=lambda r: (RULES.index(r) if r in RULES else 99, r))]


def _ratio(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


def format_evaluation(scores: list[RuleScore]) -> str:
    lines = [f"{'rule':<7}{'planted':>8}{'lookalike':>10}{'flagged':>8}{'TP':>4}{'FP':>4}{'FN':>4}"
             f"{'precision':>10}{'recall':>8}  target"]
    for s in scores:
        lines.append(f"{s.rule:<7}{s.planted:>8}{s.lookalikes:>10}{s.flagged:>8}{s.true_positives:>4}"
                     f"{len(s.false_positives):>4}{len(s.missed):>4}{_ratio(s.precision):>10}{_ratio(s.recall):>8}  "
                     f"{'met' if s.meets_targets() else 'MISSED'}")
    total_flagged = sum(s.flagged for s in scores)
    total_tp = sum(s.true_positives for s in scores)
    total_planted = sum(s.planted for s in scores)
    lines.append(f"{'all':<7}{total_planted:>8}{sum(s.lookalikes for s in scores):>10}{total_flagged:>8}{total_tp:>4}"
                 f"{total_flagged - total_tp:>4}{total_planted - total_tp:>4}"
                 f"{_ratio(total_tp / total_flagged if total_flagged else None):>10}"
                 f"{_ratio(total_tp / total_planted if total_planted else None):>8}")
    fps = [(s.rule, *fp) for s in scores for fp in s.false_positives]
    if fps:
        lines += ["", "Flagged but not planted for the rule:"]
        lines += [f"  {rule:<7}{tax_code or '-':<11}{period:<8} {why}" for rule, tax_code, period, why in fps]
    late = [(s.rule, *m) for s in scores for m in s.beyond_data]
    if late:
        lines += ["", "Planted after the last month delivered (not observable, not counted):"]
        lines += [f"  {rule:<7}{tax_code:<11}{period}" for rule, tax_code, period in late]
    missed = [(s.rule, *m) for s in scores for m in s.missed]
    if missed:
        lines += ["", "Planted but not flagged:"]
        lines += [f"  {rule:<7}{tax_code:<11}{period}" for rule, tax_code, period in missed]
    return "\n".join(lines)


@dataclass
class HonestLossScore:
    """Flags raised on honest loss-makers (enterprise-years with an honest operating loss)."""
    loss_years: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    flagged_by_rule: dict[str, int] = field(default_factory=dict)
    flagged_any: int = 0
    examples: list[tuple[str, str, str, str]] = field(default_factory=list)  # rule, tax code, year, reason

    @property
    def flagged_share(self) -> float | None:
        return self.flagged_any / self.loss_years if self.loss_years else None

    def meets_targets(self) -> bool:
        share = self.flagged_share or 0.0
        return share <= TARGET_HONEST_FLAGGED_SHARE and all(
            self.flagged_by_rule.get(rule, 0) <= most for rule, most in TARGET_HONEST_FLAGGED_BY_RULE.items())


@dataclass
class QueueScore:
    """The review queue of one year: precision@k and the amount at stake of true findings captured."""
    year: int
    enterprises: int
    listed: int = 0
    planted_enterprises: int = 0
    at_k: list[tuple[str, int, int, int, float | None, float | None]] = field(default_factory=list)
    # label, k, listed in the top k, planted among them, precision, amount share

    def meets_targets(self) -> bool:
        return all(precision is None or precision >= TARGET_PRECISION_AT[k]
                   for label, k, _, _, precision, _ in self.at_k if label == str(k) and k in TARGET_PRECISION_AT)


def _truth_folder(truth: Path) -> Path:
    return _truth_file(truth).parent


def evaluate_honest_losses(pg: psycopg.Connection, truth: Path) -> HonestLossScore | None:
    """Flags whose enterprise and year are an honest loss of the truth, other than a case planted for the flag's
    rule (an honest loss-maker can also run an expired project); None when the truth has no such file (an
    economy generated before issue 15)."""
    path = _truth_folder(truth) / "honest_losses.csv"
    if not path.exists():
        return None
    rows = read_csv(path)
    score = HonestLossScore(loss_years=len(rows))
    reasons: dict[tuple[str, str], str] = {}
    for r in rows:
        score.by_reason[r["reason"]] = score.by_reason.get(r["reason"], 0) + 1
        reasons[(r["enterprise_tax_code"], r["year"])] = r["reason"]
    # a flag that finds a case planted for its rule is a true positive, even on a loss-maker
    planted = {(s["rule"], s["enterprise_tax_code"], s["period"]) for s in read_csv(_truth_file(truth))
               if s["kind"] == "planted"}
    flagged: dict[tuple[str, str], set[str]] = {}
    for rule, tax_code, period in pg.execute("select distinct rule_code, tax_code, period from risk.flags"):
        if (tax_code, period[:4]) in reasons and (rule, tax_code, period) not in planted:
            flagged.setdefault((tax_code, period[:4]), set()).add(rule)
    for key, rules in sorted(flagged.items()):
        for rule in sorted(rules):
            score.flagged_by_rule[rule] = score.flagged_by_rule.get(rule, 0) + 1
            score.examples.append((rule, key[0], key[1], reasons[key]))
    score.flagged_any = len(flagged)
    return score


def evaluate_queue(pg: psycopg.Connection, truth: Path, year: int | None = None) -> QueueScore | None:
    """precision@k of `risk.enterprise_scores` in `year` (default: the last year of the truth) for k = 10, 25 and
    the top 1 % of enterprises. An enterprise in the top k is a hit when it was planted for any rule in that year;
    precision divides by k, or by the length of the list when fewer enterprises are flagged. The amount share is
    the amount at stake of true findings (flags on a planted enterprise and period of their rule) of enterprises in
    the top k, over that of all true findings of the year."""
    folder = _truth_folder(truth)
    params = json.loads((folder / "economy.json").read_text()) if (folder / "economy.json").exists() else {}
    if pg.execute("select to_regclass('risk.enterprise_scores')").fetchone()[0] is None:
        return None
    year = year or (params.get("years") or [None, None])[-1] or pg.execute(
        "select max(year) from risk.enterprise_scores").fetchone()[0]
    if year is None:
        return None
    enterprises = int(params.get("enterprises") or 0)
    planted_cases = {(s["rule"], s["enterprise_tax_code"], s["period"]) for s in read_csv(_truth_file(truth))
                     if s["kind"] == "planted" and s["period"][:4] == str(year)}
    planted = {tax_code for _, tax_code, _ in planted_cases}
    queue = [tax_code for (tax_code,) in pg.execute(
        "select tax_code from risk.enterprise_scores where year = %s order by rank_in_year", (year,))]
    true_amount: dict[str, float] = {}
    for rule, tax_code, period, amount in pg.execute(
            "select rule_code, tax_code, period, coalesce(amount_at_stake_vnd, 0) from risk.flags "
            "where left(period, 4) = %s", (str(year),)):
        if (rule, tax_code, period) in planted_cases:
            true_amount[tax_code] = true_amount.get(tax_code, 0.0) + float(amount)
    total_amount = sum(true_amount.values())
    score = QueueScore(year=int(year), enterprises=enterprises, listed=len(queue), planted_enterprises=len(planted))
    top_share = max(1, math.ceil(TOP_SHARE * enterprises)) if enterprises else None
    ks = [("10", 10), ("25", 25)] + ([(f"1% ({top_share})", top_share)] if top_share else [])
    for label, k in ks:
        top = queue[:k]
        hits = sum(1 for t in top if t in planted)
        precision = hits / min(k, len(queue)) if queue else None
        amount = sum(true_amount.get(t, 0.0) for t in set(top)) / total_amount if total_amount else None
        score.at_k.append((label, k, len(top), hits, precision, amount))
    return score


def format_honest_losses(score: HonestLossScore | None) -> str:
    if score is None:
        return "No _truth/honest_losses.csv: this economy has no honest loss-makers recorded."
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(score.by_reason.items()))
    lines = [f"Honest loss-makers (enterprise-years with an honest operating loss): {score.loss_years} ({reasons})",
             f"{'rule':<7}{'flagged':>8}{'share':>8}  target"]
    for rule in RULES:
        n = score.flagged_by_rule.get(rule, 0)
        target = TARGET_HONEST_FLAGGED_BY_RULE.get(rule)
        share = n / score.loss_years if score.loss_years else 0.0
        verdict = ("met" if n <= target else "MISSED") if target is not None else ""
        lines.append(f"{rule:<7}{n:>8}{share:>8.1%}  {verdict}")
    for rule in sorted(set(score.flagged_by_rule) - set(RULES)):
        n = score.flagged_by_rule[rule]
        lines.append(f"{rule:<7}{n:>8}{n / score.loss_years if score.loss_years else 0.0:>8.1%}")
    share = score.flagged_share or 0.0
    lines.append(f"{'any':<7}{score.flagged_any:>8}{share:>8.1%}  "
                 f"{'met' if share <= TARGET_HONEST_FLAGGED_SHARE else 'MISSED'} (at most "
                 f"{TARGET_HONEST_FLAGGED_SHARE:.0%})")
    if score.examples:
        lines += ["", "Honest loss-makers flagged:"]
        lines += [f"  {rule:<7}{tax_code:<11}{year:<6} {reason}" for rule, tax_code, year, reason in score.examples]
    return "\n".join(lines)


def format_queue(score: QueueScore | None) -> str:
    if score is None:
        return "No risk.enterprise_scores to rank."
    lines = [f"Review queue {score.year} (risk.enterprise_scores): {score.listed} enterprises listed, "
             f"{score.planted_enterprises} planted in the year",
             f"{'top k':<10}{'listed':>7}{'planted':>8}{'precision':>10}{'amount':>8}  target"]
    for label, k, listed, hits, precision, amount in score.at_k:
        target = TARGET_PRECISION_AT.get(k) if label == str(k) else None
        verdict = "" if target is None or precision is None else (
            f"met (>= {target})" if precision >= target else f"MISSED (>= {target})")
        amount_text = "  n/a" if amount is None else f"{amount:>7.0%}"
        lines.append(f"{label:<10}{listed:>7}{hits:>8}{_ratio(precision):>10}{amount_text:>8}  {verdict}")
    return "\n".join(lines)
