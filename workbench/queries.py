"""The SQL of the workbench. Each function takes a connection of the person's own login.

Nothing here checks rights: a query the login may not run fails in
PostgreSQL with InsufficientPrivilege, and the app turns that into one
sentence.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from apps import review
from apps.review import QUEUE_JOIN, QUEUE_ORDER

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # far past any queue; a larger number would overflow the query's offset (bigint)
STATUSES = ("open", "in_review", "awaiting_second", "confirmed", "dismissed")
DECISIONS = ("in_review", "confirmed", "dismissed")
SEVERITIES = ("high", "medium", "low")
# The agencies each rule reads (models/risk/rules/*.sql): the source records a
# reviewer checks are these agencies' records of the enterprise in the period.
RULE_AGENCIES = {
    "TP01": ("customs",), "TP02": ("customs",),
    "TP03": ("tax", "fx"), "TP04": ("tax", "registry"), "TP05": ("tax", "credit"), "TP06": ("tax",),
    "TP07": ("tax", "fx"), "CAP01": ("registry", "fx"), "REG01": ("registry",),
    "REG02": ("registry", "tax", "customs", "labour", "fx"), "ABS01": ("labour", "tax", "fx"),
    "LAND01": ("land",),
    "REL01": ("customs", "tax", "credit", "fx", "registry"),
    "NOM01": ("labour", "credit", "fx", "customs", "registry", "land"),
}


@dataclass(frozen=True)
class QueueFilters:
    rule: str | None = None
    year: int | None = None
    zone: str | None = None
    severity: str | None = None
    status: str | None = None
    reviewer: str | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params) -> QueueFilters:
        def text(name: str) -> str | None:
            v = (params.get(name) or "").strip()
            return v or None
        year = text("year")
        page = text("page")
        return cls(
            rule=text("rule"), zone=text("zone"), reviewer=text("reviewer"),
            severity=s if (s := text("severity")) in SEVERITIES else None,
            status=s if (s := text("status")) in STATUSES else None,
            year=int(year) if year and year.isdigit() else None,
            page=min(max(1, int(page)), MAX_PAGE) if page and page.isdigit() else 1,
        )

    def query_string(self, **override) -> str:
        from urllib.parse import urlencode
        values = {k: getattr(self, k) for k in ("rule", "year", "zone", "severity", "status", "reviewer", "page")}
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v not in (None, "", 1) or (k == "page" and v != 1)})


def _where(f: QueueFilters) -> tuple[sql.Composable, list]:
    clauses, params = [sql.SQL("true")], []
    for value, clause in (
        (f.rule and f.rule.upper(), "q.rule_code = %s"),
        (f.year and str(f.year), "left(q.period, 4) = %s"),
        (f.zone, "q.industrial_zone_code = %s"),
        (f.severity, "q.severity = %s"),
        (f.status, "q.review_status = %s"),
        (f.reviewer, "q.reviewer = %s"),
    ):
        if value:
            clauses.append(sql.SQL(clause))
            params.append(value)
    return sql.SQL(" and ").join(clauses), params


# The queue in the review queue's one order (apps.review.QUEUE_ORDER, shared with `fdi flags`): latest year
# first, then the enterprise's rank in its year (risk.enterprise_scores), then the flag's score, then its
# amount at stake.
QUEUE_SELECT = sql.SQL("""
    select q.flag_id, q.rule_code, q.tax_code, q.enterprise_id, q.period, q.severity, q.score,
           q.amount_at_stake_vnd, q.summary, q.review_status, q.reviewer, q.decided_at, q.review_note,
           q.industrial_zone_code, coalesce(e.name_vi, e.name_en) as enterprise_name, s.rank_in_year,
           count(*) over () as total
    from risk.flags_for_review as q
    left join marts.dim_enterprise as e on e.enterprise_id = q.enterprise_id
    {join}
    where {where}
    order by {order}
