"""The review workflow of the risk flags: decide (`fdi review`) and list (`fdi flags`).

* `record_review` appends a decision to risk.flag_reviews as the `fdi_monitor`
  role (`set local role` inside the transaction), so the command line has
  exactly the rights of monitoring staff: it may insert a decision, never
  change a flag or an earlier decision (warehouse/reviews.sql, roles.yaml).
* `open_flags` lists risk.flags_for_review with filters (`fdi flags`).
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

STATUSES = ("open", "in_review", "confirmed", "dismissed")
SEVERITIES = ("low", "medium", "high")
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
        "select flag_id, rule_code, tax_code, period, severity, score, review_status, summary "
        f"from risk.flags_for_review where {' and '.join(where)} "
        "order by score desc, rule_code, tax_code, period", params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def format_flags(rows: list[dict]) -> str:
    if not rows:
        return "No flags match."
    lines = [f"{'flag_id':<16}  {'rule':<6} {'tax_code':<10} {'period':<7} {'severity':<8} {'score':>5}  summary"]
    for r in rows:
        lines.append(f"{r['flag_id']:<16}  {r['rule_code']:<6} {r['tax_code'] or '':<10} {r['period']:<7} "
                     f"{r['severity']:<8} {float(r['score']):>5.1f}  {r['summary']}")
    lines.append(f"{len(rows)} flag(s)")
    return "\n".join(lines)
