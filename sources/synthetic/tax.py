"""Hải Phòng Tax Department: CIT finalisation returns, related-party disclosures, payments.

Contract: `sources/contracts/tax.yaml`. Figures come from the enterprise's
`YearBook` (`sources.synthetic.finance`), so a return, its related-party appendix
and the monthly payments tell one story.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic import network
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, Enterprise, month_end
from sources.synthetic.finance import CIT_RATE, YearBook
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("tax")
CIT_RETURNS = AGENCY.datasets["cit_returns"]
RELATED_PARTY = AGENCY.datasets["related_party"]
PAYMENTS = AGENCY.datasets["payments"]

# Law 38/2019/QH14 Art. 44: the CIT finalisation is due by the last day of the
# third month after the fiscal year; amendments follow; the extract is taken in June.
EXTRACT_MONTH_DAY = (6, 20)
AMENDED_SHARE = 0.08  # returns amended at least once
SECOND_AMENDMENT_SHARE = 0.3
UNDERSTATED_REVENUE = 0.03  # what an amendment corrects
# Decree 126/2020/ND-CP Art. 8: quarterly provisional CIT, at least 80 % of the
# year's tax over four quarters, due the month after each quarter; the rest at finalisation (March).
PROVISIONAL_MONTHS = {4: 0, 7: 0, 10: 0, 1: -1}  # payment month -> fiscal year offset
PROVISIONAL_SHARE = 0.2
FINAL_MONTH = 3
VAT_ON_DOMESTIC_SALES = 0.025  # 10 % VAT on a value added of about a quarter of sales
PIT_ON_WAGES = 0.05
# Circular 103/2014/TT-BTC: foreign contractor tax on royalties 10 %, on interest 5 %.
FCT_ROYALTY, FCT_INTEREST = 0.10, 0.05
# Decree 46/2014/ND-CP Art. 18: annual land rent in two halves, by 31 May and 31 October.
LAND_RENT_MONTHS = (5, 10)
LICENCE_FEE_VND = 3_000_000  # Decree 139/2016/ND-CP: lệ phí môn bài, capital over 10 bn VND


def _return_row(ent: Enterprise, book: YearBook, amendment: int, filed: dt.date, understated: float) -> dict:
    revenue = round(book.revenue * (1 - understated))
    pbt = revenue - book.cogs - book.opex - book.interest + book.other_income
    taxable = book.taxable + (pbt - book.pbt)
    return {
        "_owner": ent.tax_code,
        "tax_code": ent.tax_code,
        "fiscal_year": book.year,
        "amendment_no": amendment,
        "taxpayer_name": ent.name_vi(filed),
        "filed_on": filed,
        "revenue_vnd": revenue,
        "cost_of_goods_vnd": book.cogs,
        "operating_expense_vnd": book.opex,
        "interest_expense_vnd": book.interest,
        "depreciation_vnd": book.depreciation,
        "other_income_vnd": book.other_income,
        "profit_before_tax_vnd": pbt,
        "taxable_income_vnd": taxable,
        "cit_payable_vnd": round(CIT_RATE * max(taxable, 0)),
        "loss_carried_forward_vnd": book.loss_cf or None,
        "incentive_code": None,
    }


def _returns(economy: Economy, year: int) -> Iterator[dict]:
    for ent in economy.enterprises:
        book = economy.books.get((ent.tax_code, year))
        if book is None or not book.files_return:
            continue
        rng = economy.sub_rng("cit", ent.index, year)
        filed = dt.date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
        amendments = 0
        if rng.random() < AMENDED_SHARE:
            amendments = 2 if rng.random() < SECOND_AMENDMENT_SHARE else 1
        for n in range(amendments + 1):
            when = filed if n == 0 else dt.date(year + 1, 3 + n, rng.randint(1, 28))
            # Earlier returns understated revenue; the highest amendment is the book.
            yield _return_row(ent, book, n, when, UNDERSTATED_REVENUE if n < amendments else 0.0)


def _related_rows(economy: Economy, year: int) -> Iterator[dict]:
    rate_year = year
    for ent in economy.enterprises:
        book = economy.books.get((ent.tax_code, year))
        if book is None or not book.files_return or not ent.parent_group or network.omits_disclosure(ent, year):
            continue
        investor = next((i for p in ent.projects for i in p.investors if i.name == ent.parent_group), None)
        drawn = sum(economy.loan_amount_vnd(x) for x in ent.loans
                    if x.lender_kind == "foreign_related_party" and x.disbursed_on.year == rate_year)
        amounts = (("goods_purchase", book.related_imports_vnd, "CUP"),
                   ("goods_sale", book.related_exports_vnd, "CPLM"),
                   ("royalty", book.royalty, "CUP"),
                   ("service_purchase", book.service_fees, "CPLM"),
                   ("interest_paid", book.related_interest, "CUP"),
                   ("loan_received", round(drawn), None))
        for kind, amount, method in amounts:
            if amount > 0:
                yield {
                    "_owner": ent.tax_code,
                    "tax_code": ent.tax_code,
                    "fiscal_year": year,
                    "counterparty_name": network.disclosed_name(ent, year),
                    "counterparty_country": ent.origin,
                    "counterparty_tax_id": investor.reg_no if investor else None,
                    # Decree 132/2020 Art. 5(2)(a): holds at least 25 % of the enterprise's capital.
                    "relationship_code": "a",
                    "transaction_type": kind,
                    "amount_vnd": amount,
                    "pricing_method": method,
                }


def _payments(economy: Economy, year: int, month: int) -> Iterator[dict]:
    period = f"{year}-{month:02d}"
    for ent in economy.enterprises:
        if not ent.active_in_month(year, month):
            continue
        book = economy.books.get((ent.tax_code, year))
        previous = economy.books.get((ent.tax_code, year - 1))
        amounts: dict[str, float] = {}
        cit = 0.0
        if month in PROVISIONAL_MONTHS:
            source = economy.books.get((ent.tax_code, year + PROVISIONAL_MONTHS[month]))
            cit += PROVISIONAL_SHARE * source.cit if source else 0
        if month == FINAL_MONTH and previous and previous.files_return:
            cit += (1 - 4 * PROVISIONAL_SHARE) * previous.cit
        amounts["CIT"] = cit
        if book:
            per_month = 1 / book.months_active
            amounts["VAT"] = VAT_ON_DOMESTIC_SALES * (book.revenue - book.exports_vnd) * per_month
            amounts["PIT"] = PIT_ON_WAGES * book.employees * book.wage
            amounts["FCT"] = (FCT_ROYALTY * book.royalty + FCT_INTEREST * book.related_interest) * per_month
        on = month_end(year, month)
        if month in LAND_RENT_MONTHS:
            amounts["land_rent"] = sum(x.annual_rent_vnd / 2 for x in ent.leases
                                       if x.annual_rent_vnd and x.status_on(on) == "active" and x.lease_start <= on)
        if month == 1:
            amounts["other"] = LICENCE_FEE_VND
        for tax_type in PAYMENTS.column("tax_type").values:
            amount = round(amounts.get(tax_type, 0))
            if amount > 0:
                yield {"_owner": ent.tax_code, "tax_code": ent.tax_code, "period": period,
                       "tax_type": tax_type, "amount_paid_vnd": amount}


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    owner = lambda r: r["_owner"]  # noqa: E731
    years = sorted({int(p[:4]) for p in periods})
    for year in years:
        extracted = extraction_time(dt.date(year + 1, *EXTRACT_MONTH_DAY))
        planter.deliver(CIT_RETURNS, str(year), extracted, lambda y=year: _returns(economy, y),
                        owner_of=owner, resend_broken=True,
                        # A correction that adds amendments the first extract did not have yet.
                        revise=lambda row: row if row["amendment_no"] == 0 else None)
        planter.deliver(RELATED_PARTY, str(year), extracted, lambda y=year: _related_rows(economy, y),
                        owner_of=owner, resend_broken=True)
    for period in periods:
        year, month = map(int, period.split("-"))
        extracted = extraction_time(month_end(year, month) + dt.timedelta(days=10))
        planter.deliver(PAYMENTS, period, extracted, lambda y=year, m=month: _payments(economy, y, m),
                        owner_of=owner)