""")


def queue(pg: psycopg.Connection, f: QueueFilters, limit: int | None = PAGE_SIZE) -> tuple[list[dict], int]:
    where, params = _where(f)
    query = QUEUE_SELECT.format(join=sql.SQL(QUEUE_JOIN), where=where, order=sql.SQL(QUEUE_ORDER))
    if limit is not None:
        query = query + sql.SQL(" limit {} offset {}").format(limit, (f.page - 1) * limit)
    cur = pg.execute(query, params)
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    total = rows[0]["total"] if rows else 0
    if not rows and f.page > 1:  # a page past the end: count anyway, for the pager
        total = pg.execute(sql.SQL("select count(*) from risk.flags_for_review q where {}").format(where),
                           params).fetchone()[0]
    return rows, total


def waiting(pg: psycopg.Connection, f: QueueFilters) -> list[dict]:
    """The possible findings a rule holds back until a missing delivery arrives (risk.judgements_waiting),
    per rule and dataset, for the queue's rule and year: what the queue cannot show yet, with the periods
    whose delivery is in force but holds the enterprise's rows in quarantine (`quarantined`) and the years
    not yet due (`not_due`). Empty before the table is built."""
    if pg.execute("select to_regclass('risk.judgements_waiting')").fetchone()[0] is None:
        return []
    return _all(pg.execute(
        """select rule_code, agency, dataset, count(distinct (enterprise_id, period)) as findings,
                  array_agg(distinct waits_on_period order by waits_on_period) as periods,
                  coalesce(array_agg(distinct waits_on_period) filter (where waits_on_status = 'quarantined'),
                           '{}') as quarantined,
                  coalesce(array_agg(distinct waits_on_period) filter (where waits_on_status = 'not yet due'),
                           '{}') as not_due
           from risk.judgements_waiting
           where (%(rule)s::text is null or rule_code = %(rule)s)
             and (%(year)s::text is null or left(period, 4) = %(year)s)
           group by 1, 2, 3 order by 1, 2, 3""",
        {"rule": f.rule, "year": str(f.year) if f.year else None}))


def filter_choices(pg: psycopg.Connection) -> dict[str, list]:
    return {
        "rules": [r[0] for r in pg.execute("select distinct rule_code from risk.flags order by 1")],
        "years": [r[0] for r in pg.execute("select distinct left(period, 4) from risk.flags order by 1 desc")],
        "zones": [r[0] for r in pg.execute(
            "select distinct industrial_zone_code from risk.flags where industrial_zone_code is not null order by 1")],
        "reviewers": [r[0] for r in pg.execute(
            "select distinct reviewer from risk.flags_for_review where reviewer is not null order by 1")],
    }


def _one(cur) -> dict | None:
    row = cur.fetchone()
    return dict(zip([d.name for d in cur.description], row)) if row else None


def _all(cur) -> list[dict]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def flag(pg: psycopg.Connection, flag_id: str) -> dict | None:
    return _one(pg.execute(
        "select q.*, coalesce(e.name_vi, e.name_en) as enterprise_name "
        "from risk.flags_for_review q left join marts.dim_enterprise e on e.enterprise_id = q.enterprise_id "
        "where q.flag_id = %s", (flag_id,)))


def reviews(pg: psycopg.Connection, flag_id: str) -> list[dict]:
    return _all(pg.execute(
        "select review_id, status, reviewer, note, decided_at, decided_by, evidence_hash "
        "from risk.flag_reviews where flag_id = %s order by decided_at desc, review_id desc", (flag_id,)))


def source_records(pg: psycopg.Connection, flag_row: dict) -> list[dict]:
    """The agencies' records of the enterprise in the flag's period, per delivery (marts.enterprise_links)."""
    period = flag_row["period"]
    agencies = list(RULE_AGENCIES.get(flag_row["rule_code"], ()))
    return _all(pg.execute(
        "select agency, dataset, period, delivery_id, count(*) as records "
        "from marts.enterprise_links where enterprise_id = %s and agency = any(%s) "
        "and (left(period, 4) = left(%s, 4)) "
        "group by agency, dataset, period, delivery_id order by agency, dataset, period",
        (flag_row["enterprise_id"], agencies, period)))


def _expected_periods(period: str, sample: list[str]) -> list[str]:
    """The periods a dataset should have for the flag's period: the 12 months of a year for a monthly
    dataset (its periods look like YYYY-MM), else the year itself."""
    year = period[:4]
    if any(len(p) == 7 for p in sample):
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    return [year]


def _summarise(found: dict[tuple[str, str], dict[str, str]], period: str, grid: bool = False) -> list[dict]:
    """Per dataset: its periods of the flag's year in force (`complete`) against those expected, and each
    expected period that is not, with its status (`rejected`, `missing`). From the coverage grid (`grid`),
    which has a row for every period from the data's first to the latest due, a period of the year without
    a row lies after them (`not yet due`) or before them (`before coverage starts`), as the rules say."""
    rows = []
    for (agency, dataset), statuses in sorted(found.items()):
        expected = _expected_periods(period, sorted(statuses))
        present = [p for p in expected if statuses.get(p) == "complete"]
        rows.append({"agency": agency, "dataset": dataset, "present": len(present), "expected": len(expected),
                     "missing": [(p, _status_of(p, statuses, grid)) for p in expected if p not in present]})
    return rows


def _status_of(p: str, statuses: dict[str, str], grid: bool) -> str:
    if p in statuses or not grid:
        return statuses.get(p, "missing")
    return "not yet due" if p > max(statuses) else "before coverage starts" if p < min(statuses) else "missing"


def coverage_of_period(pg: psycopg.Connection, flag_row: dict, records: list[dict]) -> tuple[str, list[dict]]:
    """How complete the data of the flag's year is, per dataset the rule reads, from the best table the
    login may read: marts.dataset_coverage (each period's status: a rejected or missing period is not in
    force), else audit.deliveries (the periods with a delivery loaded), else the enterprise's own source
    records (a login that may read neither)."""
    agencies = list(RULE_AGENCIES.get(flag_row["rule_code"], ()))
    year = flag_row["period"][:4]
    for source, query in (
            ("marts", "select agency, dataset, period, status from marts.dataset_coverage "
                      "where agency = any(%s) and left(period, 4) = %s"),
            ("audit", "select agency, dataset, period, 'complete' from audit.deliveries "
                      "where status = 'loaded' and agency = any(%s) and left(period, 4) = %s")):
        relation = "marts.dataset_coverage" if source == "marts" else "audit.deliveries"
        try:
            with pg.transaction():
                # to_regclass itself needs USAGE on the schema, so it sits inside the try
                if pg.execute("select to_regclass(%s)", (relation,)).fetchone()[0] is None:
                    continue
                rows = pg.execute(query, (agencies, year)).fetchall()
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedColumn):
            continue  # not this login's to read, or its columns are not settled yet
        found: dict[tuple[str, str], dict[str, str]] = {}
        for agency, dataset, period, status in rows:
            found.setdefault((agency, dataset), {})[period] = status
        return source, _summarise(found, flag_row["period"], grid=source == "marts")
    found = {}
    for r in records:
        found.setdefault((r["agency"], r["dataset"]), {})[r["period"]] = "complete"
    return "records", _summarise(found, flag_row["period"])


def enterprise(pg: psycopg.Connection, tax_code: str) -> dict | None:
    return _one(pg.execute("select * from marts.dim_enterprise where tax_code = %s or enterprise_id = %s "
                           "order by (tax_code = %s) desc limit 1", (tax_code, tax_code, tax_code)))


def enterprise_names(pg: psycopg.Connection, e: dict) -> list[dict]:
    """The names each agency uses for the enterprise: the register's, the tax returns', the employers'."""
    rows = []
    if e.get("name_vi"):
        rows.append({"agency": "registry", "name": e["name_vi"]})
    if e.get("name_en"):
        rows.append({"agency": "registry", "name": e["name_en"]})
    for agency, query in (
            ("tax", "select distinct taxpayer_name from marts.fct_tax_returns where enterprise_id = %s "
                    "and taxpayer_name is not null"),
            ("labour", "select distinct employer_name from marts.fct_employment where enterprise_id = %s "
                       "and employer_name is not null")):
        for (name,) in pg.execute(query, (e["enterprise_id"],)):
            rows.append({"agency": agency, "name": name})
    seen, unique = set(), []
    for r in rows:
        if (r["agency"], r["name"]) not in seen:
            seen.add((r["agency"], r["name"]))
            unique.append(r)
    return unique


