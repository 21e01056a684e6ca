"""Planted risk scenarios and their clean look-alikes, on known enterprises and periods.

Each rule of the risk layer gets a few enterprises on which it must fire
(`planted`) and a few that resemble them but are honest (`lookalike`, role
name ending in `~`). Planted cases sit clearly past the rule's threshold and
look-alikes clearly on the honest side, so the rules can be tuned later
without the ground truth changing. Roles are assigned on the population
before loans, leases and books are built, so every agency's data tells the
same story; `record` lists them for `_truth/scenarios.csv`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sources.synthetic.economy import Economy, Enterprise, Lease, add_years

# TP01/TP02: related-party unit prices against the HS code's median. Line
# prices are log-normal with sigma <= 0.3, so x2.6 lies beyond the 99th
# percentile of unrelated lines (p75 is about x1.2) and x0.45 below the 1st
# (p35 is about x0.9).
TP01_PRICE_FACTOR = 2.6
TP02_PRICE_FACTOR = 0.45
HONEST_RELATED_PRICE_SIGMA = 0.04  # honest groups (look-alikes included) trade internally near the median price
# TP05: interest as a share of EBITDA (Decree 132/2020/ND-CP Art. 16.3 caps deduction at 30 %).
TP05_INTEREST_SHARE = 0.9
TP05_LOOKALIKE_INTEREST_SHARE = 0.05
TP05_RATE_PCT = 5.0
# CAP01: share of the foreign investors' capital actually contributed.
CAP01_CONTRIBUTED = 0.4
CAP01_DEADLINE_DAYS = 180
# LAND01: share of the leased area in use on an idle plot (rule: below 30 % for 2 years).
LAND01_USE_RATIO = 0.15
IDLE_YEARS = 2
# ABS01: months of rising social-insurance arrears before the owner leaves.
ABS01_ARREARS_MONTHS = 5
ABS01_MIN_EMPLOYEES = 50
REG02_SILENT_MONTHS = 12
TP03_GROWTH = 0.15
TP03_MIN_YEARS = 3
# TP04: related-party dealings (goods, royalties, fees) as a share of revenue of
# a planted low-margin firm: twice the rule's 10 % materiality, so the case sits
# clearly past it (a logistics firm with a parent abroad may deal with it little).
TP04_MIN_RELATED_SHARE = 0.20


@dataclass(frozen=True)
class Scenario:
    rule: str
    tax_code: str
    period: str  # YYYY for annual rules, YYYY-MM for monthly ones
    kind: str  # planted | lookalike
    note: str


def window_month(economy: Economy, index: int) -> tuple[int, int]:
    """(year, month) of the window's `index`-th month, 1-based."""
    first = economy.years[0]
    return first + (index - 1) // 12, (index - 1) % 12 + 1


def _window_months(economy: Economy) -> int:
    return 12 * (economy.years[1] - economy.years[0] + 1)


def related_share_of_revenue(e: Enterprise) -> float:
    """Related-party purchases, sales, royalties and fees over revenue in a normal year,
    as the tax return's related-party appendix will disclose them (sources/synthetic/tax.py)."""
    trade = e.related_share * (e.cogs_ratio * e.import_share + e.export_share)
    return trade + e.royalty_pct + e.service_fee_pct


