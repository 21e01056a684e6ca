"""Score each risk rule against a generated economy's truth (`fdi evaluate`).

A flag on an enterprise and period planted for its rule is a true positive; a
planted case not flagged is a false negative; any other flag (a planted
look-alike or an unplanted enterprise) is a false positive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sources.synthetic.truth import read_csv

RULES = ("TP01", "TP02", "TP03", "TP04", "TP05", "TP06", "TP07", "CAP01", "REG01", "REG02", "ABS01", "LAND01",
         "REL01", "NOM01")
# Targets of the task (issue 6): every rule on a generated economy.
TARGET_PRECISION = 0.85
TARGET_RECALL = 0.90


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
