"""Planted risk scenarios and their clean look-alikes, on known enterprises and periods.

Each rule of the risk layer gets a few enterprises on which it must fire
(`planted`) and a few that resemble them but are honest (`lookalike`, role
name ending in `~`). Planted cases sit clearly past the rule's threshold and
look-alikes clearly on the honest side, so the rules can be tuned later
without the ground truth changing. Roles are assigned on the population
before loans, leases and books are built, so every agency's data tells the
same story; `record` lists them for `_truth/scenarios.csv`.

With `fdi generate --edge-cases` (`assign_edge_roles`), each rule of
`EDGE_RULES` gets as many more cases again, in the `edge` band: planted just
past its threshold and look-alikes just inside it, on enterprises no other
role took (`Enterprise.edge`). Their margins are named constants below, each
citing the threshold of `dbt_project/seeds/thresholds.csv` it sits beside
(the generator does not read the seed: a threshold moved there leaves the
truth where it was, and the edge table says what that did).
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import NamedTuple

from sources.synthetic.economy import Economy, Enterprise, Lease, Project, add_years, month_end, parcel_of
from sources.synthetic.truth import Span

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
# TP04 (and TP03): related-party dealings (goods, royalties, fees) as a share of
# revenue of a planted low-margin or loss-making firm: twice the rules' 10 %
# materiality, so the case sits clearly past it (a logistics firm with a parent
# abroad may deal with it little).
TP04_MIN_RELATED_SHARE = 0.20
# TP03 and TP04 count a firm's start-up years from the latest start the data allow: its first certificate's year
# (the next for a certificate of its last max_incorporation_days) plus up to max_construction_years of building,
# then startup_years more (thresholds.csv TP04, 90, 2 and 2). Their planted cases and look-alikes are firms
# certified before all of that, so every window year is past it.
TP04_STARTUP_YEARS = 2
TP04_MAX_CONSTRUCTION_YEARS = 2
TP04_MAX_INCORPORATION_DAYS = 90
TP06_FEE_SHARE = 0.08  # royalties of a planted TP06 year, well past the rule's 5 % of revenue
TP06_LOOKALIKE_FEE_SHARE = 0.015

# Near the thresholds (`--edge-cases`): planted just past each threshold of
# dbt_project/seeds/thresholds.csv, look-alikes just inside, about as far on
# either side. "Near but unambiguous": each is past or inside its threshold by
# the rule's own definition on the data the generator writes, except where
# the rule measures against something the generator only draws (noted).
# REL01's cases are planted by sources/synthetic/network.py (`assign_edge_roles`, `plant_edge`, `REL01_EDGE_*`).
EDGE_RULES = ("TP01", "TP02", "TP04", "TP05", "TP06", "TP07", "CAP01", "REL01", "REG02", "ABS01", "LAND01")
# Not covered: TP03 and REG01 have no margin to sit near (3 loss years, the clear case flagged at its third and
# its look-alike a start-up with two; a grace of 0 months, flagged the month after expiry). NOM01
# (sources/synthetic/network.py: two kinds of sign of four) is not yet, nor TP04's margin lines (below). TP01/TP02
# on a rare good, where the comparables' median is noisy, is (below, `RARE_*`), labelled on what the lines show.
# Rules whose clear look-alike already sits just inside the threshold get no edge look-alike of their own:
# ABS01's arrears rise 2 months of the 3 (min_rising_months) before they are repaid, with a stoppage.
EDGE_PLANTED_ONLY = ("ABS01",)
# TP01/TP02 min_shift_share 0.40: the shifted value is (price / median - 1) of the related purchases at the
# median (TP02: 1 - price / median of the sales), so x1.48 shifts 48 % and x1.32 32 % (TP02: x0.52 and x0.68).
# NOISY: the median is that of the year's unrelated lines of the HS code, log-normal with sigma 0.25-0.3, so
# with n comparables it is off by about 1.25 sigma / sqrt(n): under 1 % with the thousand or more a year of a
# main input at 1,000 enterprises, 5-7 % with the 20-30 of a rare good or a small economy, where the shift the
# rule measures can land on the other side of 40 %. Both prices stay past the 75th (35th) percentile, about
# x1.2 (x0.9), so the look-alike is "outside the range" and only the materiality share keeps it unflagged.
# The main input's cases above are exact; the noisy case is planted too, on a rare good (catalogue.RARE_GOODS):
# one TP01 case and look-alike importing it from the parent at the factors above (TP02: exporting it), one line a
# month, beside RARE_TRADERS unrelated firms that declare one line of it in RARE_MONTHS months of each year each:
# 24 comparables a year, past min_comparables 5 (the rule judges) and few enough for a median 6 % off (sigma
# 0.25). Each case's year is labelled on the shift measured against the median of the lines the generator writes
# (`_rare_edge_cases`, as TP05's on the books), the planted factor kept in its note: a planted x1.48 whose drawn
# median put it under 40 % is a look-alike year, and a look-alike's x1.32 over it a planted one.
RARE_TRADERS = 3
RARE_MONTHS = 8
RARE_CASE_MONTHS = tuple(range(1, 13))  # the cases' related lines: one a month, past min_related_lines 3
TP_MIN_SHIFT_SHARE = 0.40  # thresholds.csv TP01/TP02 min_shift_share
TP_MIN_COMPARABLES = 5  # thresholds.csv TP01/TP02 min_comparables
TP_MIN_RELATED_LINES = 3  # thresholds.csv TP01/TP02 min_related_lines
TP_RANGE = (0.35, 0.75)  # thresholds.csv TP01/TP02 percentile_low, percentile_high (Decree 132/2020 Art. 7.3)
TP01_EDGE_PRICE_FACTOR = 1.48
TP01_EDGE_LOOKALIKE_PRICE_FACTOR = 1.32
TP02_EDGE_PRICE_FACTOR = 0.52
TP02_EDGE_LOOKALIKE_PRICE_FACTOR = 0.68
# TP05 interest_cap_share 0.30: interest at 38 % / 24 % of the first year's EBITDA. The rule divides by the
# earning capacity, the larger of the firm's best EBITDA of the year and two before and its division's median
# EBITDA margin on its revenue; `record` labels each year on the first (the firm's own books), and a division
# whose median margin is above the firm's own can lift the capacity and hide a planted year (NOISY there).
TP05_INTEREST_CAP = 0.30  # thresholds.csv TP05 interest_cap_share (Decree 132/2020/ND-CP Art. 16.3)
TP05_MAX_REVENUE_FALL = 0.05  # thresholds.csv TP05 max_revenue_fall: a year down more is a downturn, not judged
TP05_EDGE_INTEREST_SHARE = 0.38
TP05_EDGE_LOOKALIKE_INTEREST_SHARE = 0.24
# TP06 max_fee_share 0.05: royalties and service fees together 6 % / 4 % of revenue in a loss year.
TP06_EDGE_FEE_SHARE = 0.06
TP06_EDGE_LOOKALIKE_FEE_SHARE = 0.04
# TP07 min_repatriation_vnd 0 in a loss year (profit before tax < 0): the line is the loss, not the amount.
# EBIT -1 % of revenue is a loss before tax whatever the interest (other income is at most 0.4 %); the
# look-alike remits after a year of EBIT +1 %, recorded only if its profit before tax is positive.
TP07_EDGE_MARGIN = -0.01
TP07_EDGE_LOOKALIKE_MARGIN = 0.01
# The month a planted TP07 case remits its profit (fx.py): the month after the honest repatriations, which follow
# the CIT finalisation of the year before (fx.REPATRIATION_MONTH, June).
TP07_REMITTANCE_MONTH = 7
# CAP01 min_contributed_share 0.99: 96 % paid by the deadline (3 points short), 99.5 % (half a point inside).
CAP01_EDGE_CONTRIBUTED = 0.96
CAP01_EDGE_LOOKALIKE_CONTRIBUTED = 0.995
# REG02 min_silent_months 12: silent 13 months from the window's start, then active again; the look-alike 11.
REG02_EDGE_SILENT_MONTHS = 13
REG02_EDGE_LOOKALIKE_SILENT_MONTHS = 11
# ABS01 min_rising_months 3: arrears build up in the owner's last 3 months (2 before the month of leaving),
# each higher than the month before: exactly 3 rises (the clear case: 6).
ABS01_EDGE_ARREARS_MONTHS = 2
# LAND01 max_in_use_share 0.30 for min_idle_months 24: 25 % of the plot in use / 35 %, for the whole window.
LAND01_EDGE_USE_RATIO = 0.25
LAND01_EDGE_LOOKALIKE_USE_RATIO = 0.35
# TP04 asks four things at once; its edge cases sit near the two lines the generator writes exactly and that tell
# shifting from misfortune: min_related_share 0.10 (the materiality that makes a loss one the group could have
# priced: related-party disclosures of 12 % of revenue, a look-alike 8 %) and max_revenue_fall 0.05 (issue 15's
# line between a firm priced into a loss and one whose sales fall: revenue 3 % below the year before, a second
# look-alike 7 %, with 12 % related). Each planted case is near both lines at once, each look-alike inside one
# only, so TP04 has two look-alikes per case. The margins stay the clear case's (losses.TP04_MARGINS, -7 % and
# -8 %, well below the peers' 35th percentile near -4 %): that percentile is a quantile of the division's peers as
# the warehouse reads them (their start-up years from the register), which the generator draws but does not
# measure, so a margin "just below" it would be a case whose side only the warehouse knows.
TP04_RELATED_SHARE_LINE = 0.10  # thresholds.csv TP04 min_related_share
TP04_EDGE_RELATED_SHARE = 0.12
TP04_EDGE_LOOKALIKE_RELATED_SHARE = 0.08
TP04_EDGE_REVENUE_OF_PRIOR = 0.97  # thresholds.csv TP04 max_revenue_fall 0.05: down 3 %, revenue "holds"
TP04_EDGE_LOOKALIKE_REVENUE_OF_PRIOR = 0.93  # down 7 %: a (mild) downturn
TP04_EDGE_MAX_RELATED_TRADE = 0.6  # of imports and exports, the top of an ordinary parent's share (economy._profile)


CLEAR, EDGE = "clear", "edge"


@dataclass(frozen=True)
class Scenario:
    rule: str
    tax_code: str
    period: str  # YYYY for annual rules, YYYY-MM for monthly ones
    kind: str  # planted | lookalike
    note: str
    band: str = CLEAR  # clear: far from the threshold; edge: near it (`--edge-cases`)
    span: Span | None = None  # a planted case of a month-counting rule: the months it rests on (`_span`)


class RareTrade(NamedTuple):
    """The lines of a rare good (catalogue.RARE_GOODS[flow]) an enterprise declares (`Enterprise.rare_trade`): one
    in each month of `months`, with its parent (a TP01/TP02 case near the threshold) or with unrelated partners (a
    comparable)."""
    flow: str  # IM | EX
    with_parent: bool
    months: tuple[int, ...]


class RareLine(NamedTuple):
    """A line of a rare good as drawn (sources.synthetic.customs.rare_lines): what TP01/TP02 read of it."""
    year: int
    flow: str
    tax_code: str  # the declaring enterprise's
    with_parent: bool
    quantity: float
    customs_value_vnd: int


def _pick(e: Enterprise, clear: float, edge_planted: float, edge_lookalike: float) -> float:
    """The magnitude of a scenario for the enterprise's band and kind."""
    if not e.edge:
        return clear
    return edge_lookalike if e.role.endswith("~") else edge_planted


