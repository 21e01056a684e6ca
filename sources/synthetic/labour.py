"""Department of Labour and Social Insurance: employment, work permits, stoppages.

Contract: `sources/contracts/labour.yaml`. Employers are keyed by their
social-insurance unit code; the tax code is often missing (README "Known
defects" 3), stable per employer as its record was first opened.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, Enterprise, add_years, month_end
from sources.synthetic.network import PERMIT_YEARS
from sources.synthetic.scenarios import ABS01_ARREARS_MONTHS, arrears_months, window_month
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("labour")
EMPLOYMENT = AGENCY.datasets["employment"]
WORK_PERMITS = AGENCY.datasets["work_permits"]
STOPPAGES = AGENCY.datasets["stoppages"]

# Law 58/2014/QH13 (social insurance), Law 25/2008 (health) and Law 38/2013
# (unemployment): employer 21.5 % + employee 10.5 % of the wage = 32 %.
SI_RATE = 0.32
TAX_CODE_SHARE = 0.5  # employers whose SI record carries the tax code
FOREIGN_SHARE = 0.015  # foreign staff of an FDI employer
MIN_STAFF_FOR_FOREIGNERS = 20
STOPPAGE_MONTHLY_ODDS = 0.004  # labour-intensive employers of over 200 workers
LABOUR_INTENSIVE = ("14100", "15200", "26100")
ABS01_PAID_SHARE = 0.15  # what the absconding employer still pays while arrears build up
LOOKALIKE_PAID_SHARE = 0.4
NAMES = {
    "KR": ["KIM MIN JUN", "LEE SEO YEON", "PARK JI HOON", "CHOI YOUNG HO", "JUNG HAE IN"],
    "JP": ["SATO HIROSHI", "TANAKA YUKI", "SUZUKI KENJI", "WATANABE AI"],
    "CN": ["WANG WEI", "LI NA", "ZHANG JIAN", "LIU YANG", "CHEN HAO"],
    "TW": ["LIN CHIH HAO", "HUANG MEI LING"],
}


def _employer_identity(economy: Economy, ent: Enterprise) -> tuple[bool, str]:
    def draw() -> tuple[bool, str]:
        rng = economy.sub_rng("labour-id", ent.index)
        return rng.random() < TAX_CODE_SHARE, ("abbrev" if rng.random() < 0.6 else "upper_ascii")

    return economy.kept(("labour-id", ent.index), draw)


def _position(economy: Economy, ent: Enterprise, year: int, month: int) -> tuple[int, int, int, int, int]:
    """(total, foreign, trained, wage, contribution due) of an employer in a month."""
    return economy.kept(("employment", ent.index, year, month), lambda: _draw_position(economy, ent, year, month))


def _draw_position(economy: Economy, ent: Enterprise, year: int, month: int) -> tuple[int, int, int, int, int]:
    book = economy.books[(ent.tax_code, year)]
    rng = economy.sub_rng("employment", ent.index, year, month)
    total = max(1, round(book.employees * rng.uniform(0.97, 1.03)))
    foreign = max(1, round(total * FOREIGN_SHARE)) if ent.is_fdi and total >= MIN_STAFF_FOR_FOREIGNERS else 0
    trained = round(total * economy.kept(("trained", ent.index),
                                         lambda: economy.sub_rng("trained", ent.index).uniform(0.3, 0.65)))
    wage = int(round(book.wage * rng.uniform(0.98, 1.02), -3))
    return total, foreign, trained, wage, round(SI_RATE * total * wage)


def _paid_share(ent: Enterprise, index: int) -> float:
    """Share of the month's contributions paid, in the window's month `index`."""
    if ent.role == "ABS01" and ent.role_month - arrears_months(ent) <= index <= ent.role_month:
        return ABS01_PAID_SHARE
    if ent.role == "ABS01~" and ent.role_month <= index < ent.role_month + 2:
        return LOOKALIKE_PAID_SHARE
    return 1.0


def _employment_rows(economy: Economy, year: int, month: int) -> Iterator[dict]:
    first = economy.years[0]
    index = (year - first) * 12 + month
    period = f"{year}-{month:02d}"
    on = month_end(year, month)
    for ent in economy.enterprises:
        if not ent.active_in_month(year, month) or (ent.tax_code, year) not in economy.books:
            continue
        total, foreign, trained, wage, due = _position(economy, ent, year, month)
        paid = round(due * _paid_share(ent, index))
        # Arrears are cumulative: the unpaid part of earlier months of the episode,
        # until the look-alike settles them in full.
        arrears = due - paid
        for back in range(1, ABS01_ARREARS_MONTHS + 1):
            y, m = window_month(economy, index - back) if index - back >= 1 else (None, None)
            if y is None or (ent.tax_code, y) not in economy.books:
                break
            share = _paid_share(ent, index - back)
            if share == 1.0:
                break
            arrears += round(_position(economy, ent, y, m)[4] * (1 - share))
        if ent.role == "ABS01~" and index == ent.role_month + 2:
            paid += sum(round(_position(economy, ent, *window_month(economy, index - k))[4] * (1 - LOOKALIKE_PAID_SHARE))
                        for k in (1, 2))
            arrears = 0
        with_code, style = _employer_identity(economy, ent)
        yield {
            "_owner": ent.tax_code,
            "si_unit_code": ent.si_unit_code,
            "tax_code": ent.tax_code if with_code else None,
            "employer_name": ent.name_variant(on, style),
            "employer_address": ent.address(on),
            "period": period,
            "employees_total": total,
            "employees_foreign": foreign,
            "employees_trained": trained,
            "avg_monthly_wage_vnd": wage,
            "si_contribution_due_vnd": due,
            "si_contribution_paid_vnd": paid,
            "si_arrears_vnd": arrears,
        }


def _permit_rows(economy: Economy, year: int, month: int) -> Iterator[dict]:
    first_day, last_day = dt.date(year, month, 1), month_end(year, month)
    for ent in economy.enterprises:
        if ent.planted_permits and ent.active_in_month(year, month):
            yield from _planted_permit_rows(economy, ent, first_day, last_day)
            continue
        if not ent.is_fdi or not ent.active_in_month(year, month):
            continue
        slots = max(1, round(ent.employees_base * FOREIGN_SHARE)) if ent.employees_base >= MIN_STAFF_FOR_FOREIGNERS else 0
        with_code, style = _employer_identity(economy, ent)
        for slot in range(slots):
            start, nationality, worker, passport, category = economy.kept(
                ("permit", ent.index, slot), lambda e=ent, k=slot: _permit_holder(economy, e, k))
            cycle = 0
            while True:
                issued = add_years(start, PERMIT_YEARS * cycle)
                if issued > last_day:
                    break
                expires = add_years(issued, PERMIT_YEARS) - dt.timedelta(days=1)
                status = None
                if first_day <= issued <= last_day:
                    status = "issued" if cycle == 0 else "renewed"
                elif ent.absconded_on and first_day <= ent.absconded_on <= last_day and issued <= ent.absconded_on < expires:
                    status = "revoked"  # the employer is gone: its permits lapse
                if status:
                    yield {
                        "_owner": ent.tax_code,
                        "permit_no": f"GP{ent.index:06d}{slot:02d}{cycle:02d}",
                        "tax_code": ent.tax_code if with_code else None,
                        "employer_name": ent.name_variant(last_day, style),
                        "worker_passport": passport,
                        "worker_name": worker,
                        "nationality": nationality,
                        "job_category": category,
                        "issued_on": issued,
                        "expires_on": expires,
                        "status": status,
                    }
                cycle += 1


def _permit_holder(economy: Economy, ent: Enterprise, slot: int) -> tuple[dt.date, str, str, str, str]:
    """(first issue, nationality, name, passport, job category) of a permit slot's foreign worker."""
    rng = economy.sub_rng("permit", ent.index, slot)
    start = ent.active_from + dt.timedelta(days=rng.randint(0, 365))
    nationality = ent.origin if ent.origin in NAMES and rng.random() < 0.8 else rng.choice(list(NAMES))
    worker = rng.choice(NAMES[nationality])
    passport = f"{nationality[0]}{rng.randint(10**7, 10**8 - 1)}"
    category = rng.choice(("manager", "executive", "expert", "technical", "technical"))
    return start, nationality, worker, passport, category


