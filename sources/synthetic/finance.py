"""Each enterprise's fiscal years: the one set of numbers tax, customs, labour and fx all render.

A `YearBook` is internally coherent the way a CIT finalisation return is:
profit before tax = revenue - cost of goods - operating expenses - interest +
other income; losses are carried forward for at most five years (Law on CIT
14/2008/QH12, Art. 16); CIT is 20 % of positive taxable income (Law 32/2013/QH13,
Art. 10, from 2016). Interest comes from the enterprise's loans in the credit
register; trade values are what customs lines add up to (in expectation).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sources.synthetic.economy import WAGE_GROWTH
from sources.synthetic.losses import TP04_MARGINS, HonestLoss
from sources.synthetic.rates import usd_year_average
from sources.synthetic.scenarios import (
    TP07_EDGE_LOOKALIKE_MARGIN,
    TP07_EDGE_MARGIN,
    royalty_share,
    takes_tp04_margins,
    tp04_edge_revenue_of_prior,
)

CIT_RATE = 0.20  # Law 32/2013/QH13, Art. 10
LOSS_CARRY_YEARS = 5  # Law 14/2008/QH12, Art. 16
# First and second year of operations: start-up losses (an honest reason to lose money).
STARTUP_MARGINS = (-0.15, -0.04)
STARTUP_REVENUE = (0.4, 0.75)
MIN_NORMAL_MARGIN = 0.02  # a normal year never turns into a loss by noise alone


@dataclass
class YearBook:
    tax_code: str
    year: int
    months_active: int
    revenue: int
    cogs: int
    opex: int
    depreciation: int
    interest: int
    related_interest: int
    other_income: int
    royalty: int  # paid to related parties, inside opex
    service_fees: int  # paid to related parties, inside opex
    pbt: int
    taxable: int
    cit: int
    loss_cf: int  # losses still available at year end
    imports_vnd: int
    exports_vnd: int
    related_imports_vnd: int
    related_exports_vnd: int
    employees: int
    wage: int  # average monthly wage, VND
    files_return: bool  # the annual return is filed (not when the owner has left)

    @property
    def ebit(self) -> int:
        return self.revenue - self.cogs - self.opex

    @property
    def ebitda(self) -> int:
        return self.ebit + self.depreciation

    @property
    def interest_share_of_ebitda(self) -> float:
        """Decree 132/2020/ND-CP Art. 16.3: deductible interest is capped at 30 % of EBITDA."""
        return self.interest / self.ebitda if self.ebitda > 0 else float("inf")


def loan_interest_vnd(loans, year: int, related_only: bool = False) -> float:
    rate_vnd = usd_year_average(year)
    total = 0.0
    for loan in loans:
        if related_only and loan.lender_kind != "foreign_related_party":
            continue
        fx = rate_vnd if loan.currency == "USD" else 1.0
        for month in range(1, 13):
            outstanding = loan.outstanding_on(dt.date(year, month, 15))
            total += outstanding * fx * loan.interest_rate_pct / 100 / 12
    return total


def _margin(ent, year: int, rng, honest: HonestLoss | None) -> float:
    start = ent.operating_from_year
    if 0 <= year - start < len(STARTUP_MARGINS):
        return STARTUP_MARGINS[year - start]
    if honest is not None:
        return honest.margin
    margin = max(MIN_NORMAL_MARGIN, ent.margin + rng.uniform(-0.01, 0.01))
    role = ent.role
    if role == "TP03":
        return -rng.uniform(0.05, 0.08)
    if ent.role_year == year:
        if takes_tp04_margins(ent):
            return TP04_MARGINS[1]  # the second loss year in a row, revenue holding
        if role == "TP06":
            return -0.035  # the 8 % royalty turns an ordinary year into a loss
        if role == "TP07":
            return TP07_EDGE_MARGIN if ent.edge else -0.05
        if role == "TP07~" and ent.edge:
            return TP07_EDGE_LOOKALIKE_MARGIN  # a thin profit, then the remittance
    if takes_tp04_margins(ent) and ent.role_year == year + 1:
        return TP04_MARGINS[0]
    return margin


def _revenue_ramp(age: int, honest: HonestLoss | None) -> float:
    """Revenue as a share of the firm's full scale: a start-up ramps up over its loss years."""
    if age < len(STARTUP_REVENUE):
        return STARTUP_REVENUE[age]
    if honest is not None and honest.revenue_ramp is not None:
        return honest.revenue_ramp  # a long start-up's third or fourth year
    return 1.0