def assign_roles(economy: Economy) -> None:
    rng = economy.sub_rng("scenarios")
    first, last = economy.years
    years = list(range(first, last + 1))
    count = max(1, economy.n // 250)
    paired = {code for a, b, _ in economy.lookalikes for code in (a, b)}
    horizon = dt.date(last, 12, 31)
    established = dt.date(first - 3, 1, 1)

    def eligible(e: Enterprise) -> bool:
        return (e.tax_code not in paired and e.active_from <= established and e.renamed_on is None
                and all(p.terminated_on is None and p.expires_on > horizon and not p.keeps_active_after_expiry
                        for p in e.projects))

    pool = [e for e in economy.enterprises if eligible(e)]

    def take(role: str, predicate) -> list[Enterprise]:
        candidates = [e for e in pool if e.role is None and predicate(e)]
        chosen = rng.sample(candidates, min(count, len(candidates)))
        for e in chosen:
            e.role = role
        return chosen

    def with_parent(e: Enterprise) -> bool:
        return e.is_fdi and e.parent_group is not None

    def single_project(e: Enterprise) -> bool:
        return e.is_fdi and len(e.projects) == 1

    take("TP01", lambda e: with_parent(e) and e.import_share > 0.2)
    take("TP01~", lambda e: with_parent(e) and e.import_share > 0.2)
    take("TP02", lambda e: with_parent(e) and e.export_share > 0.3)
    take("TP02~", lambda e: with_parent(e) and e.export_share > 0.3)
    if len(years) >= TP03_MIN_YEARS:
        for e in take("TP03", with_parent):
            e.growth = TP03_GROWTH
    for e in take("TP03~", lambda e: not e.is_fdi and not e.projects):
        e.founded = dt.date(first, 2, 1)  # a start-up: two honest loss years
    def material_related(e: Enterprise) -> bool:
        return with_parent(e) and related_share_of_revenue(e) >= TP04_MIN_RELATED_SHARE

    # TP04 compares the year before too: its case and its look-alike (the same
    # margins and related-party share, revenue falling) sit after the first year.
    later_years = years[1:] or years
    for role in ("TP04", "TP04~"):
        for e in take(role, material_related):
            e.role_year = rng.choice(later_years)
            if role == "TP04":
                e.growth = max(e.growth, 0.0)  # revenue holds or grows while the margin stays below the range
    for role, predicate in (("TP06", with_parent), ("TP06~", with_parent),
                            ("TP07", with_parent), ("TP07~", with_parent)):
        for e in take(role, predicate):
            e.role_year = rng.choice(years)
    for e in take("TP05", with_parent):
        e.growth = min(e.growth, 0.03)  # a stable EBITDA keeps the share steady across years
        e.role_year = first
    for e in take("TP05~", with_parent):
        e.growth = min(e.growth, 0.03)
        e.role_year = rng.choice(later_years)  # its honest loss year (EBITDA negative), see sources.synthetic.losses
    for e in take("CAP01", single_project) + take("CAP01~", lambda e: single_project(e) and e.foreign_pct == 100.0):
        project = e.projects[0]
        project.issued_on = dt.date(first, rng.randint(1, 4), 10)
        project.incorporated_on = project.issued_on + dt.timedelta(days=30)
        project.capital_deadline = project.issued_on + dt.timedelta(days=CAP01_DEADLINE_DAYS)
        project.adjustments.clear()
        e.founded = min(e.founded, project.issued_on)
    for role, keeps in (("REG01", True), ("REG01~", False)):
        for e in take(role, lambda e: single_project(e) and e.projects[0].issued_on.year <= first - 3):
            project = e.projects[0]
            project.term_years = rng.randint(first, last) - project.issued_on.year
            project.keeps_active_after_expiry = keeps
    # A dormant firm, or one whose owner absconds, registers nothing new in the
    # window: a new project would also owe capital that is never paid, a CAP01
    # case the truth would not record.
    before_window = dt.date(first, 1, 1)

    def nothing_new(e: Enterprise) -> bool:
        return e.is_fdi and all(p.issued_on < before_window for p in e.projects)

    for e in take("REG02", nothing_new):
        e.dormant_from = before_window
    for e in take("REG02~", lambda e: e.is_fdi):
        e.import_share = e.export_share = 0.0  # sells at home: no customs, but files and employs
    months = _window_months(economy)
    for e in take("ABS01", lambda e: nothing_new(e) and e.employees_base >= ABS01_MIN_EMPLOYEES):
        year, month = window_month(economy, rng.randint(max(ABS01_ARREARS_MONTHS + 1, months - 10), months - 4))
        e.absconded_on = dt.date(year, month, 15)
        e.role_month = (year - first) * 12 + month
    for e in take("ABS01~", lambda e: e.employees_base >= ABS01_MIN_EMPLOYEES):
        e.role_month = rng.randint(3, max(3, months - 4))
    if len(years) >= IDLE_YEARS:
        take("LAND01", lambda e: e.zone_code is not None)
    take("LAND01~", lambda e: e.zone_code is not None)


def shape_assets(economy: Economy) -> None:
    """Loans and leases that scenarios need, once the honest ones exist."""
    first = economy.years[0]
    for e in economy.enterprises:
        gone = e.dormant_from or e.absconded_on
        if gone:  # nobody lends to an enterprise that has stopped or whose owner has left
            e.loans = [loan for loan in e.loans if loan.disbursed_on < gone]
        if e.role in ("TP05", "TP05~"):
            share = TP05_INTEREST_SHARE if e.role == "TP05" else TP05_LOOKALIKE_INTEREST_SHARE
            ebitda = (e.margin + e.depreciation_ratio) * e.revenue_base * economy.revenue_factor(e, first)
            amount_vnd = share * ebitda / (TP05_RATE_PCT / 100)
            economy.add_loan(e, "foreign_related_party", None, amount_vnd, TP05_RATE_PCT,
                             dt.date(first - 1, 12, 10), 8, economy.sub_rng("tp05", e.index), 9)
        elif e.role == "LAND01" and e.leases:
            e.leases[0].idle = True
            e.leases[0].use_ratio = LAND01_USE_RATIO
        elif e.role == "LAND01~" and e.leases:
            # A second plot taken in the window: under construction, then built on.
            base = e.leases[0]
            start = dt.date(first, 3, 1)
            e.leases.append(Lease(
                lease_id=f"{base.lease_id}-2", parcel_no=str(int(base.parcel_no) + 1), map_sheet=base.map_sheet,
                zone_code=base.zone_code, admin_area=base.admin_area, area_m2=base.area_m2,
                purpose_code=base.purpose_code, lease_start=start, lease_end=add_years(start, 50),
                payment_mode="annual", rent_vnd_per_m2=base.rent_vnd_per_m2, ramp_years=1.5, use_ratio=0.85))


def _month_after(day: dt.date) -> str:
    nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{nxt.year}-{nxt.month:02d}"


def record(economy: Economy) -> list[Scenario]:
    first, last = economy.years
    window_start, window_end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    out: list[Scenario] = []
    books = economy.books

    def add(rule: str, e: Enterprise, period: str, planted: bool, note: str) -> None:
        out.append(Scenario(rule, e.tax_code, period, "planted" if planted else "lookalike", note))

    for e in economy.enterprises:
        role = e.role
        rule = role.rstrip("~") if role else None
        planted = role is not None and not role.endswith("~")
        window_books = [books[(e.tax_code, y)] for y in range(first, last + 1) if (e.tax_code, y) in books]
        if rule in ("TP01", "TP02"):
            flow = "imports from" if rule == "TP01" else "exports to"
            how = (f"priced x{TP01_PRICE_FACTOR if rule == 'TP01' else TP02_PRICE_FACTOR} of the HS median"
                   if planted else "at the HS median price")
            for b in window_books:
                add(rule, e, str(b.year), planted, f"related {flow} {e.parent_group} {how}")
        elif rule == "TP03":
            for i in range(2, len(window_books)):
                streak = window_books[i - 2:i + 1]
                if all(b.pbt < 0 for b in streak) and (planted or streak[-1].revenue > streak[0].revenue):
                    add(rule, e, str(streak[-1].year), planted, "third consecutive loss year, revenue growing")
            if not planted:
                for b in window_books:
                    if b.pbt < 0:
                        add(rule, e, str(b.year), planted, "start-up loss, no related parties, at most two years")
        elif rule in ("TP04", "TP06", "TP07") and e.role_year:
            b = books[(e.tax_code, e.role_year)]
            notes = {
                "TP04": (f"EBIT margin {b.ebit / b.revenue:.1%} for a second year, revenue holding, with related-party"
                         " trade",
                         f"EBIT margin {b.ebit / b.revenue:.1%} for a second year with related-party trade, revenue"
                         " falling (a downturn)"),
                "TP06": (f"royalties {b.royalty / b.revenue:.1%} of revenue to {e.parent_group} in a loss year",
                         f"ordinary royalties {b.royalty / b.revenue:.1%} of revenue in an honest loss year"),
                "TP07": ("profit repatriated in a loss year", "profit repatriated after profitable years"),
            }[rule]
            add(rule, e, str(e.role_year), planted, notes[0] if planted else notes[1])
        elif rule == "TP05":
            for b in window_books:
                share = b.interest_share_of_ebitda
                if (planted and share > 0.45) or (not planted and share < 0.2):
                    add(rule, e, str(b.year), planted,
                        f"interest {share:.0%} of EBITDA with a loan from {e.parent_group}")
                elif not planted and b.year == e.role_year and b.ebitda <= 0:
                    add(rule, e, str(b.year), planted,
                        f"EBITDA negative in an honest loss year, ordinary loan from {e.parent_group}")
        elif rule == "CAP01":
            p = e.projects[0]
            add(rule, e, _month_after(p.capital_deadline), planted,
                f"contributed {CAP01_CONTRIBUTED:.0%} of the foreign capital by the deadline" if planted
                else "all foreign capital contributed before the deadline")
        elif rule == "REG02":
            add(rule, e, f"{first}-{REG02_SILENT_MONTHS:02d}", planted,
                "active project, no tax, customs, labour or fx activity" if planted
                else "no customs activity, but files taxes and employs")
        elif rule == "ABS01":
            year, month = window_month(economy, e.role_month)
            add(rule, e, f"{year}-{month:02d}", planted,
                "arrears rising, stoppage owner_absconded, capital moved out, filings stop" if planted
                else "two months of arrears repaid; a wage stoppage, no outflow")
        elif rule == "LAND01":
            if planted:
                year, month = window_month(economy, 12 * IDLE_YEARS)
                add(rule, e, f"{year}-{month:02d}", planted, f"{LAND01_USE_RATIO:.0%} of the leased area in use")
            elif len(e.leases) > 1:
                add(rule, e, f"{first}-03", planted, "new plot under construction for less than two years")
        for p in e.projects:
            expired = p.expires_on < window_end
            if expired and (p.keeps_active_after_expiry or rule == "REG01"):
                period = _month_after(max(p.expires_on, window_start - dt.timedelta(days=1)))
                add("REG01", e, period, p.keeps_active_after_expiry,
                    f"project {p.project_code} expired {p.expires_on} but "
                    + ("is still registered active" if p.keeps_active_after_expiry else "is registered expired"))
    return out
