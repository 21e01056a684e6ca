"""The review workflow of the risk flags and their evaluation against a generated economy's truth.

* `record_review` appends a decision to risk.flag_reviews as the `fdi_monitor`
  role (`set local role` inside the transaction), so the command line has
  exactly the rights of monitoring staff: it may insert a decision, never
  change a flag or an earlier decision (warehouse/reviews.sql, roles.yaml).
* `open_flags` lists risk.flags_for_review with filters (`fdi flags`).
* `evaluate` scores each rule against `_truth/scenarios.csv` (`fdi evaluate`):
  a flag on an enterprise and period planted for its rule is a true positive;
  a planted case not flagged is a false negative; any other flag (a planted
  look-alike or an unplanted enterprise) is a false positive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sources.lib.truth import read_csv

STATUSES = ("open", "in_review", "confirmed", "dismissed")
SEVERITIES = ("low", "medium", "high")
RULES = ("TP01", "TP02", "TP03", "TP04", "TP05", "TP06", "TP07", "CAP01", "REG01", "REG02", "ABS01", "LAND01")
# Targets of the task (issue 6): every rule on a generated economy.
TARGET_PRECISION = 0.85
TARGET_RECALL = 0.90
MONITOR_ROLE = "fdi_monitor"


class RiskError(Exception):
    """An expected failure, told to the user in one sentence."""


@dataclass(frozen=True)
class Review:
    review_id: int
    flag_id: str
    status: str
    reviewer: str
    evidence_hash: str | None


def _risk_ready(pg: psycopg.Connection) -> None:
    if pg.execute("select to_regclass('risk.flags_for_review')").fetchone()[0] is None:
        raise RiskError("risk.flags_for_review does not exist yet: run `fdi run` (dbt build) first.")


def record_review(pg: psycopg.Connection, flag_id: str, status: str, reviewer: str, note: str | None = None) -> Review:
    """Append one decision on `flag_id` as the fdi_monitor role; returns it as stored."""
    if status not in STATUSES:
        raise RiskError(f"status must be one of {', '.join(STATUSES)}, not {status!r}.")
    if not reviewer or not reviewer.strip():
        raise RiskError("a review needs the reviewer's name (--reviewer).")
    _risk_ready(pg)
    with pg.transaction():
        pg.execute(f"set local role {MONITOR_ROLE}")
        exists = pg.execute("select 1 from risk.flags where flag_id = %s", (flag_id,)).fetchone()
        if not exists:
            raise RiskError(f"no risk flag with id {flag_id} (see `fdi flags`).")
        try:
            row = pg.execute(
                "insert into risk.flag_reviews (flag_id, status, reviewer, note) values (%s, %s, %s, %s) "
                "returning review_id, flag_id, status, reviewer, evidence_hash",
                (flag_id, status, reviewer.strip(), note)).fetchone()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise RiskError(f"the warehouse refused the review ({exc.diag.message_primary}); "
                            f"the connecting role must be a member of {MONITOR_ROLE}.") from None
    return Review(*row)


def open_flags(pg: psycopg.Connection, rule: str | None = None, severity: str | None = None,
               zone: str | None = None, period: str | None = None, status: str = "open") -> list[dict]:
    """Flags of risk.flags_for_review in `status` (default open), highest score first."""
    _risk_ready(pg)
    where, params = ["review_status = %s"], [status]
    if rule:
        where.append("rule_code = %s")
        params.append(rule.upper())
    if severity:
        where.append("severity = %s")
        params.append(severity)
    if zone:
        where.append("industrial_zone_code = %s")
        params.append(zone)
    if period:
        # a year selects its months too
        where.append("(period = %s or left(period, 4) = %s)")
        params += [period, period]
    cur = pg.execute(
        "select flag_id, rule_code, tax_code, period, severity, score, review_status, summary, "
        "(select coalesce(e.name_vi, e.name_en) from marts.dim_enterprise e "
        " where e.enterprise_id = q.enterprise_id) as enterprise_name "
        f"from risk.flags_for_review q where {' and '.join(where)} "
        "order by score desc, rule_code, tax_code, period", params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


TERMINAL_WIDTH = 120  # issue #17: `fdi flags` fits a 120-column terminal


def _clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def format_flags(rows: list[dict], width: int = TERMINAL_WIDTH) -> str:
    """One line per flag, never wider than `width`: the enterprise's name and the start of the summary
    (the whole of it, and the evidence, with `fdi flags show FLAG_ID`)."""
    if not rows:
        return "No flags match."
    fixed = f"{'flag_id':<16} {'rule':<6} {'tax_code':<10} {'period':<7} {'sev':<4} {'score':>5} "
    name_width = 28
    summary_width = max(10, width - len(fixed) - name_width - 1)
    lines = [(fixed + f"{'enterprise':<{name_width}} summary")[:width]]
    for r in rows:
        line = (f"{r['flag_id']:<16} {r['rule_code']:<6} {r['tax_code'] or '-':<10} {r['period']:<7} "
                f"{r['severity'][:4]:<4} {float(r['score']):>5.1f} "
                f"{_clip(r.get('enterprise_name'), name_width):<{name_width}} {_clip(r['summary'], summary_width)}")
        lines.append(line)
    lines.append(f"{len(rows)} flag(s); `fdi flags show FLAG_ID` prints one with its evidence")
    return "\n".join(lines)


def flag_detail(pg: psycopg.Connection, flag_id: str) -> dict:
    """One flag of risk.flags_for_review with its enterprise's name (`fdi flags show`)."""
    _risk_ready(pg)
    cur = pg.execute(
        "select q.*, (select coalesce(e.name_vi, e.name_en) from marts.dim_enterprise e "
        "where e.enterprise_id = q.enterprise_id) as enterprise_name "
        "from risk.flags_for_review q where q.flag_id = %s", (flag_id,))
    row = cur.fetchone()
    if row is None:
        raise RiskError(f"no risk flag with id {flag_id} (see `fdi flags`).")
    return dict(zip([d.name for d in cur.description], row))


