"""People's decisions on entity resolution's review queue: list it (`fdi links`) and decide (`fdi link`).

* `pending_groups` reads marts.enterprise_link_candidates: the name groups the rules could not link, with their
  candidates, largest groups first.
* `record_link_decision` appends a decision to linkage.decisions as the `fdi_engineer` role (`set local role`
  inside the transaction), so the command line has exactly the rights of data engineers: it may add a
  decision, never change or remove one (warehouse/link_decisions.sql, roles.yaml). The next build links the
  group's records to the enterprise chosen (int_name_candidates_scored, enterprise_links).
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

ENGINEER_ROLE = "fdi_engineer"
DECISIONS = ("pending", "linked", "none", "all")


class LinkageError(Exception):
    """An expected failure, told to the user in one sentence."""


@dataclass(frozen=True)
class LinkDecision:
    decision_id: int
    name_group_id: str
    enterprise_id: str | None
    reviewer: str
    delivered_name: str | None
    candidate_score: float | None


def _queue_ready(pg: psycopg.Connection) -> None:
    if pg.execute("select to_regclass('marts.enterprise_link_candidates')").fetchone()[0] is None:
        raise LinkageError("marts.enterprise_link_candidates does not exist yet: run `fdi run` (dbt build) first.")


def _enterprise_id(value: str) -> str:
    """An enterprise as the user wrote it: its id (EN0200000030) or its tax code (0200000030)."""
    value = value.strip()
    return value.upper() if value.upper().startswith("EN") else f"EN{value}"


def pending_groups(pg: psycopg.Connection, decision: str = "pending") -> list[dict]:
    """The groups of the queue whose decision is `decision` ('all': every one), largest first, one dict per
    group with its candidates, best first."""
    if decision not in DECISIONS:
        raise LinkageError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}.")
    _queue_ready(pg)
    where, params = ("", []) if decision == "all" else ("where decision = %s", [decision])
    cur = pg.execute(
        "select name_group_id, delivered_name, delivered_address, datasets, records, decision, "
        "decided_enterprise_id, decided_by, decided_at, candidate_rank, candidate_enterprise_id, "
        f"candidate_name_vi, name_score, address_score, score from marts.enterprise_link_candidates {where} "
        "order by records desc, name_group_id, candidate_rank", params)
    names = [d.name for d in cur.description]
    groups: dict[str, dict] = {}
    for row in cur.fetchall():
        r = dict(zip(names, row))
        group = groups.setdefault(r["name_group_id"], {
            k: r[k] for k in ("name_group_id", "delivered_name", "delivered_address", "datasets", "records",
                              "decision", "decided_enterprise_id", "decided_by", "decided_at")} | {"candidates": []})
        group["candidates"].append({k: r[k] for k in ("candidate_rank", "candidate_enterprise_id",
                                                      "candidate_name_vi", "name_score", "address_score", "score")})
    return list(groups.values())


def format_groups(groups: list[dict]) -> str:
    """Each group: what was delivered, how many records, the decision if any, then its candidates."""
    if not groups:
        return "No name groups match."
    lines = []
    for g in groups:
        state = {"pending": "pending", "linked": f"linked to {g['decided_enterprise_id']} by {g['decided_by']}",
                 "none": f"none of the candidates, by {g['decided_by']}"}[g["decision"]]
        if g["decision"] == "pending" and g["decided_enterprise_id"]:
            # a decision for an enterprise no longer among the candidates links nothing: decide again
            state += (f"; {g['decided_by']} chose {g['decided_enterprise_id']}, no longer a candidate: "
                      "decide again")
        lines.append(f"{g['name_group_id']}  {g['records']} record(s) in {g['datasets'] or '-'}  [{state}]")
        lines.append(f"  delivered: {g['delivered_name'] or '-'} | {g['delivered_address'] or '-'}")
        for c in g["candidates"]:
            address = "-" if c["address_score"] is None else f"{float(c['address_score']):.2f}"
            lines.append(f"  {c['candidate_rank']:>2}. {c['candidate_enterprise_id']}  score "
                         f"{float(c['score']):.2f} (name {float(c['name_score']):.2f}, address {address})  "
                         f"{c['candidate_name_vi'] or '-'}")
    lines.append(f"{len(groups)} group(s); `fdi link GROUP --enterprise EN...` (or `--none`) records a decision")
    return "\n".join(lines)


def record_link_decision(pg: psycopg.Connection, name_group_id: str, enterprise: str | None, reviewer: str,
                         note: str | None = None) -> LinkDecision:
    """Append one decision on `name_group_id` as the fdi_engineer role: `enterprise` (its id or tax code) is the
    candidate its records name, None when they name none of the candidates. Returns it as stored."""
    if not reviewer or not reviewer.strip():
        raise LinkageError("a decision needs the reviewer's name (--reviewer).")
    _queue_ready(pg)
    enterprise_id = _enterprise_id(enterprise) if enterprise else None
    with pg.transaction():
        try:
            pg.execute(f"set local role {ENGINEER_ROLE}")
        except psycopg.errors.InsufficientPrivilege:
            raise LinkageError(f"only data engineers decide links: the connecting role must be a member of "
                               f"{ENGINEER_ROLE} (`fdi user add NAME --role engineer`).") from None
        shown = pg.execute("select array_agg(candidate_enterprise_id order by candidate_rank) "
                           "from marts.enterprise_link_candidates where name_group_id = %s",
                           (name_group_id,)).fetchone()[0]
        if not shown:
            raise LinkageError(f"no name group {name_group_id} in the review queue (see `fdi links`).")
        if enterprise_id and enterprise_id not in shown:
            raise LinkageError(f"{enterprise_id} is not a candidate of name group {name_group_id}; "
                               f"its candidates: {', '.join(shown)}.")
        try:
            row = pg.execute(
                "insert into linkage.decisions (name_group_id, enterprise_id, reviewer, note) "
                "values (%s, %s, %s, %s) returning decision_id, name_group_id, enterprise_id, reviewer, "
                "delivered_name, candidate_score",
                (name_group_id, enterprise_id, reviewer.strip(), note)).fetchone()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise LinkageError(f"the warehouse refused the decision ({exc.diag.message_primary}); "
                               f"the connecting role must be a member of {ENGINEER_ROLE}.") from None
    return LinkDecision(*row)