# Each figure of marts.fct_enterprise_year: what it reads, and the datasets whose records held back in
# quarantine make it short (its quarantined_inputs name them). A flow sums every month of the year (the
# column counting the months in force); revenue and profit are the year's CIT return; loans and leased land
# are the year's last snapshot, whole when December's is in force. The related-party trade also lacks what
# an investor row held back would make related (fct_customs_lines: a line of unknown relation).
FIGURE_INPUTS = {
    "revenue_vnd": ("year", "tax_year_covered", ("tax/cit_returns",)),
    "profit_before_tax_vnd": ("year", "tax_year_covered", ("tax/cit_returns",)),
    "taxes_paid_vnd": ("months", "tax_payments_months_covered", ("tax/payments",)),
    "imports_usd": ("months", "customs_months_covered", ("customs/declarations",)),
    "exports_usd": ("months", "customs_months_covered", ("customs/declarations",)),
    "related_party_trade_usd": ("months", "customs_months_covered", ("customs/declarations", "registry/investors")),
    "employees_avg": ("months", "labour_months_covered", ("labour/employment",)),
    "capital_inflow_usd": ("months", "fx_months_covered", ("fx/capital_flows",)),
    "repatriation_usd": ("months", "fx_months_covered", ("fx/capital_flows",)),
    "loans_outstanding_usd": ("year_end", "credit/loans", ("credit/loans",)),
    "leased_area_m2": ("year_end", "land/leases", ("land/leases",)),
}


