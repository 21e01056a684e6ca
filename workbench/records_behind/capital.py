"""CAP01 and TP07: the enterprise's fx flows of the type the rule adds up, within its window
(marts.fct_capital_flows, by value date, on the enterprise's tax code).

* CAP01: the capital contributions of each project's window, from its issue date to its capital deadline
  (inflows of type capital_contribution), the transactions the rule summed into `contributed_usd`. None at all
  is a finding too.
* TP07: the year's profit repatriations (outflows of type profit_repatriation), the `transfers` the rule
  counted."""
from __future__ import annotations

import json

from workbench.records_behind.model import Behind, Group, fetch, into_groups

FLOW_COLUMNS = ("txn_id", "value_date", "period", "currency", "amount", "amount_usd", "account_no", "bank_code",
                "counterparty_name", "counterparty_country")


def _capital_contributions(pg, flag_row: dict, evidence: dict) -> Behind:
    windows = [{"title": {"project_code": p["project_code"], "issued_on": p["issued_on"],
                          "capital_deadline": p["capital_deadline"]},
                "first_day": p["issued_on"], "last_day": p["capital_deadline"]} for p in evidence.get("projects") or []]
    return _capital_flows(flow_groups(pg, flag_row, windows, "capital_contribution", "inflow"),
                          "capital_contributions", windows)


def _repatriations(pg, flag_row: dict) -> Behind:
    year = flag_row["period"][:4]
    windows = [{"title": {"year": year}, "first_day": f"{year}-01-01", "last_day": f"{year}-12-31"}]
    return _capital_flows(flow_groups(pg, flag_row, windows, "profit_repatriation", "outflow"), "repatriations",
                          windows)


def _capital_flows(groups: list[Group], kind: str, windows: list[dict]) -> Behind:
    title_keys = tuple(windows[0]["title"]) if windows else ()
    return Behind(kind, title_keys + FLOW_COLUMNS, groups)


def flow_groups(pg, flag_row: dict, windows: list[dict], flow_type: str, direction: str) -> list[Group]:
    """The enterprise's fx flows of one type on its tax code within each window (its first and last day
    included, by value date): a group per window, titled by the window's title."""
    rows = fetch(pg, """
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
    return into_groups([Group(w["title"]) for w in windows], rows)


PAGES = {"CAP01": _capital_contributions, "TP07": lambda pg, flag_row, evidence: _repatriations(pg, flag_row)}
LINKS = {"CAP01": lambda evidence: {"key": "see_capital_contributions", "n": None},
         "TP07": lambda evidence: {"key": "see_repatriations", "n": evidence.get("transfers")}}
