"""The review workflow of the risk flags: decide (`fdi review`) and list (`fdi flags`).

* `record_review` appends a decision to risk.flag_reviews as the `fdi_monitor`
  role (`set local role` inside the transaction), so the command line has
  exactly the rights of monitoring staff: it may insert a decision, never
  change a flag or an earlier decision (warehouse/reviews.sql, roles.yaml).
* `open_flags` lists risk.flags_for_review with filters (`fdi flags`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from warehouse.settings import DBT_PROJECT_DIR

STATUSES = ("open", "in_review", "confirmed", "dismissed")
SEVERITIES = ("low", "medium", "high")
MONITOR_ROLE = "fdi_monitor"


class RiskError(Exception):
    """An expected failure, told to the user in one sentence."""


# A flag's period: a fiscal year (YYYY) or a month (YYYY-MM), as the rules write it.
PERIOD = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")
RULES_DIR = DBT_PROJECT_DIR / "models" / "risk" / "rules"


def rule_codes() -> tuple[str, ...]:
    """The rule codes in use: one rule model each, models/risk/rules/flag_<code>_<name>.sql."""
    return tuple(sorted(p.name.split("_")[1].upper() for p in RULES_DIR.glob("flag_*_*.sql")))


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
            # not raised: withdrawn (risk.flag_withdrawals), or never raised
            withdrawn = withdrawals_kept(pg) and pg.execute(
                "select max(withdrawn_at) from risk.flag_withdrawals where flag_id = %s", (flag_id,)).fetchone()[0]
            if withdrawn:
                raise RiskError(f"flag {flag_id} is no longer raised (since {withdrawn:%Y-%m-%d %H:%M %z}): no "
                                f"decision can be recorded on it; its decisions are kept (`fdi flags show {flag_id}`).")
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


# The review queue's order: the one definition `fdi flags` and the workbench's /flags (workbench.queries) share,
# over risk.flags_for_review as q joined by QUEUE_JOIN. The latest year first; in a year, the enterprises as
# risk.enterprise_scores ranks them (rank_in_year: corroborated evidence weighted by the amount at stake);
# an enterprise's flags by score, then amount at stake (scores saturate at 100: a tie must not fall to the
# rule code's alphabet), then rule, period and flag id, so the order is total and the same in every query.
QUEUE_JOIN = ("left join risk.enterprise_scores as s "
              "on s.enterprise_id = q.enterprise_id and s.year = left(q.period, 4)::int")
QUEUE_ORDER = ("left(q.period, 4) desc, s.rank_in_year nulls last, q.score desc, "
               "q.amount_at_stake_vnd desc nulls last, q.rule_code, q.period, q.flag_id")


def open_flags(pg: psycopg.Connection, rule: str | None = None, severity: str | None = None,
               zone: str | None = None, period: str | None = None, status: str = "open") -> list[dict]:
    """Flags of risk.flags_for_review in `status` (default open), in the review queue's order (QUEUE_ORDER)."""
    _risk_ready(pg)
    where, params = ["q.review_status = %s"], [status]
    if rule:
        where.append("q.rule_code = %s")
        params.append(rule.upper())
    if severity:
        where.append("q.severity = %s")
        params.append(severity)
    if zone:
        where.append("q.industrial_zone_code = %s")
        params.append(zone.upper())
    if period:
        # a year selects its months too
        where.append("(q.period = %s or left(q.period, 4) = %s)")
        params += [period, period]
    cur = pg.execute(
        "select q.flag_id, q.rule_code, q.tax_code, q.period, q.severity, q.score, q.amount_at_stake_vnd, "
        "q.review_status, q.summary, s.rank_in_year, "
        "(select coalesce(e.name_vi, e.name_en) from marts.dim_enterprise e "
        " where e.enterprise_id = q.enterprise_id) as enterprise_name "
        f"from risk.flags_for_review q {QUEUE_JOIN} where {' and '.join(where)} "
        f"order by {QUEUE_ORDER}", params)
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
    fixed = f"{'flag_id':<16} {'rule':<6} {'tax_code':<10} {'period':<7} {'sev':<6} {'score':>5} "
    name_width = 28
    summary_width = max(10, width - len(fixed) - name_width - 1)
    lines = [(fixed + f"{'enterprise':<{name_width}} summary")[:width]]
    for r in rows:
        line = (f"{r['flag_id']:<16} {r['rule_code']:<6} {r['tax_code'] or '-':<10} {r['period']:<7} "
                f"{r['severity']:<6} {float(r['score']):>5.1f} "
                f"{_clip(r.get('enterprise_name'), name_width):<{name_width}} {_clip(r['summary'], summary_width)}")
        lines.append(line)
    lines.append(f"{len(rows)} flag(s); `fdi flags show FLAG_ID` prints one with its evidence")
    return "\n".join(lines)


# A flag no rule raises any more, as it was last raised, with the decision in force on it as the queue would show it
# (risk.withdrawn_flags_for_review: four-eyes, a dismissal on other evidence) and its enterprise's name; one row per
# flag, and none for a flag raised again (it is back in risk.flags). `{where}` narrows it (the alias `w`).
WITHDRAWN_SELECT = """
    select w.*, coalesce(e.name_vi, e.name_en) as enterprise_name
    from risk.withdrawn_flags_for_review w
    left join marts.dim_enterprise e on e.enterprise_id = w.enterprise_id
    where {where}
"""


def withdrawals_kept(pg: psycopg.Connection) -> bool:
    """A warehouse bootstrapped before risk.flag_withdrawals existed has none until its next load."""
    return pg.execute("select to_regclass('risk.flag_withdrawals')").fetchone()[0] is not None


def withdrawals_listed(pg: psycopg.Connection) -> bool:
    """A warehouse built before risk.withdrawn_flags_for_review existed lists no withdrawn flag until its next
    build (the withdrawals are kept all the same, in risk.flag_withdrawals)."""
    return pg.execute("select to_regclass('risk.withdrawn_flags_for_review')").fetchone()[0] is not None


def withdrawn_flag(pg: psycopg.Connection, flag_id: str) -> dict | None:
    """The flag as last raised, when no rule raises it any more; None when it is raised or never was."""
    if not withdrawals_listed(pg):
        return None
    cur = pg.execute(WITHDRAWN_SELECT.format(where="w.flag_id = %s"), (flag_id,))
    row = cur.fetchone()
    return dict(zip([d.name for d in cur.description], row)) if row else None


def flag_detail(pg: psycopg.Connection, flag_id: str) -> dict:
    """One flag of risk.flags_for_review with its enterprise's name (`fdi flags show`)."""
    _risk_ready(pg)
    cur = pg.execute(
        "select q.*, (select coalesce(e.name_vi, e.name_en) from marts.dim_enterprise e "
        "where e.enterprise_id = q.enterprise_id) as enterprise_name "
        "from risk.flags_for_review q where q.flag_id = %s", (flag_id,))
    row = cur.fetchone()
    if row is None:
        if (withdrawn := withdrawn_flag(pg, flag_id)) is not None:
            return withdrawn  # no longer raised: as it was last raised
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
    withdrawn = detail.get("withdrawn_at")
    status = (f"no longer raised since {withdrawn:%Y-%m-%d %H:%M %z}, shown as last raised; decision "
              f"{detail['review_status'] if detail['reviewer'] else 'none'}") if withdrawn else detail["review_status"]
    lines = [
        f"{detail['flag_id']}  {detail['rule_code']}  {detail['period']}  {detail['severity']}  "
        f"score {float(detail['score']):.1f}  {status}",
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