def price_factor(e: Enterprise) -> float:
    """Related-party price over the HS median of a TP01/TP02 case or look-alike (1.0: at the median)."""
    if e.role in ("TP01", "TP01~"):
        return _pick(e, TP01_PRICE_FACTOR if e.role == "TP01" else 1.0, TP01_EDGE_PRICE_FACTOR,
                     TP01_EDGE_LOOKALIKE_PRICE_FACTOR)
    if e.role in ("TP02", "TP02~"):
        return _pick(e, TP02_PRICE_FACTOR if e.role == "TP02" else 1.0, TP02_EDGE_PRICE_FACTOR,
                     TP02_EDGE_LOOKALIKE_PRICE_FACTOR)
    return 1.0


def royalty_share(e: Enterprise) -> float:
    """Royalties over revenue in a TP06 case's or look-alike's year: at the edge, what takes royalties and
    service fees together to the edge's share."""
    if not e.edge:
        return TP06_FEE_SHARE if e.role == "TP06" else TP06_LOOKALIKE_FEE_SHARE
    share = TP06_EDGE_LOOKALIKE_FEE_SHARE if e.role.endswith("~") else TP06_EDGE_FEE_SHARE
    return max(0.0, share - e.service_fee_pct)  # the service fees the rule adds are the enterprise's usual ones