def partial_figures(year: dict, year_end_in_force: set[str]) -> dict[str, dict]:
    """The figures of one row of marts.fct_enterprise_year that are partial, each as {short: what it reads does
    not cover the year ('months': the months in force, 'year': the CIT returns, 'year_end': December's
    snapshot), months: the months in force of a flow, held: the inputs of this enterprise held back in
    quarantine it reads}. `year_end_in_force` holds the snapshot datasets ('credit/loans', 'land/leases')
    whose December of the year is in force. The row's is_complete says the year is partial; this says which
    of its figures are, so a reviewer can trust the others."""
    held = [part for part in (year.get("quarantined_inputs") or "").split("; ") if part]
    partial = {}
    for figure, (reads, covered, datasets) in FIGURE_INPUTS.items():
        months = None
        if reads == "months":
            months = year.get(covered) or 0
            short = months < 12
        elif reads == "year":
            short = year.get(covered) is not True
        else:
            short = covered not in year_end_in_force
        held_here = [part for part in held if part.split(" ", 1)[0] in datasets]
        if short or held_here:
            partial[figure] = {"short": reads if short else None, "months": months, "held": held_here}
    return partial


def enterprise_years(pg: psycopg.Connection, enterprise_id: str) -> list[dict]:
    """The enterprise's rows of marts.fct_enterprise_year, each with its partial figures (partial_figures)."""
    years = _all(pg.execute("select * from marts.fct_enterprise_year where enterprise_id = %s order by year",
                            (enterprise_id,)))
    december = {}
    for year, dataset in pg.execute(
            "select left(period, 4)::int, agency || '/' || dataset from marts.dataset_coverage "
            "where (agency, dataset) in (('credit', 'loans'), ('land', 'leases')) and period like '%%-12' "
            "and status = 'complete'"):
        december.setdefault(year, set()).add(dataset)
    for year in years:
        year["partial"] = partial_figures(year, december.get(year["year"], set()))
    return years


def enterprise_flags(pg: psycopg.Connection, enterprise_id: str) -> list[dict]:
    return _all(pg.execute(
        "select flag_id, rule_code, period, severity, score, amount_at_stake_vnd, summary, review_status, "
        "reviewer, review_note, decided_at from risk.flags_for_review where enterprise_id = %s "
        "order by period desc, score desc", (enterprise_id,)))


def enterprise_waiting(pg: psycopg.Connection, enterprise_id: str) -> list[dict]:
    """The enterprise's possible findings that a missing delivery holds back (risk.judgements_waiting), one row
    per rule, period and dataset with the periods it waits on (those held in quarantine and those not yet due
    apart); empty before the table is built."""
    if pg.execute("select to_regclass('risk.judgements_waiting')").fetchone()[0] is None:
        return []
    return _all(pg.execute(
        "select rule_code, period, agency, dataset, array_agg(waits_on_period order by waits_on_period) as periods, "
        "coalesce(array_agg(waits_on_period) filter (where waits_on_status = 'quarantined'), '{}') as quarantined, "
        "coalesce(array_agg(waits_on_period) filter (where waits_on_status = 'not yet due'), '{}') as not_due "
        "from risk.judgements_waiting where enterprise_id = %s group by rule_code, period, agency, dataset "
        "order by period desc, rule_code, agency, dataset", (enterprise_id,)))


def withdrawn_flag(pg: psycopg.Connection, flag_id: str) -> dict | None:
    """The flag as last raised, when no rule raises it any more; None when it is raised or never was."""
    return review.withdrawn_flag(pg, flag_id)


