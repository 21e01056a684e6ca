"""The agency's own records behind a flag's finding, one row per declaration line or transaction.

A reviewer checks a flag against what the agency delivered, not only against
the figures the rule computed from it:

* TP01 and TP02: the related-party customs lines of each good in the
  evidence, the very lines the rule read (marts.fct_customs_lines: the
  delivery in force of each month of the fiscal year, the enterprise's own
  tax code, quantity and customs value above 0; see
  intermediate.int_customs_price_deviations), each with its unit price and
  the value it moved at the comparables' median. Their count per good is the
  evidence's `related_lines`, and their moved values add up to its
  `shifted_value_vnd` (at the median as the evidence rounds it).
* CAP01: the capital contributions of each project's window, from its issue
  date to its capital deadline (marts.fct_capital_flows: inflows of type
  capital_contribution on the enterprise's tax code), the transactions the
  rule summed into `contributed_usd`. None at all is a finding too.
* TP07: the year's profit repatriations (outflows of type
  profit_repatriation), the `transfers` the rule counted.
* REL01: per undisclosed party, every record of the year the rule summed
  (or counted) for it: customs lines (marts.fct_customs_lines, any flow),
  fx loan drawdowns, repayments and interest (marts.fct_capital_flows, by
  value date) and loans outstanding (marts.fct_loans, one row per loan: its
  greatest balance of the year). A record belongs to the party when its
  counterparty, as written, is one of the party's `written_as` names in the
  evidence: the rule groups its dealings by the written name and names every
  one that normalise_party makes that party, in that enterprise-year and
  agency, so these are exactly the records whose counterparty normalises to
  it, and no normalised name has to be stored per record. Per dealing they
  are as many as its `records` and add up to its `amount_vnd`, so per party
  and in all to the flag's `undisclosed_vnd`.

Each is a declaration number, a transaction id or a loan the reviewer can
ask the agency about. They have their own page, not the flag's: a year of a
large importer's related lines is thousands of rows, so the page shows the
lines that moved the most value (REL01: the largest records) first and the
download has every one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

PRICE_RULES = {"TP01": "IM", "TP02": "EX"}  # the customs flow each price rule judges
SHOWN_PER_GROUP = 200  # lines on the page per good, project or party; the download has them all


@dataclass
class Group:
    """The records behind one good (TP01/TP02), one project (CAP01), the year (TP07) or one party (REL01)."""

    title: dict[str, str]  # what the group is, e.g. {"hs_code": ..., "unit": ...}
    rows: list[dict] = field(default_factory=list)

    @property
    def shown(self) -> list[dict]:
        return self.rows[:SHOWN_PER_GROUP]


@dataclass
class Behind:
    kind: str  # "customs_lines", "capital_contributions", "repatriations" or "undisclosed_dealings"
    columns: tuple[str, ...]  # keys of each row, in the order shown and downloaded
    groups: list[Group]


# every row's keys, in the order shown and downloaded; a group's own keys (its title) lead
CUSTOMS_COLUMNS = ("hs_code", "unit", "declaration_no", "line_no", "registered_on", "period", "partner_name",
                   "partner_country", "quantity", "customs_value_vnd", "unit_price_vnd", "outside_range",
                   "shifted_vnd", "delivery_id")
FLOW_COLUMNS = ("txn_id", "value_date", "period", "currency", "amount", "amount_usd", "account_no", "bank_code",
                "counterparty_name", "counterparty_country")
# REL01: a customs line, an fx flow or a loan each in one row; amount_vnd is what the rule summed (empty for a
# loan: a balance is no dealing of the year), balance_vnd a loan's greatest balance of the year
DEALING_COLUMNS = ("agency", "record_key", "line_no", "record_date", "period", "counterparty_name",
                   "counterparty_country", "record_type", "currency", "amount", "amount_vnd", "balance_vnd")
LOAN_FLOWS = ("loan_drawdown", "loan_repayment", "interest_payment")  # the fx flows REL01 counts as dealings
NUMERIC = {"line_no", "quantity", "customs_value_vnd", "unit_price_vnd", "shifted_vnd", "amount", "amount_usd",
           "amount_vnd", "balance_vnd"}
DATES = {"registered_on", "value_date", "record_date"}


def link(flag_row: dict, evidence: dict) -> dict | None:
    """The flag page's link to the records page: its text key and the records' count as the evidence
    counts them (no query on the flag page), or None for a rule without a list of records."""
    if flag_row["rule_code"] in PRICE_RULES:
        return {"key": "see_customs_lines", "n": sum(int(g.get("related_lines") or 0) for g in evidence.get("goods") or [])}
    if flag_row["rule_code"] == "CAP01":
        return {"key": "see_capital_contributions", "n": None}
    if flag_row["rule_code"] == "TP07":
        return {"key": "see_repatriations", "n": evidence.get("transfers")}
    if flag_row["rule_code"] == "REL01":
        return {"key": "see_undisclosed_dealings",
                "n": sum(int(d.get("records") or 0) for d in evidence.get("dealings") or [])}
    return None


def records_behind(pg: psycopg.Connection, flag_row: dict, evidence: dict) -> Behind | None:
    """The records behind the flag, or None for a rule whose evidence is not a list of records."""
    rule = flag_row["rule_code"]
    if rule in PRICE_RULES:
        return _customs_lines(pg, flag_row, evidence, PRICE_RULES[rule])
    if rule == "CAP01":
        return _capital_contributions(pg, flag_row, evidence)
    if rule == "TP07":
        return _repatriations(pg, flag_row)
    if rule == "REL01":
        return _undisclosed_dealings(pg, flag_row, evidence)
    return None


def _customs_lines(pg, flag_row: dict, evidence: dict, flow: str) -> Behind:
    goods = [{"hs_code": g["hs_code"], "unit": g["unit"], "median": g["median_vnd"],
              "low": g["range_p35_vnd"], "high": g["range_p75_vnd"]} for g in evidence.get("goods") or []]
    # moved at the median: purchases above it (IM), sales below it (EX), as the rule's shifted_vnd
    moved = ("l.customs_value_vnd - g.median * l.quantity" if flow == "IM"
             else "g.median * l.quantity - l.customs_value_vnd")
    outside = "l.customs_value_vnd / l.quantity > g.high" if flow == "IM" else "l.customs_value_vnd / l.quantity < g.low"
    rows = pg.execute(f"""
        with goods as (
            select * from jsonb_to_recordset(%(goods)s::jsonb)
                as g(hs_code text, unit text, median numeric, low numeric, high numeric)
        )
        select l.hs_code, l.unit, l.declaration_no, l.line_no, l.registered_on, l.period, l.partner_name,
               l.partner_country, l.quantity, l.customs_value_vnd,
               round(l.customs_value_vnd / l.quantity, 2) as unit_price_vnd,
               ({outside}) as outside_range,
               round({moved}) as shifted_vnd, l.delivery_id
        from marts.fct_customs_lines as l
        join goods as g on g.hs_code = l.hs_code and g.unit = l.unit
        where l.enterprise_id = %(enterprise_id)s and l.tax_code = %(tax_code)s and l.flow = %(flow)s
          and left(l.period, 4) = %(year)s and l.is_related_party
          and l.quantity > 0 and l.customs_value_vnd > 0
        order by l.hs_code, l.unit, {moved} desc, l.declaration_no, l.line_no
        """, {"goods": json.dumps(goods), "enterprise_id": flag_row["enterprise_id"],
              "tax_code": flag_row["tax_code"], "flow": flow, "year": flag_row["period"][:4]})
    names = [c.name for c in rows.description]
    groups = {(g["hs_code"], g["unit"]): Group({"hs_code": g["hs_code"], "unit": g["unit"]}) for g in goods}
    for values in rows:
        row = dict(zip(names, values))
        groups[(row["hs_code"], row["unit"])].rows.append(row)
    return Behind("customs_lines", CUSTOMS_COLUMNS, list(groups.values()))


def _capital_contributions(pg, flag_row: dict, evidence: dict) -> Behind:
    windows = [{"title": {"project_code": p["project_code"], "issued_on": p["issued_on"],
                          "capital_deadline": p["capital_deadline"]},
                "first_day": p["issued_on"], "last_day": p["capital_deadline"]} for p in evidence.get("projects") or []]
    return _capital_flows(pg, flag_row, "capital_contributions", windows, "capital_contribution", "inflow")


def _repatriations(pg, flag_row: dict) -> Behind:
    year = flag_row["period"][:4]
    windows = [{"title": {"year": year}, "first_day": f"{year}-01-01", "last_day": f"{year}-12-31"}]
    return _capital_flows(pg, flag_row, "repatriations", windows, "profit_repatriation", "outflow")


def _capital_flows(pg, flag_row: dict, kind: str, windows: list[dict], flow_type: str, direction: str) -> Behind:
    """The enterprise's fx flows of one type within each window (its first and last day included)."""
    rows = pg.execute("""
        with windows as (
            select * from jsonb_to_recordset(%(windows)s::jsonb) as w(i int, first_day date, last_day date)
        )
        select w.i, f.txn_id, f.value_date, f.period, f.currency, f.amount, f.amount_usd, f.account_no,
               f.bank_code, f.counterparty_name, f.counterparty_country
        from windows as w
        join marts.fct_capital_flows as f
          on f.tax_code = %(tax_code)s and f.flow_type = %(flow_type)s and f.direction = %(direction)s
         and f.value_date between w.first_day and w.last_day
        order by w.i, f.value_date, f.txn_id
        """, {"windows": json.dumps([{"i": i, "first_day": w["first_day"], "last_day": w["last_day"]}
                                      for i, w in enumerate(windows)]),
              "tax_code": flag_row["tax_code"], "flow_type": flow_type, "direction": direction})
    names = [c.name for c in rows.description]
    groups = [Group(w["title"]) for w in windows]
    for values in rows:
        row = dict(zip(names, values))
        group = groups[row.pop("i")]
        group.rows.append({**group.title, **row})  # the download's lines carry their window
    title_keys = tuple(windows[0]["title"]) if windows else ()
    return Behind(kind, title_keys + FLOW_COLUMNS, groups)