def build_books(economy) -> dict[tuple[str, int], YearBook]:
    books: dict[tuple[str, int], YearBook] = {}
    first, last = economy.years
    honest_losses = getattr(economy, "honest_losses", {})
    for ent in economy.enterprises:
        losses: list[list[int]] = []  # [year, remaining]
        prior: YearBook | None = None
        for year in range(first - 1, last + 1):
            months_active = sum(ent.active_in_month(year, m) for m in range(1, 13))
            if not months_active:
                continue
            rng = economy.sub_rng("book", ent.index, year)
            age = year - ent.operating_from_year
            # a year of building its plant (losses.plan): no revenue, pre-operating costs, the loans' interest
            # capitalised into the plant (VAS 16), so no interest expense
            building = age < 0
            noise = 1.0 if ent.role in ("TP03", "TP04", "TP05") else rng.uniform(0.94, 1.06)
            honest = honest_losses.get((ent.tax_code, year))
            ramp = 0.0 if building else _revenue_ramp(age, honest)
            revenue = round(ent.revenue_base * economy.revenue_factor(ent, year) * noise * ramp * months_active / 12)
            if honest and honest.revenue_of_prior and prior and prior.months_active:
                # a downturn: revenue falls below the year before's, whatever the trend
                revenue = round(prior.revenue / prior.months_active * months_active * honest.revenue_of_prior)
            edge_fall = tp04_edge_revenue_of_prior(ent, year)
            if edge_fall and prior and prior.months_active:  # a TP04 edge case: revenue just either side of the line
                revenue = round(prior.revenue / prior.months_active * months_active * edge_fall)
            margin = _margin(ent, year, rng, honest)
            royalty_pct = ent.royalty_pct
            if ent.role in ("TP06", "TP06~") and ent.role_year == year:
                royalty_pct = royalty_share(ent)  # the planted case well past 5 % of revenue, its look-alike inside
            cogs = round(revenue * ent.cogs_ratio)
            ebit = round(revenue * margin)
            if building:
                full_scale = ent.revenue_base * economy.revenue_factor(ent, year) * months_active / 12
                ebit = round(full_scale * honest.margin) if honest else 0
            opex = revenue - cogs - ebit
            depreciation = round(revenue * ent.depreciation_ratio)
            interest = 0 if building else round(loan_interest_vnd(ent.loans, year))
            related_interest = 0 if building else round(loan_interest_vnd(ent.loans, year, related_only=True))
            other_income = round(revenue * rng.uniform(0.0, 0.004))
            pbt = revenue - cogs - opex - interest + other_income
            # Losses of the last five years offset profit, oldest first.
            losses = [x for x in losses if year - x[0] <= LOSS_CARRY_YEARS]
            taxable = pbt
            if pbt > 0:
                for entry in losses:
                    used = min(entry[1], taxable)
                    entry[1] -= used
                    taxable -= used
                losses = [x for x in losses if x[1] > 0]
            else:
                losses.append([year, -pbt])
            cit = round(CIT_RATE * max(taxable, 0))
            imports = round(cogs * ent.import_share)
            exports = round(revenue * ent.export_share)
            employees = max(3, round(ent.employees_base * economy.revenue_factor(ent, year) ** 0.6 * ramp))
            prior = books[(ent.tax_code, year)] = YearBook(
                tax_code=ent.tax_code, year=year, months_active=months_active, revenue=revenue, cogs=cogs,
                opex=opex, depreciation=depreciation, interest=interest, related_interest=related_interest,
                other_income=other_income, royalty=round(revenue * royalty_pct),
                service_fees=round(revenue * ent.service_fee_pct), pbt=pbt, taxable=taxable, cit=cit,
                loss_cf=sum(x[1] for x in losses), imports_vnd=imports, exports_vnd=exports,
                related_imports_vnd=round(imports * ent.related_share),
                related_exports_vnd=round(exports * ent.related_share),
                employees=employees, wage=int(round(ent.wage_base * (1 + WAGE_GROWTH) ** (year - 2023), -3)),
                files_return=not (ent.absconded_on and ent.absconded_on.year <= year),
            )
    return books