def _planted_permit_rows(economy: Economy, ent: Enterprise, first_day: dt.date, last_day: dt.date) -> Iterator[dict]:
    """A domestic firm's foreign managers (sources.synthetic.network): issued on `start`, renewed every term."""
    for slot, permit in enumerate(ent.planted_permits, start=90):
        rng = economy.sub_rng("planted-permit", ent.index, slot)
        worker = rng.choice(NAMES[permit.nationality])
        passport = f"{permit.nationality[0]}{rng.randint(10**7, 10**8 - 1)}"
        cycle = 0
        while (issued := add_years(permit.start, PERMIT_YEARS * cycle)) <= last_day:
            if first_day <= issued:
                yield {
                    "_owner": ent.tax_code,
                    "permit_no": f"GP{ent.index:06d}{slot:02d}{cycle:02d}",
                    "tax_code": ent.tax_code,
                    "employer_name": ent.name_variant(last_day, "abbrev"),
                    "worker_passport": passport,
                    "worker_name": worker,
                    "nationality": permit.nationality,
                    "job_category": permit.category,
                    "issued_on": issued,
                    "expires_on": add_years(issued, PERMIT_YEARS) - dt.timedelta(days=1),
                    "status": "issued" if cycle == 0 else "renewed",
                }
            cycle += 1