def contributed_share(e: Enterprise) -> float | None:
    """Share of the foreign capital a CAP01 case or edge look-alike pays, in one tranche; None: paid in full."""
    if e.role == "CAP01" or (e.role == "CAP01~" and e.edge):
        return _pick(e, CAP01_CONTRIBUTED, CAP01_EDGE_CONTRIBUTED, CAP01_EDGE_LOOKALIKE_CONTRIBUTED)
    return None


def arrears_months(e: Enterprise) -> int:
    """Months before the owner leaves in which an ABS01 case's arrears build up."""
    return ABS01_EDGE_ARREARS_MONTHS if e.edge else ABS01_ARREARS_MONTHS


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


def past_startup_before(e: Enterprise, first: int) -> bool:
    """Certified so long before the window (`first`) that TP03's and TP04's start-up years, counted from the latest
    start the data allow (`TP04_MAX_INCORPORATION_DAYS`, `TP04_MAX_CONSTRUCTION_YEARS`, `TP04_STARTUP_YEARS`), end
    before it."""
    if not e.projects:
        return False
    building_from = (min(p.issued_on for p in e.projects) + dt.timedelta(days=TP04_MAX_INCORPORATION_DAYS)).year
    return building_from + TP04_MAX_CONSTRUCTION_YEARS + TP04_STARTUP_YEARS < first


