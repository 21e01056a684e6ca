"""The agency's own records behind a flag's finding, one row per declaration line, transaction, return or snapshot.

A reviewer checks a flag against what the agency delivered, not only against
the figures the rule computed from it: each row is a record the rule read,
with a key the reviewer can ask the agency about (a declaration number, a
transaction id, a loan, a return, an employer-month, a project) and, where
the public schemas hold it, the delivery it came in. One module per family
of rules, each saying which records and how they add up to the evidence:

* customs.py: TP01, TP02 (related-party customs lines per good)
* capital.py: CAP01, TP07 (capital contributions, profit repatriations)
* related.py: REL01 (every record of each undisclosed party's dealings)
* returns.py: TP03, TP04, TP05, TP06 (the CIT returns in force the rule read; TP05 its foreign loans, TP05 and
  TP06 the related-party disclosures they add up)
* labour.py: ABS01 (the employment months of the arrears streak, the signs counted with it)
* register.py: REG01 (the project's register snapshots), REG02 (the active projects, the last activity per
  agency before the silent span)
* land.py: LAND01 (the lease snapshots of the idle span, month by month, gaps included)

They have their own page, not the flag's: a year of a large importer's
related lines is thousands of rows, so the page shows the first 200 of a
group (the lines that moved the most value, the largest records) and the
download has every one. A rule whose evidence stands on records no public
schema holds, or that would only repeat its evidence, has no page (404).
"""
from __future__ import annotations

import psycopg

from workbench.records_behind import capital, customs, labour, land, register, related, returns
from workbench.records_behind.model import SHOWN_PER_GROUP, Behind, Group

__all__ = ["DATES", "NUMERIC", "SHOWN_PER_GROUP", "Behind", "Group", "link", "records_behind"]

_FAMILIES = (customs, capital, related, returns, labour, register, land)
PAGES = {rule: page for family in _FAMILIES for rule, page in family.PAGES.items()}
LINKS = {rule: link for family in _FAMILIES for rule, link in family.LINKS.items()}

# how the page writes a column (the download writes the value itself)
NUMERIC = {"line_no", "quantity", "customs_value_vnd", "unit_price_vnd", "shifted_vnd", "amount", "amount_usd",
           "amount_vnd", "balance_vnd", "revenue_vnd", "cost_of_goods_vnd", "operating_expense_vnd", "ebit_vnd",
           "interest_expense_vnd", "depreciation_vnd", "profit_before_tax_vnd", "ebitda_vnd", "original_amount",
           "outstanding_amount", "outstanding_amount_vnd", "employees_total", "si_contribution_due_vnd",
           "si_contribution_paid_vnd", "si_arrears_vnd", "arrears_vnd", "area_m2", "in_use_area_m2"}
DATES = {"registered_on", "value_date", "record_date", "filed_on", "report_date", "issued_on", "expires_on"}


def link(flag_row: dict, evidence: dict) -> dict | None:
    """The flag page's link to the records page: its text key and the records' count as the evidence
    counts them (no query on the flag page; None when it gives none), or None for a rule without a page."""
    rule = LINKS.get(flag_row["rule_code"])
    return None if rule is None else rule(evidence)


def records_behind(pg: psycopg.Connection, flag_row: dict, evidence: dict) -> Behind | None:
    """The records behind the flag, or None for a rule without a records page."""
    page = PAGES.get(flag_row["rule_code"])
    return None if page is None else page(pg, flag_row, evidence)