def _undisclosed_dealings(pg, flag_row: dict, evidence: dict) -> Behind:
    """Per party of the evidence, the year's records of each of its dealings, as the rule's `dealings` read them
    (flag_rel01_undisclosed_related_party): the same filters, year and written name."""
    dealings = evidence.get("dealings") or []
    parties = {}  # party -> its group, in the evidence's order
    for d in dealings:
        parties.setdefault(d["party"], Group({"party": d["party"], "relationship": d["relationship"]}))
    order = {party: i for i, party in enumerate(parties)}
    rows = pg.execute("""
        with dealings as (
            select * from jsonb_to_recordset(%(dealings)s::jsonb) as d(i int, agency text, written_as text)
        ),
        records as (
            select d.i, 'customs' as agency, l.declaration_no as record_key, l.line_no, l.registered_on as record_date,
                   l.period, l.partner_name as counterparty_name, l.partner_country as counterparty_country,
                   l.flow as record_type, null::text as currency, null::numeric as amount,
                   l.customs_value_vnd::numeric as amount_vnd, null::numeric as balance_vnd
            from dealings as d
            join marts.fct_customs_lines as l on l.partner_name = d.written_as
            where d.agency = 'customs' and l.enterprise_id = %(enterprise_id)s and left(l.period, 4) = %(year)s
            union all
            select d.i, 'fx', f.txn_id, null, f.value_date, f.period, f.counterparty_name, f.counterparty_country,
                   f.flow_type, f.currency, f.amount, f.amount_vnd, null
            from dealings as d
            join marts.fct_capital_flows as f on f.counterparty_name = d.written_as
            where d.agency = 'fx' and f.enterprise_id = %(enterprise_id)s
              and extract(year from f.value_date) = %(year)s::int and f.flow_type = any(%(loan_flows)s)
            union all
            -- a loan once per dealing, at its greatest balance of the year (of equal ones, the latest
            -- snapshot): the rule counts loans, not their monthly snapshots, and states the greatest balance
            select * from (
                select distinct on (d.i, d.written_as, n.lender_code, n.loan_id)
                       d.i, 'credit' as agency, n.lender_code || '|' || n.loan_id as record_key, null::int as line_no,
                       n.report_date, n.snapshot_period, n.lender_name, n.lender_country, n.lender_kind, n.currency,
                       n.outstanding_amount, null::numeric as amount_vnd, n.outstanding_amount_vnd::numeric as balance
                from dealings as d
                join marts.fct_loans as n on n.lender_name = d.written_as
                where d.agency = 'credit' and n.enterprise_id = %(enterprise_id)s
                  and left(n.snapshot_period, 4) = %(year)s and n.outstanding_amount_vnd > 0
                order by d.i, d.written_as, n.lender_code, n.loan_id, n.outstanding_amount_vnd desc,
                         n.snapshot_period desc
            ) as loans
        )
        select * from records
        order by i, amount_vnd desc nulls last, balance_vnd desc nulls last, record_date, record_key, line_no
        """, {"dealings": json.dumps([{"i": order[d["party"]], "agency": d["agency"], "written_as": d["written_as"]}
                                       for d in dealings]),
              "enterprise_id": flag_row["enterprise_id"], "year": flag_row["period"][:4], "loan_flows": list(LOAN_FLOWS)})
    names = [c.name for c in rows.description]
    groups = list(parties.values())
    for values in rows:
        row = dict(zip(names, values))
        group = groups[row.pop("i")]
        group.rows.append({**group.title, **row})  # the download's lines carry their party
    return Behind("undisclosed_dealings", ("party", "relationship") + DEALING_COLUMNS, groups)