def tp04_edge_revenue_of_prior(e: Enterprise, year: int) -> float | None:
    """A TP04 edge case's revenue in its year as a share of the year before's (None: as the trend makes it): just
    inside max_revenue_fall, or just past it for the look-alike whose related-party dealings are material."""
    if not (e.edge and e.role in ("TP04", "TP04~") and year == e.role_year):
        return None
    if e.role == "TP04~" and related_share_of_revenue(e) > TP04_RELATED_SHARE_LINE:
        return TP04_EDGE_LOOKALIKE_REVENUE_OF_PRIOR
    return TP04_EDGE_REVENUE_OF_PRIOR


def takes_tp04_margins(e: Enterprise) -> bool:
    """The planted TP04 margins (losses.TP04_MARGINS): the case's, and its edge look-alikes' (the clear look-alike
    loses as much in a downturn, sources.synthetic.losses)."""
    return e.role == "TP04" or (e.role == "TP04~" and e.edge)


def _assign_tp04_edge(take, rng, later_years: list[int], first: int) -> None:
    """TP04 near its lines (`TP04_EDGE_*`): the parent's share of the trade set so that the related-party
    disclosures are the edge's share of revenue (royalties and fees as the firm's own)."""
    def trade(e: Enterprise) -> float:
        return e.cogs_ratio * e.import_share + e.export_share

    def fits(e: Enterprise) -> bool:
        fees = e.royalty_pct + e.service_fee_pct
        return (e.is_fdi and e.parent_group is not None and trade(e) > 0 and past_startup_before(e, first)
                and fees < TP04_EDGE_LOOKALIKE_RELATED_SHARE
                and TP04_EDGE_RELATED_SHARE - fees <= TP04_EDGE_MAX_RELATED_TRADE * trade(e))

    for role, share in (("TP04", TP04_EDGE_RELATED_SHARE), ("TP04~", TP04_EDGE_LOOKALIKE_RELATED_SHARE),
                        ("TP04~", TP04_EDGE_RELATED_SHARE)):
        for e in take(role, fits):
            e.related_share = (share - e.royalty_pct - e.service_fee_pct) / trade(e)
            e.role_year = rng.choice(later_years)
            e.growth = max(e.growth, 0.0)


def _months_after(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, day.day)


def _edge_roles() -> set[str]:
    return {rule + kind for rule in EDGE_RULES for kind in ("", "~") if not (kind and rule in EDGE_PLANTED_ONLY)}


def assign_roles(economy: Economy) -> None:
    """The clear cases: one enterprise per rule and look-alike per 250."""
    _assign(economy, economy.sub_rng("scenarios"), edge=False)


def assign_edge_roles(economy: Economy) -> None:
    """The cases near the thresholds (`--edge-cases`), as many again for each rule of `EDGE_RULES`, on
    enterprises the clear cases left; from a stream of their own, so the clear cases are those of the same seed
    without the option."""
    _assign(economy, economy.sub_rng("scenarios", "edge"), edge=True)


