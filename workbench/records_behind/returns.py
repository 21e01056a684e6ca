"""TP03, TP04, TP05: the CIT returns in force of the years the rule read (marts.fct_tax_returns, the return in
force of each year on the flag's tax code), with the figures as the rule computes them: EBIT = revenue - cost of
goods - operating expenses (TP03, TP04), EBITDA = profit before tax + interest + depreciation (TP05). Each with
the key the tax agency files it under (the tax code as filed, fiscal year, amendment) and its delivery
(marts.enterprise_links, the return's source key).

* TP03: the returns of the loss run, `first_loss_year` to the flag's year: as many as `loss_years`, their EBIT
  adds up to `losses_in_run_vnd`; and the capital contributions of the run's years, adding up to
  `capital_added_usd` (by value date, as the rule sums them).
* TP04: the returns of the comparison period (the year and up to comparison_years - 1 before, revenue above 0):
  as many as `years_compared`, their EBIT over their revenue is `weighted_margin`; the year before's is
  `prior_year_ebit_margin`.
* TP05: the returns of the comparison period (the year and up to comparison_years - 1 before): the year's
  EBITDA and interest are the evidence's, the greatest EBITDA is `best_ebitda_of_period_vnd`; and the loans of
  the year from a foreign lender or a foreign related party (marts.fct_loans, each once at its greatest
  balance of the year), the lenders the evidence names in `foreign_or_related_lenders`; and the year's
  related-party disclosures of loans received and interest paid (marts.fct_related_party_disclosures), adding up
  to `related_party_interest_or_loans_vnd`.
* TP06: the year's return (its revenue and loss the evidence's) and the year's related-party disclosures of
  royalties and service purchases, adding up to `royalties_vnd` and `service_fees_vnd`.
"""
from __future__ import annotations

from workbench.evidence import threshold
from workbench.records_behind.capital import FLOW_COLUMNS, flow_groups
from workbench.records_behind.model import Group, fetch, into_groups, of_kinds

RETURN_COLUMNS = ("fiscal_year", "tax_code_filed", "amendment_no", "filed_on", "revenue_vnd", "cost_of_goods_vnd",
                  "operating_expense_vnd", "ebit_vnd", "interest_expense_vnd", "depreciation_vnd",
                  "profit_before_tax_vnd", "ebitda_vnd", "delivery_id")
LOAN_COLUMNS = ("lender_code", "loan_id", "lender_name", "lender_kind", "lender_country", "period", "report_date",
                "currency", "outstanding_amount", "outstanding_amount_vnd", "delivery_id")
FOREIGN_LENDERS = ("foreign_related_party", "foreign_lender")  # the lender kinds TP05 counts as borrowing abroad
DISCLOSURE_COLUMNS = ("fiscal_year", "tax_code_filed", "counterparty_name", "counterparty_country",
                      "relationship_code", "transaction_type", "pricing_method", "amount_vnd", "delivery_id")
# the disclosures each rule adds up (Decree 132/2020 Appendix I transaction types)
DISCLOSED = {"TP05": ("interest_paid", "loan_received"), "TP06": ("royalty", "service_purchase")}


def _returns(pg, flag_row: dict, first_year: int, last_year: int, *, with_revenue: bool = False) -> Group:
    """The returns in force of the flag's tax code, first_year to last_year; `with_revenue`: only those with
    revenue above 0 (TP04 reads no other)."""
    rows = fetch(pg, """
        select 0 as i, t.fiscal_year, t.tax_code_filed, t.amendment_no, t.filed_on, t.revenue_vnd,
               t.cost_of_goods_vnd, t.operating_expense_vnd,
               t.revenue_vnd - t.cost_of_goods_vnd - t.operating_expense_vnd as ebit_vnd,
               t.interest_expense_vnd, t.depreciation_vnd, t.profit_before_tax_vnd,
               t.profit_before_tax_vnd + t.interest_expense_vnd + t.depreciation_vnd as ebitda_vnd,
               t.delivery_id
        from marts.fct_tax_returns as t
        where t.tax_code = %(tax_code)s and t.fiscal_year between %(first)s and %(last)s
          and (not %(with_revenue)s or t.revenue_vnd > 0)
        order by t.fiscal_year
        """, {"tax_code": flag_row["tax_code"], "first": first_year, "last": last_year, "with_revenue": with_revenue})
    return into_groups([Group({"records": "cit_returns"}, columns=RETURN_COLUMNS)], rows)[0]