def _stoppage_rows(economy: Economy, year: int, month: int) -> Iterator[dict]:
    index = (year - economy.years[0]) * 12 + month
    last_day = month_end(year, month)
    for ent in economy.enterprises:
        if not ent.active_in_month(year, month):
            continue
        rng = economy.sub_rng("stoppage", ent.index, year, month)
        cause = None
        if ent.role == "ABS01" and index == ent.role_month:
            cause, started = "owner_absconded", ent.absconded_on + dt.timedelta(days=rng.randint(1, 5))
        elif ent.role == "ABS01~" and index == ent.role_month:
            cause, started = "wages", dt.date(year, month, rng.randint(1, 20))
        elif (ent.vsic in LABOUR_INTENSIVE and ent.employees_base > 200 and ent.role is None
              and rng.random() < STOPPAGE_MONTHLY_ODDS):
            cause = rng.choice(("wages", "wages", "conditions", "layoffs", "other"))
            started = dt.date(year, month, rng.randint(1, 20))
        if cause is None:
            continue
        with_code, style = _employer_identity(economy, ent)
        ended = started + dt.timedelta(days=rng.randint(0, 6))
        yield {
            "_owner": ent.tax_code,
            "event_id": f"NV{year}{month:02d}{ent.index:06d}",
            "tax_code": ent.tax_code if with_code else None,
            "employer_name": ent.name_variant(last_day, style),
            "started_on": started,
            # An owner who has left does not come back: that stoppage has no end.
            "ended_on": None if cause == "owner_absconded" else min(ended, last_day),
            "workers_involved": max(1, round(ent.employees_base * rng.uniform(0.3, 0.9))),
            "cause": cause,
        }


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    owner = lambda r: r["_owner"]  # noqa: E731
    for period in periods:
        year, month = map(int, period.split("-"))
        extracted = extraction_time(month_end(year, month) + dt.timedelta(days=7))
        planter.deliver(EMPLOYMENT, period, extracted, lambda y=year, m=month: _employment_rows(economy, y, m),
                        owner_of=owner)
        planter.deliver(WORK_PERMITS, period, extracted, lambda y=year, m=month: _permit_rows(economy, y, m),
                        owner_of=owner)
        planter.deliver(STOPPAGES, period, extracted, lambda y=year, m=month: _stoppage_rows(economy, y, m),
                        owner_of=owner, resend_broken=True)