def _assign(economy: Economy, rng, edge: bool) -> None:
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

    edge_roles = _edge_roles()

    def take(role: str, predicate, k: int | None = None) -> list[Enterprise]:
        if edge and role not in edge_roles:
            return []
        candidates = [e for e in pool if e.role is None and predicate(e)]
        chosen = rng.sample(candidates, min(k or count, len(candidates)))
        for e in chosen:
            e.role = role
            e.edge = edge
        return chosen

    def with_parent(e: Enterprise) -> bool:
        return e.is_fdi and e.parent_group is not None

    def single_project(e: Enterprise) -> bool:
        return e.is_fdi and len(e.projects) == 1

    take("TP01", lambda e: with_parent(e) and e.import_share > 0.2)
    take("TP01~", lambda e: with_parent(e) and e.import_share > 0.2)
    take("TP02", lambda e: with_parent(e) and e.export_share > 0.3)
    take("TP02~", lambda e: with_parent(e) and e.export_share > 0.3)
    def material_related(e: Enterprise) -> bool:
        return (with_parent(e) and related_share_of_revenue(e) >= TP04_MIN_RELATED_SHARE
                and past_startup_before(e, first))

    # TP03's case is a firm past its start-up years (certified before its start-up years, counted from the latest
    # start the data allow, could reach the window) that
    # deals materially with its group, the data that tell it from an honest start-up losing money as long
    if len(years) >= TP03_MIN_YEARS:
        for e in take("TP03", material_related):
            e.growth = TP03_GROWTH
    for e in take("TP03~", lambda e: not e.is_fdi and not e.projects):
        e.founded = dt.date(first, 2, 1)  # a start-up: two honest loss years
    # TP04 compares the year before too: its case and its look-alike (the same
    # margins and related-party share, revenue falling) sit after the first year.
    later_years = years[1:] or years
    if edge:
        _assign_tp04_edge(take, rng, later_years, first)
    for role in ("TP04", "TP04~") if not edge else ():
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
        if edge:
            e.dormant_until = _months_after(before_window, REG02_EDGE_SILENT_MONTHS)
    if edge:  # silent as the case, one month short of the rule's 12, then active again
        for e in take("REG02~", nothing_new):
            e.dormant_from = before_window
            e.dormant_until = _months_after(before_window, REG02_EDGE_LOOKALIKE_SILENT_MONTHS)
    else:
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
    if edge:  # last, from the same stream: the edge cases above are those of before
        _assign_rare_edge(take, pool, rng)


def _assign_rare_edge(take, pool: list[Enterprise], rng) -> None:
    """TP01 and TP02 near the threshold on a rare good (`RARE_*`): a case and a look-alike per flow trading it with
    their parent, and `RARE_TRADERS` unrelated firms trading it, the comparables."""
    for flow, roles, trades in (("IM", ("TP01", "TP01~"), lambda e: e.import_share > 0.2),
                                ("EX", ("TP02", "TP02~"), lambda e: e.export_share > 0.3)):
        for role in roles:
            for e in take(role, lambda e, trades=trades: e.is_fdi and e.parent_group is not None and trades(e), 1):
                e.rare_trade = RareTrade(flow, True, RARE_CASE_MONTHS)
        traders = [e for e in pool if e.role is None and e.rare_trade is None and trades(e)]
        for e in rng.sample(traders, min(RARE_TRADERS, len(traders))):
            e.rare_trade = RareTrade(flow, False, tuple(sorted(rng.sample(range(1, 13), RARE_MONTHS))))


def shape_assets(economy: Economy) -> None:
    """Loans and leases that scenarios need, once the honest ones exist."""
    first = economy.years[0]
    for e in economy.enterprises:
        gone = e.dormant_from or e.absconded_on
        if gone:  # nobody lends to an enterprise that has stopped or whose owner has left
            e.loans = [loan for loan in e.loans if loan.disbursed_on < gone]
        if e.edge and e.role in ("TP04", "TP04~"):
            # an interest and a loan from the parent would be disclosed too, past the share the edge sets
            e.loans = [loan for loan in e.loans if loan.lender_kind != "foreign_related_party"]
        if e.dormant_until:
            # Its years back at work would pay a year's interest on a part year's earnings: a TP05 case
            # nobody planted. A firm silent for a year has no credit line left anyway.
            e.loans = []
        if e.role in ("TP05", "TP05~"):
            share = _pick(e, TP05_INTEREST_SHARE if e.role == "TP05" else TP05_LOOKALIKE_INTEREST_SHARE,
                          TP05_EDGE_INTEREST_SHARE, TP05_EDGE_LOOKALIKE_INTEREST_SHARE)
            ebitda = (e.margin + e.depreciation_ratio) * e.revenue_base * economy.revenue_factor(e, first)
            amount_vnd = share * ebitda / (TP05_RATE_PCT / 100)
            economy.add_loan(e, "foreign_related_party", None, amount_vnd, TP05_RATE_PCT,
                             dt.date(first - 1, 12, 10), 8, economy.sub_rng("tp05", e.index), 9)
        elif (e.role == "LAND01" or (e.role == "LAND01~" and e.edge)) and e.leases:
            e.leases[0].idle = True
            e.leases[0].use_ratio = _pick(e, LAND01_USE_RATIO, LAND01_EDGE_USE_RATIO, LAND01_EDGE_LOOKALIKE_USE_RATIO)
        elif e.role == "LAND01~" and e.leases:
            # A second plot taken in the window: under construction, then built on.
            base = e.leases[0]
            start = dt.date(first, 3, 1)
            sheet, parcel = parcel_of(e.index, 1)
            e.leases.append(Lease(
                lease_id=f"{base.lease_id}-2", parcel_no=parcel, map_sheet=sheet,
                zone_code=base.zone_code, admin_area=base.admin_area, area_m2=base.area_m2,
                purpose_code=base.purpose_code, lease_start=start, lease_end=add_years(start, 50),
                payment_mode="annual", rent_vnd_per_m2=base.rent_vnd_per_m2, ramp_years=1.5, use_ratio=0.85))


