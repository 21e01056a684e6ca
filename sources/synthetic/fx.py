"""State Bank of Vietnam, Hải Phòng branch (foreign exchange): capital-account flows and central rates.

Contract: `sources/contracts/fx.yaml` (JSONL; numbers arrive as JSON numbers
or as strings). Flows follow the economy: charter capital contributed before
the deadline, foreign loans drawn, serviced and repaid, profits repatriated
only after profitable years with no losses carried forward (Decree 70/2014/ND-CP
Art. 9 and Law on Investment 61/2020/QH14 Art. 12), and the planted CAP01,
TP07 and ABS01 cases.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic.catalogue import LENDERS
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, Enterprise, month_end
from sources.synthetic.rates import REFERENCE_CURRENCIES, vnd_per_unit
from sources.synthetic.scenarios import TP07_REMITTANCE_MONTH, contributed_share
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("fx")
CAPITAL_FLOWS = AGENCY.datasets["capital_flows"]
CENTRAL_RATES = AGENCY.datasets["central_rates"]

NUMBER_AS_STRING_SHARE = 0.3  # some bank systems quote amounts as strings
REPATRIATION_MONTH = 6  # after the CIT finalisation of the previous year (due in March)
REPATRIATED_SHARE = 0.5  # of the previous year's profit after tax
REPATRIATING_SHARE = 0.5  # of eligible FDI enterprises, in a given year
TP07_REPATRIATED_OF_REVENUE = 0.03
ABS01_MOVED_OUT = 0.6  # of the foreign capital, transferred out as the owner leaves
INTEREST_MONTHS = (3, 6, 9, 12)  # foreign loans pay interest quarterly
_DOMESTIC_BANKS = [x.code for x in LENDERS if x.kind == "domestic_bank"]


def _amount(value: float, rng) -> float | str:
    value = round(value, 2)
    return f"{value:.2f}" if rng.random() < NUMBER_AS_STRING_SHARE else value


def _contributions(economy: Economy, ent: Enterprise) -> list[tuple[dt.date, float, str, str]]:
    """(value date, USD, investor name, country) of every charter-capital tranche."""
    out = []
    for p in ent.projects:
        foreign = p.charter_capital_usd * p.foreign_pct / 100
        lead = p.investors[0]
        rng = economy.sub_rng("contribution", p.project_code)
        start = p.incorporated_on + dt.timedelta(days=10)
        share = contributed_share(ent)
        if share is not None:  # a CAP01 case (or its look-alike at the edge) pays once, what its share says
            out.append((start + dt.timedelta(days=20), foreign * share, lead.name, lead.country))
            continue
        span = max(1, (p.capital_deadline - start).days - 5)
        tranches = rng.randint(1, 3)
        for k in range(tranches):
            day = start + dt.timedelta(days=round(span * (k + 1) / (tranches + 1)))
            out.append((min(day, p.capital_deadline - dt.timedelta(days=1)), foreign / tranches, lead.name,
                        lead.country))
    return out


def _repatriates(economy: Economy, ent: Enterprise, year: int) -> bool:
    if not ent.parent_group or ent.role == "TP07":
        return False
    this, last = economy.books.get((ent.tax_code, year)), economy.books.get((ent.tax_code, year - 1))
    if not this or not last or this.pbt <= 0 or last.pbt <= 0 or this.loss_cf or last.loss_cf:
        return False
    if ent.role == "TP07~":
        return year == ent.role_year
    return economy.sub_rng("repatriate", ent.index, year).random() < REPATRIATING_SHARE


def _flows(economy: Economy, ent: Enterprise, year: int, month: int) -> Iterator[tuple]:
    """(value date, direction, flow type, currency, amount, counterparty, country)."""
    first_day, last_day = dt.date(year, month, 1), month_end(year, month)
    for day, usd, name, country in _contributions(economy, ent):
        if first_day <= day <= last_day:
            yield day, "inflow", "capital_contribution", "USD", usd, name, country
    for loan in ent.loans:
        if not loan.foreign:
            continue
        if first_day <= loan.disbursed_on <= last_day:
            yield loan.disbursed_on, "inflow", "loan_drawdown", loan.currency, loan.original_amount, \
                loan.lender_name, loan.lender_country
        before, after = loan.outstanding_on(first_day - dt.timedelta(days=1)), loan.outstanding_on(last_day)
        if before > after and loan.disbursed_on < first_day:
            yield last_day, "outflow", "loan_repayment", loan.currency, before - after, loan.lender_name, \
                loan.lender_country
        if month in INTEREST_MONTHS and after > 0:
            yield last_day, "outflow", "interest_payment", loan.currency, \
                after * loan.interest_rate_pct / 100 / len(INTEREST_MONTHS), loan.lender_name, loan.lender_country
    if month == REPATRIATION_MONTH and _repatriates(economy, ent, year):
        last = economy.books[(ent.tax_code, year - 1)]
        usd = REPATRIATED_SHARE * (last.pbt - last.cit) / vnd_per_unit("USD", first_day)
        yield dt.date(year, month, 20), "outflow", "profit_repatriation", "USD", usd, ent.parent_group, ent.origin
    if ent.role == "TP07" and year == ent.role_year and month == TP07_REMITTANCE_MONTH:
        book = economy.books[(ent.tax_code, year)]
        usd = TP07_REPATRIATED_OF_REVENUE * book.revenue / vnd_per_unit("USD", first_day)
        yield dt.date(year, month, 10), "outflow", "profit_repatriation", "USD", usd, ent.parent_group, ent.origin
    if ent.role == "ABS01" and ent.absconded_on and first_day <= ent.absconded_on <= last_day:
        p = ent.projects[0]
        usd = ABS01_MOVED_OUT * p.charter_capital_usd * p.foreign_pct / 100
        yield ent.absconded_on - dt.timedelta(days=3), "outflow", "capital_transfer", "USD", usd, \
            p.investors[0].name, p.investors[0].country


def _flow_rows(economy: Economy, year: int, month: int) -> Iterator[dict]:
    for ent in economy.enterprises:
        if not ent.is_fdi or not ent.active_in_month(year, month):
            continue
        rng = economy.sub_rng("fx", ent.index, year, month)
        for seq, (day, direction, kind, currency, amount, name, country) in enumerate(
                _flows(economy, ent, year, month), start=1):
            capital = kind in ("capital_contribution", "profit_repatriation", "capital_transfer", "divestment")
            yield {
                "_owner": ent.tax_code,
                "txn_id": f"FX{year % 100:02d}{month:02d}{ent.index:06d}{seq:03d}",
                # Direct-investment capital account (DICA) or the registered loan account.
                "account_no": f"{'DICA' if capital else 'FLA'}{ent.index:08d}",
                "bank_code": _DOMESTIC_BANKS[ent.index % len(_DOMESTIC_BANKS)],
                "tax_code": ent.tax_code,
                "value_date": day,
                "direction": direction,
                "flow_type": kind,
                "currency": currency,
                "amount": _amount(amount, rng),
                "counterparty_name": name,
                "counterparty_country": country,
            }


def _rate_rows(year: int, month: int) -> Iterator[dict]:
    day = dt.date(year, month, 1)
    while day.month == month:
        if day.weekday() < 5:  # the State Bank publishes on working days
            for currency in REFERENCE_CURRENCIES:
                rate = vnd_per_unit(currency, day)
                text = (day.day + REFERENCE_CURRENCIES.index(currency)) % 4 == 0
                yield {"rate_date": day, "currency": currency, "vnd_per_unit": f"{rate:.2f}" if text else rate}
        day += dt.timedelta(days=1)


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    for period in periods:
        year, month = map(int, period.split("-"))
        extracted = extraction_time(month_end(year, month) + dt.timedelta(days=3))
        planter.deliver(CAPITAL_FLOWS, period, extracted, lambda y=year, m=month: _flow_rows(economy, y, m),
                        owner_of=lambda r: r["_owner"], resend_broken=True)
        planter.deliver(CENTRAL_RATES, period, extracted, lambda y=year, m=month: _rate_rows(y, m),
                        owner_of=None)