def _disclosures(pg, flag_row: dict) -> Group:
    """The year's related-party disclosure lines of the types the rule adds up, on the flag's tax code."""
    rows = fetch(pg, """
        select 0 as i, fiscal_year, tax_code_filed, counterparty_name, counterparty_country, relationship_code,
               transaction_type, pricing_method, amount_vnd, delivery_id
        from marts.fct_related_party_disclosures
        where tax_code = %(tax_code)s and fiscal_year = %(year)s and transaction_type = any(%(types)s)
        order by amount_vnd desc, counterparty_name, transaction_type
        """, {"tax_code": flag_row["tax_code"], "year": int(flag_row["period"]),
              "types": list(DISCLOSED[flag_row["rule_code"]])})
    return into_groups([Group({"records": "related_party_disclosures"}, columns=DISCLOSURE_COLUMNS)], rows)[0]


def _persistent_losses(pg, flag_row: dict, evidence: dict):
    year = int(flag_row["period"])
    first = int(evidence["first_loss_year"])
    contributions = flow_groups(pg, flag_row, [{"title": {"records": "capital_contributions"},
                                                "first_day": f"{first}-01-01", "last_day": f"{year}-12-31"}],
                                "capital_contribution", "inflow")
    contributions[0].columns = FLOW_COLUMNS
    return of_kinds("tax_returns", [_returns(pg, flag_row, first, year), *contributions])


def _low_margin(pg, flag_row: dict, evidence: dict):
    year = int(flag_row["period"])
    first = year - int(threshold("TP04", "comparison_years")) + 1
    return of_kinds("tax_returns", [_returns(pg, flag_row, first, year, with_revenue=True)])


def _interest_cap(pg, flag_row: dict, evidence: dict):
    year = int(flag_row["period"])
    first = year - int(threshold("TP05", "comparison_years")) + 1
    loans = fetch(pg, """
        select * from (
            -- a loan once, at its greatest balance of the year (of equal ones, the latest snapshot): the rule
            -- names its lenders and their greatest balance, not the monthly snapshots
            select distinct on (n.lender_code, n.loan_id)
                   0 as i, n.lender_code, n.loan_id, n.lender_name, n.lender_kind, n.lender_country,
                   n.snapshot_period as period, n.report_date, n.currency, n.outstanding_amount,
                   n.outstanding_amount_vnd, k.delivery_id
            from marts.fct_loans as n
            left join marts.enterprise_links as k
              on k.dataset = 'loans' and k.agency = 'credit' and k.period = n.snapshot_period
             and k.source_key = n.lender_code || '|' || n.loan_id
            where n.tax_code = %(tax_code)s and left(n.snapshot_period, 4) = %(year)s
              and n.lender_kind = any(%(kinds)s)
            order by n.lender_code, n.loan_id, n.outstanding_amount_vnd desc, n.snapshot_period desc
        ) as loans
        order by outstanding_amount_vnd desc, lender_code, loan_id
        """, {"tax_code": flag_row["tax_code"], "year": str(year), "kinds": list(FOREIGN_LENDERS)})
    groups = [_returns(pg, flag_row, first, year), Group({"records": "foreign_loans"}, columns=LOAN_COLUMNS)]
    into_groups(groups[1:2], loans)
    return of_kinds("tax_returns", [*groups, _disclosures(pg, flag_row)])


def _royalties_in_loss(pg, flag_row: dict, evidence: dict):
    year = int(flag_row["period"])
    return of_kinds("tax_returns", [_returns(pg, flag_row, year, year), _disclosures(pg, flag_row)])


PAGES = {"TP03": _persistent_losses, "TP04": _low_margin, "TP05": _interest_cap, "TP06": _royalties_in_loss}
LINKS = {
    "TP03": lambda evidence: {"key": "see_tax_returns", "n": evidence.get("loss_years")},
    "TP04": lambda evidence: {"key": "see_tax_returns", "n": evidence.get("years_compared")},
    # the comparison period's returns, as many as there are of the period (the evidence counts none)
    "TP05": lambda evidence: {"key": "see_tax_returns_and_loans", "n": None},
    "TP06": lambda evidence: {"key": "see_tax_returns_and_disclosures", "n": None},
}