def _month_after(day: dt.date) -> str:
    nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{nxt.year}-{nxt.month:02d}"


# The datasets REG02 observes a month on: a month is silent only when all four are complete for it
# (flag_reg02_dormant_project.sql, `observed_months`).
REG02_DATASETS = (("tax", "payments"), ("customs", "declarations"), ("labour", "employment"), ("fx", "capital_flows"))


def _span(economy: Economy, e: Enterprise, rule: str, period: str) -> Span | None:
    """The months of the observations a planted case of a month-counting rule rests on, as `_truth` records
    them (`sources.synthetic.truth.Span`): REG02 its silent months from the window's start, to the twelfth
    (`period`) or, when it is active again in the window, to the last (the edge case's 13); ABS01 the labour
    months its arrears rise (each higher than the month before); LAND01 its land snapshots from the window's first
    month, when the idle plot is first seen, to the 24th; CAP01 the fx capital-flow months from the project's issue
    to its capital deadline, whose contributions the rule sums; TP07 the fx month of its one remittance. None for
    other rules."""
    first, last = economy.years
    if rule == "REG02":
        if e.dormant_until is None:
            return Span(f"{first}-01", period, REG02_DATASETS)
        silent_to = min(e.dormant_until.replace(day=1) - dt.timedelta(days=1), dt.date(last, 12, 31))
        return Span(f"{first}-01", f"{silent_to.year}-{silent_to.month:02d}", REG02_DATASETS)
    if rule == "ABS01":
        year, month = window_month(economy, e.role_month - arrears_months(e))
        return Span(f"{year}-{month:02d}", period, (("labour", "employment"),))
    if rule == "LAND01":
        return Span(f"{first}-01", period, (("land", "leases"),))
    if rule == "CAP01":
        p = e.projects[0]
        return Span(f"{p.issued_on:%Y-%m}", f"{p.capital_deadline:%Y-%m}", (("fx", "capital_flows"),))
    if rule == "TP07":
        month = f"{e.role_year}-{TP07_REMITTANCE_MONTH:02d}"
        return Span(month, month, (("fx", "capital_flows"),))
    return None


def _reg01_span(economy: Economy, p: Project, period: str) -> Span:
    """REG01's case: the register's months from its period, the first past the term, to the last it shows the
    project active (the window's last, or the month before its termination). Any one snapshot of them shows the
    case; a register delivered only in January and July (`--gaps`) may show none of them."""
    last = dt.date(economy.years[1], 12, 31)
    if p.terminated_on is not None:
        last = min(last, p.terminated_on.replace(day=1) - dt.timedelta(days=1))
    return Span(period, f"{last.year}-{last.month:02d}", (("registry", "projects"),))