def _figure(value) -> str:
    """Figures as the summaries write them: 1.234.567 and 0,55 (Vietnamese separators)."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value).lower()
    if isinstance(value, (int, float)):
        # JSON numbers only: a code written as a string (an HS code, a tax code) is not a figure
        number = float(value)
        text = f"{number:,.0f}" if abs(number) >= 1000 or number == int(number) else f"{number:,.4g}"
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return str(value)


def format_flag(detail: dict, width: int = TERMINAL_WIDTH) -> str:
    """A flag for the terminal: what, who, the summary wrapped, and the evidence as a table."""
    import json
    import textwrap

    evidence = detail["evidence"] if isinstance(detail["evidence"], dict) else json.loads(detail["evidence"])
    lines = [
        f"{detail['flag_id']}  {detail['rule_code']}  {detail['period']}  {detail['severity']}  "
        f"score {float(detail['score']):.1f}  {detail['review_status']}",
        f"{detail.get('enterprise_name') or detail['enterprise_id']} (tax code {detail['tax_code'] or '-'})",
        "",
        *textwrap.wrap(detail["summary"], width),
        "",
        "evidence:",
    ]
    scalars = [(k, v) for k, v in evidence.items() if not isinstance(v, (list, dict))]
    key_width = max((len(k) for k, _ in scalars), default=0)
    for key, value in scalars:
        lines += textwrap.wrap(_figure(value), width, initial_indent=f"  {key:<{key_width}}  ",
                               subsequent_indent=" " * (key_width + 4)) or [f"  {key}"]
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines += ["", f"  {key}:"]
            # one item per column, its fields down the rows: stays narrow however many fields
            fields = list(dict.fromkeys(f for item in value for f in item))
            field_width = max(len(f) for f in fields)
            col = max(12, min(30, (width - field_width - 6) // max(1, len(value))))
            for f in fields:
                cells = "".join(f"{_clip(_figure(item.get(f)), col - 1):>{col}}" for item in value)
                lines.append(f"    {f:<{field_width}}{cells}"[:width])
        elif isinstance(value, (list, dict)):
            items = value if isinstance(value, list) else [f"{k}: {_figure(v)}" for k, v in value.items()]
            lines += ["", f"  {key}:"] + ["    - " + _clip(_figure(item), width - 6) for item in items]
    return "\n".join(lines)


# -- evaluation against the generator's truth --------------------------------------------------

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
    raise RiskError(f"no scenarios.csv under {truth} (give the folder `fdi generate --out` wrote, or its _truth).")


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
