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

They have their own page, not the flag's: a year of a large importer's
related lines is thousands of rows, so the page shows the first 200 of a
group (the lines that moved the most value, the largest records) and the
download has every one. A rule whose evidence stands on records no public
schema holds, or that would only repeat its evidence, has no page (404).
"""
from __future__ import annotations

import psycopg

from workbench.records_behind import capital, customs, related
from workbench.records_behind.model import SHOWN_PER_GROUP, Behind, Group

__all__ = ["DATES", "NUMERIC", "SHOWN_PER_GROUP", "Behind", "Group", "link", "records_behind"]

_FAMILIES = (customs, capital, related)
PAGES = {rule: page for family in _FAMILIES for rule, page in family.PAGES.items()}
LINKS = {rule: link for family in _FAMILIES for rule, link in family.LINKS.items()}

# how the page writes a column (the download writes the value itself)
NUMERIC = {"line_no", "quantity", "customs_value_vnd", "unit_price_vnd", "shifted_vnd", "amount", "amount_usd",
           "amount_vnd", "balance_vnd"}
DATES = {"registered_on", "value_date", "record_date"}


def link(flag_row: dict, evidence: dict) -> dict | None:
    """The flag page's link to the records page: its text key and the records' count as the evidence
    counts them (no query on the flag page; None when it gives none), or None for a rule without a page."""
    rule = LINKS.get(flag_row["rule_code"])
    return None if rule is None else rule(evidence)


def records_behind(pg: psycopg.Connection, flag_row: dict, evidence: dict) -> Behind | None:
    """The records behind the flag, or None for a rule without a records page."""
    page = PAGES.get(flag_row["rule_code"])
    return None if page is None else page(pg, flag_row, evidence)