def record(economy: Economy, rare_lines: list[RareLine] = ()) -> list[Scenario]:
    """The truth of every planted case and look-alike; `rare_lines`: the lines of the rare goods as drawn
    (sources.synthetic.customs.rare_lines), which label the cases on a rare good (`_rare_edge_cases`)."""
    first, last = economy.years
    window_start, window_end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    out: list[Scenario] = []
    books = economy.books

    def add(rule: str, e: Enterprise, period: str, planted: bool, note: str, span: Span | None = None) -> None:
        out.append(Scenario(rule, e.tax_code, period, "planted" if planted else "lookalike", note,
                            span=(span or _span(economy, e, rule, period)) if planted else None))

    for e in economy.enterprises:
        role = e.role
        rule = role.rstrip("~") if role else None
        planted = role is not None and not role.endswith("~")
        window_books = [books[(e.tax_code, y)] for y in range(first, last + 1) if (e.tax_code, y) in books]
        if e.edge and e.rare_trade:
            out += _rare_edge_cases(economy, e, window_books, rare_lines)
        elif e.edge:
            out += _edge_cases(economy, e, window_books)
        elif rule in ("TP01", "TP02"):
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
                # a project terminated by the month after its expiry is registered terminated, never active
                # after it (seed 2036 recorded one as a planted case the register could not show)
                if p.terminated_on is not None and p.terminated_on <= month_end(int(period[:4]), int(period[5:7])):
                    continue
                add("REG01", e, period, p.keeps_active_after_expiry,
                    f"project {p.project_code} expired {p.expires_on} but "
                    + ("is still registered active" if p.keeps_active_after_expiry else "is registered expired"),
                    _reg01_span(economy, p, period))
    return out


def tp05_year_labels(books: list) -> list[tuple[int, bool, str]]:
    """TP05's label of each year of an edge firm's books (year, planted, note), on the figures the rule reads: the
    interest over the best EBITDA (profit before tax + interest + depreciation) of the year and the two before,
    planted above the cap. A year whose revenue fell more than max_revenue_fall on the year before is a downturn
    the rule does not judge (its EBITDA collapsed with its sales, dbt_project/models/risk/docs/rule_tp05.md): a look-alike whatever its
    share (seed 2057 planted one at 31 % with revenue down 6.4 %, which the rule rightly left alone)."""
    labels = []
    for i, b in enumerate(books):
        capacity = max(x.pbt + x.interest + x.depreciation for x in books[max(0, i - 2):i + 1])
        share = b.interest / capacity if capacity > 0 else float("inf")
        note = f"interest {share:.0%} of the best EBITDA of the year and the two before"
        downturn = i > 0 and b.revenue < (1 - TP05_MAX_REVENUE_FALL) * books[i - 1].revenue
        if downturn:
            note += f", revenue {b.revenue / books[i - 1].revenue - 1:+.1%} on the year before (a downturn, not judged)"
        labels.append((b.year, share > TP05_INTEREST_CAP and not downturn, note))
    return labels


def _edge_cases(economy: Economy, e: Enterprise, books: list) -> list[Scenario]:
    """The truth of an enterprise near a threshold (`assign_edge_roles`), each note with the figure the rule
    measures as the generator wrote it. TP05 is labelled year by year on that figure, so a planted firm's year
    that fell inside the cap is a look-alike year, not a case the rule must find."""
    first = economy.years[0]
    rule, planted = e.role.rstrip("~"), not e.role.endswith("~")
    cases: list[Scenario] = []

    def add(period: str, is_planted: bool, note: str) -> None:
        cases.append(Scenario(rule, e.tax_code, period, "planted" if is_planted else "lookalike", note, EDGE,
                              _span(economy, e, rule, period) if is_planted else None))

    if rule in ("TP01", "TP02"):
        factor = price_factor(e)
        flow = "imports from" if rule == "TP01" else "exports to"
        shift = factor - 1 if rule == "TP01" else 1 - factor
        for b in books:
            add(str(b.year), planted, f"related {flow} {e.parent_group} priced x{factor} of the HS median: "
                                      f"{shift:.0%} of their value at the median shifted")
    elif rule == "TP04":
        b, prior = economy.books[(e.tax_code, e.role_year)], economy.books[(e.tax_code, e.role_year - 1)]
        related = b.related_imports_vnd + b.related_exports_vnd + b.royalty + b.service_fees + b.related_interest
        add(str(e.role_year), planted, f"EBIT margin {b.ebit / b.revenue:.1%} for a second year, revenue "
                                       f"{b.revenue / prior.revenue - 1:+.1%} on the year before, related-party "
                                       f"dealings {related / b.revenue:.1%} of revenue")
    elif rule == "TP05":
        for year, is_planted, note in tp05_year_labels(books):
            add(str(year), is_planted, f"{note}, loan from {e.parent_group}")
    elif rule == "TP06":
        b = economy.books[(e.tax_code, e.role_year)]
        add(str(e.role_year), planted, f"royalties and service fees {(b.royalty + b.service_fees) / b.revenue:.1%} "
                                       f"of revenue to {e.parent_group}, loss before tax {-b.pbt / b.revenue:.1%}")
    elif rule == "TP07":
        b, prior = economy.books[(e.tax_code, e.role_year)], economy.books.get((e.tax_code, e.role_year - 1))
        if planted:
            add(str(e.role_year), True, f"profit repatriated in a year with a loss before tax of {-b.pbt / b.revenue:.1%}"
                                        " of revenue")
        elif b.pbt > 0 and prior and prior.pbt > 0 and not (b.loss_cf or prior.loss_cf):  # as fx remits it
            add(str(e.role_year), False, f"profit repatriated after a thin profit before tax of {b.pbt / b.revenue:.1%}"
                                         " of revenue, no losses carried forward")
    elif rule == "CAP01":
        add(_month_after(e.projects[0].capital_deadline), planted,
            f"contributed {contributed_share(e):.1%} of the foreign capital by the deadline, in one tranche")
    elif rule == "REG02":
        silent = REG02_EDGE_SILENT_MONTHS if planted else REG02_EDGE_LOOKALIKE_SILENT_MONTHS
        add(f"{first}-{REG02_SILENT_MONTHS:02d}", planted, f"active project, no tax, customs, labour or fx activity "
                                                          f"for {silent} months from {first}-01, then active again")
    elif rule == "ABS01":
        year, month = window_month(economy, e.role_month)
        add(f"{year}-{month:02d}", planted, f"arrears rising {arrears_months(e) + 1} months, stoppage owner_absconded,"
                                            " capital moved out, filings stop")
    elif rule == "LAND01" and e.leases:
        year, month = window_month(economy, 12 * IDLE_YEARS)
        add(f"{year}-{month:02d}", planted, f"{e.leases[0].use_ratio:.0%} of the leased area in use throughout")
    return cases


