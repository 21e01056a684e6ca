"""State Bank of Vietnam, Hải Phòng branch (credit information): month-end loan positions.

Contract: `sources/contracts/credit.yaml` (csv-vn: `1.234.567,89`, dd/mm/yyyy).
Loans are the enterprise's `Loan`s of `sources.synthetic.economy`; their interest is
what the enterprise's tax returns declare.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, Enterprise, month_end
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("credit")
LOANS = AGENCY.datasets["loans"]

# Circular 11/2021/TT-NHNN: debt groups 1 (standard) to 5 (loss) by days overdue.
# An absconded borrower's loans slide from group 3 to 5 within a quarter.
DEBT_GROUP_AFTER_ABSCONDING = ((0, 3), (2, 4), (3, 5))


def _debt_group(ent: Enterprise, on: dt.date) -> int:
    if not ent.absconded_on or on < ent.absconded_on:
        return 1
    months_gone = (on.year - ent.absconded_on.year) * 12 + on.month - ent.absconded_on.month
    group = 1
    for after, value in DEBT_GROUP_AFTER_ABSCONDING:
        if months_gone >= after:
            group = value
    return group


def _loan_rows(economy: Economy, on: dt.date) -> Iterator[dict]:
    for ent in economy.enterprises:
        for loan in ent.loans:
            outstanding = loan.outstanding_on(on)
            if outstanding <= 0:
                continue
            yield {
                "_owner": ent.tax_code,
                "report_date": on,
                "lender_code": loan.lender_code,
                "lender_name": loan.lender_name,
                "lender_kind": loan.lender_kind,
                "lender_country": loan.lender_country,
                "borrower_tax_code": ent.tax_code,
                "borrower_name": ent.name_variant(on, "english"),
                "loan_id": loan.loan_id,
                "currency": loan.currency,
                "original_amount": loan.original_amount,
                "outstanding_amount": outstanding,
                "interest_rate_pct": loan.interest_rate_pct,
                "disbursed_on": loan.disbursed_on,
                "matures_on": loan.matures_on,
                "debt_group": _debt_group(ent, on),
                "sbv_registration_no": loan.sbv_registration_no,
            }


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    for period in periods:
        year, month = map(int, period.split("-"))
        on = month_end(year, month)
        planter.deliver(LOANS, period, extraction_time(on + dt.timedelta(days=8)),
                        lambda d=on: _loan_rows(economy, d), owner_of=lambda r: r["_owner"])