def earlier_decisions(pg: psycopg.Connection, flag_row: dict) -> list[dict]:
    """The flags of the same rule and enterprise that no rule raises any more and that carry a decision, the
    latest withdrawn first. A flag whose period moved (ABS01's month, when a month of its signs is re-delivered)
    or a rule's new version is a new flag id: its page shows what was decided on the one it may replace, so
    nobody reviews it as if for the first time."""
    if not review.withdrawals_listed(pg):
        return []
    where = "w.enterprise_id = %(enterprise_id)s and w.rule_code = %(rule_code)s and w.reviewer is not null"
    return _all(pg.execute("select * from (" + review.WITHDRAWN_SELECT.format(where=where) + ") as w "
                           "order by withdrawn_at desc, flag_id",
                           {"enterprise_id": flag_row["enterprise_id"], "rule_code": flag_row["rule_code"]}))


def withdrawn(pg: psycopg.Connection, enterprise_id: str | None = None, page: int = 1,
              limit: int | None = PAGE_SIZE) -> tuple[list[dict], int, int]:
    """The flags no longer raised, those with a decision first, then the latest withdrawn: (a page of them, how
    many there are, how many of those carry a decision). All of one enterprise when `enterprise_id` is given."""
    if not review.withdrawals_listed(pg):
        return [], 0, 0
    where = "w.enterprise_id = %(enterprise_id)s" if enterprise_id else "true"
    query = ("select *, count(*) over () as total, count(reviewer) over () as decided from ("
             + review.WITHDRAWN_SELECT.format(where=where) + ") as w "
             "order by reviewer is null, withdrawn_at desc, flag_id")
    if limit is not None:
        query += f" limit {int(limit)} offset {(max(1, page) - 1) * int(limit)}"
    rows = _all(pg.execute(query, {"enterprise_id": enterprise_id}))
    if not rows and page > 1:  # a page past the end: count anyway, for the pager
        return [], *withdrawn_counts(pg)
    return rows, (rows[0]["total"] if rows else 0), (rows[0]["decided"] if rows else 0)


def withdrawn_counts(pg: psycopg.Connection) -> tuple[int, int]:
    """(flags no longer raised, how many of them carry a decision): the queue's line about them."""
    if not review.withdrawals_listed(pg):
        return 0, 0
    return pg.execute("select count(*), count(reviewer) from (" + review.WITHDRAWN_SELECT.format(where="true") + ") as w"
                      ).fetchone()


def record_decision(pg: psycopg.Connection, flag_id: str, status: str, login: str, note: str | None,
                    seen_review: int | None | bool = False) -> bool:
    """Append a decision; the server stamps decided_by (session_user), the time and the evidence hash.

    `seen_review` is the latest review the person's page showed (its review_id, None for none; False when
    the form did not say, as a client of the agreement's three fields). When another decision was recorded
    since, nothing is written and the result is False: the person sees it before deciding again. The
    check and the insert hold a lock on the flag, so two decisions sent at once are taken one at a time."""
    with pg.transaction():
        pg.execute("select pg_advisory_xact_lock(hashtext('fdi.flag_review'), hashtext(%s))", (flag_id,))
        if seen_review is not False:
            latest = pg.execute("select max(review_id) from risk.flag_reviews where flag_id = %s",
                                (flag_id,)).fetchone()[0]
            if latest != seen_review:
                return False
        pg.execute("insert into risk.flag_reviews (flag_id, status, reviewer, note) values (%s, %s, %s, %s)",
                   (flag_id, status, login, note))
    return True


def coverage_grid(pg: psycopg.Connection) -> tuple[str, list[str], list[tuple[str, str]], dict]:
    """(source, periods, datasets, cells) from audit.deliveries: each cell is the period's delivery in force
    (`loaded`, with its rows; a correction's superseded original is not counted again), else `rejected`."""
    cur = pg.execute(
        "select agency, dataset, period, "
        "string_agg(status, ',' order by status) as statuses, "
        "sum(rows_loaded) filter (where status = 'loaded') as rows_loaded "
        "from audit.deliveries group by agency, dataset, period")
    cells, periods, datasets = {}, set(), set()
    for agency, dataset, period, statuses, rows_loaded in cur:
        key = (agency, dataset)
        datasets.add(key)
        periods.add(period)
        state = "loaded" if "loaded" in statuses.split(",") else statuses.split(",")[0]
        cells[(key, period)] = {"status": state, "rows": rows_loaded}
    return "audit.deliveries", sorted(periods), sorted(datasets), cells