def _rare_edge_cases(economy: Economy, e: Enterprise, books: list, lines: list[RareLine]) -> list[Scenario]:
    """A TP01/TP02 case or look-alike on a rare good (`RARE_*`), each year labelled as the rule would judge the lines
    drawn: its related lines' value against their quantity at the median of the year's unrelated lines (planted
    past min_shift_share with the price outside the range, enough comparables and related lines), the planted
    factor and the median's distance from the catalogue's in the note (NOISY: few comparables)."""
    rule, flow = e.role.rstrip("~"), e.rare_trade.flow
    factor, sign = price_factor(e), 1 if flow == "IM" else -1
    cases = []
    for b in books:
        comparables = sorted(x.customs_value_vnd / x.quantity for x in lines
                             if x.year == b.year and x.flow == flow and not x.with_parent)
        own = [x for x in lines if x.year == b.year and x.tax_code == e.tax_code and x.with_parent]
        if len(comparables) < TP_MIN_COMPARABLES or len(own) < TP_MIN_RELATED_LINES:
            continue  # the rule cannot judge the year (none expected: RARE_MONTHS and RARE_CASE_MONTHS)
        median = statistics.median(comparables)
        low, high = (_percentile(comparables, q) for q in TP_RANGE)
        price = statistics.median(x.customs_value_vnd / x.quantity for x in own)
        at_median = median * sum(x.quantity for x in own)
        shift = sign * (sum(x.customs_value_vnd for x in own) - at_median) / at_median
        outside = price > high if flow == "IM" else price < low
        planted = outside and shift >= TP_MIN_SHIFT_SHARE
        cases.append(Scenario(rule, e.tax_code, str(b.year), "planted" if planted else "lookalike",
                              f"NOISY rare good: related {'imports from' if flow == 'IM' else 'exports to'} "
                              f"{e.parent_group} planted x{factor} of the good's median ({e.role}), "
                              f"{shift:.1%} of their value at the median of the {len(comparables)} unrelated lines "
                              f"shifted, price {'above the 75th' if flow == 'IM' else 'below the 35th'} percentile: "
                              f"{'yes' if outside else 'no'}", EDGE,
                              # a planted year rests on each of its months' lines: one not delivered can take
                              # the shift under the line (sources.synthetic.score_rules)
                              span=Span(f"{b.year}-01", f"{b.year}-12", (("customs", "declarations"),))
                              if planted else None))
    return cases


def _percentile(ordered: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont of sorted values (linear between the two nearest ranks)."""
    at = q * (len(ordered) - 1)
    below = int(at)
    return ordered[below] + (ordered[min(below + 1, len(ordered) - 1)] - ordered[below]) * (at - below)
