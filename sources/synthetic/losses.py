"""Honest loss-makers: the base rate of losses the risk rules must leave alone.

In Vietnam 16,292 of 28,918 FDI enterprises (56 %) reported a loss in FY2023
(MPI / GSO enterprise statistics, as cited in issue 15). Most of those losses
are honest, and the generator gives each one a reason, recorded in
`_truth/honest_losses.csv`:

* `construction`: the years a new FDI manufacturer spends building its plant
  before its first sale, incorporated and filing returns: no revenue, the
  pre-operating costs a loss (`PREOPERATING_COST`; the interest on its loans
  is capitalised, VAS 16). One in four new FDI manufacturers builds first,
  for a year or, one in ten of them all, for two
  (`CONSTRUCTION_A_YEAR_OR_MORE`, `CONSTRUCTION_TWO_YEARS`); their start-up
  years follow the construction, not the certificate;
* `startup`: the first two years of operations (`finance.STARTUP_MARGINS`);
* `long_startup`: a start-up's third and fourth loss years. A new factory
  often takes longer than two years to reach its scale: one honest start-up
  in three loses money a third year and one in eight a fourth
  (`LONG_STARTUP_THIRD_YEAR`, `LONG_STARTUP_FOURTH_YEAR`), with losses
  shrinking and revenue still ramping up (`LONG_STARTUP_MARGINS`,
  `LONG_STARTUP_REVENUE`): TP03's pattern, for honest reasons;
* `downturn`: one or two years in which revenue falls materially (each year
  10-25 % below the year before) and the firm makes an operating loss;
* `one_off`: a single loss year (an impairment, a lost contract) with revenue
  flat on its trend.

Honest loss-makers keep everything else ordinary: they trade with their group
at arm's-length prices, pay their usual royalties and fees, repatriate nothing
while loss-making (`fx._repatriates`) and borrow as any firm of their size
does. Past its start-up years an honest run of losses lasts at most two
years (a two-year downturn); a third loss year in a row of a firm past its
start-up is a planted TP03 case. A start-up's run lasts two, three or four
years. The yearly chance of a new loss is set so that the share of
enterprise-years with a loss is `loss_rate` (see `onset_probability`).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOSS_RATE = 0.55  # 16,292 of 28,918 FDI enterprises (56 %) reported a loss in FY2023
DOWNTURN_CONTINUES = 0.8  # a downturn lasts a second year this often
MAX_LOSS_RATE = (1 + DOWNTURN_CONTINUES / 2) / (2 + DOWNTURN_CONTINUES / 2)  # every profit year followed by a loss
LOSS_MARGINS = (-0.06, -0.005)  # EBIT / revenue of an honest loss year
DOWNTURN_REVENUE = (0.75, 0.90)  # revenue of a downturn year as a share of the year before
ONE_OFF_SHARE = 0.5  # of new losses; the rest are downturns
HISTORY_YEARS = 4  # years of the chain run before the first book year, so the window starts mixed
# Planted TP04 margins in the year before the case and the case's year: an
# operating loss in both, below the peers' 35th percentile of a division where
# half the firms lose money (honest losses reach -6 %; the p35 sits near -4 %).
TP04_MARGINS = (-0.07, -0.08)
TP05_LOOKALIKE_EBITDA_MARGIN = 0.02  # EBITDA of -2 % of revenue in the look-alike's loss year
TP06_LOOKALIKE_MARGIN = -0.03
# Assumption (docs/generator.md, "Honest losses"): of the honest start-ups, one in three loses money a third year
# and one in eight a fourth, while revenue ramps up (a factory reaching its scale; GSO counts about half of
# Vietnam's FDI firms loss-making, far more than two start-up years per firm explain). Chances are of all start-ups.
LONG_STARTUP_THIRD_YEAR = 1 / 3
LONG_STARTUP_FOURTH_YEAR = 1 / 8
# EBIT / revenue of the third and fourth loss years: losses shrink as the plant fills (the first two years lose
# 15 % and 4 %, finance.STARTUP_MARGINS); the fourth stays above the peers' 35th percentile (near -4 %), as an
# honest small loss does.
LONG_STARTUP_MARGINS = ((-0.04, -0.015), (-0.025, -0.005))
# revenue of the third and fourth years as a share of the firm's full scale (the first two: finance.STARTUP_REVENUE)
LONG_STARTUP_REVENUE = (0.85, 0.95)
FIELDS = ["enterprise_tax_code", "year", "reason", "is_fdi", "revenue_vnd", "ebit_vnd", "pbt_vnd"]


# Assumption (docs/generator.md, "Honest losses"): a new FDI manufacturer often builds its plant after its
# certificate and sells nothing meanwhile (an industrial-zone factory takes one to two years to build). Of the new
# FDI manufacturers without a role, one in four builds first, for a year or, one in ten, for two (chances of all of
# them; an enterprise is new when it became active from two years before the window: older ones built before the
# books begin). Drawn from a stream of its own, so every other draw is that of the same seed before.
CONSTRUCTION_A_YEAR_OR_MORE = 1 / 4
CONSTRUCTION_TWO_YEARS = 1 / 10
# Pre-operating costs of a construction year (staff, rent, administration) as a share of the firm's full-scale
# revenue: an operating loss with no revenue.
PREOPERATING_COST = (0.02, 0.05)


@dataclass(frozen=True)
class HonestLoss:
    reason: str  # construction | startup | long_startup | downturn | one_off
    margin: float  # EBIT / revenue; construction: pre-operating costs over the firm's full-scale revenue
    revenue_of_prior: float | None = None  # downturn: revenue as a share of the year before
    revenue_ramp: float | None = None  # long_startup: revenue as a share of the firm's full scale


def construction_years(economy, ent) -> int:
    """Years a new FDI manufacturer without a role builds its plant before its first revenue: 0, 1 or 2."""
    first, _ = economy.years
    if not (ent.is_fdi and ent.role is None and ent.projects and ent.industry[4] != "distribution"
            and ent.active_from.year >= first - 2):
        return 0
    draw = economy.sub_rng("construction", ent.index).random()
    if draw < CONSTRUCTION_TWO_YEARS:
        return 2
    return 1 if draw < CONSTRUCTION_A_YEAR_OR_MORE else 0


def _construction_losses(economy, ent) -> dict[tuple[str, int], HonestLoss]:
    """The construction years of `ent` that fall in the books (from the year before the window)."""
    rng = economy.sub_rng("construction_cost", ent.index)
    first, last = economy.years
    return {(ent.tax_code, year): HonestLoss("construction", -rng.uniform(*PREOPERATING_COST), revenue_ramp=0.0)
            for year in range(ent.active_from.year, ent.operating_from_year) if first - 1 <= year <= last}


def startup_loss_years(economy, ent) -> int:
    """How many years an honest start-up loses money: 2, 3 (one in three) or 4 (one in eight).

    Drawn from a stream of its own, so the downturns and one-offs of every other firm are those of the same seed
    before long start-ups existed."""
    draw = economy.sub_rng("long_startup", ent.index).random()
    if draw < LONG_STARTUP_FOURTH_YEAR:
        return 4
    return 3 if draw < LONG_STARTUP_THIRD_YEAR else 2


def _long_startup_losses(economy, ent, years: int) -> dict[tuple[str, int], HonestLoss]:
    """The third and fourth loss years of a long start-up that fall in the books (from the year before the window)."""
    rng = economy.sub_rng("long_startup_margin", ent.index)
    first, last = economy.years
    start = ent.operating_from_year
    out = {}
    for age in range(2, years):
        loss = HonestLoss("long_startup", rng.uniform(*LONG_STARTUP_MARGINS[age - 2]),
                          revenue_ramp=LONG_STARTUP_REVENUE[age - 2])
        if first - 1 <= start + age <= last:
            out[(ent.tax_code, start + age)] = loss
    return out


def onset_probability(loss_rate: float) -> float:
    """Yearly chance that a profitable year is followed by a loss, for a stationary loss share `loss_rate`.

    The chain's states are profit, one-off, first and second downturn year. From profit a loss starts with
    probability a (half one-offs, half downturns); a downturn continues once with probability b; after a
    loss run the firm returns to profit. The stationary loss share is a(1 + b/2) / (1 + a(1 + b/2)).
    """
    if loss_rate <= 0:
        return 0.0
    odds = loss_rate / (1 - loss_rate)
    return min(1.0, odds / (1 + DOWNTURN_CONTINUES / 2))


def plan(economy, loss_rate: float) -> dict[tuple[str, int], HonestLoss]:
    """Honest loss years of the enterprises without a planted role, keyed by (tax code, year); sets the
    construction years of each (`Enterprise.construction_years`), which the books and the start-up years follow."""
    onset = onset_probability(loss_rate)
    first, last = economy.years
    out: dict[tuple[str, int], HonestLoss] = {}
    if onset <= 0:
        return out
    for ent in economy.enterprises:
        if ent.role is not None:
            out.update(_lookalike_losses(ent))
            continue
        rng = economy.sub_rng("honest_loss", ent.index)
        ent.construction_years = construction_years(economy, ent)
        out.update(_construction_losses(economy, ent))
        start_year = ent.operating_from_year
        startup_years = startup_loss_years(economy, ent)
        out.update(_long_startup_losses(economy, ent, startup_years))
        begin = max(start_year + startup_years, first - 1 - HISTORY_YEARS)
        # after a start-up's loss years the firm makes a profit: past them no honest run is longer than two years
        state = "after_run" if begin == start_year + startup_years else "profit"
        for year in range(begin, last + 1):
            if state in ("after_run", "one_off"):
                state = "profit"
                continue
            if state == "downturn1":
                if rng.random() < DOWNTURN_CONTINUES:
                    state = "downturn2"
                    loss = HonestLoss("downturn", rng.uniform(*LOSS_MARGINS), rng.uniform(*DOWNTURN_REVENUE))
                else:
                    state = "profit"
                    continue
            elif state == "downturn2":
                state = "profit"
                continue
            elif rng.random() < onset:
                if rng.random() < ONE_OFF_SHARE:
                    state = "one_off"
                    loss = HonestLoss("one_off", rng.uniform(*LOSS_MARGINS))
                else:
                    state = "downturn1"
                    loss = HonestLoss("downturn", rng.uniform(*LOSS_MARGINS), rng.uniform(*DOWNTURN_REVENUE))
            else:
                continue
            if year >= first - 1:
                out[(ent.tax_code, year)] = loss
    return out


def _lookalike_losses(ent) -> dict[tuple[str, int], HonestLoss]:
    """The honest loss that comes closest to each rule's planted case (its look-alike, role ending in ~)."""
    y = ent.role_year
    if ent.role == "TP04~" and not ent.edge:  # the edge look-alikes lose as the case does (scenarios.TP04_EDGE_*)
        # the planted TP04 margins and related-party share, but revenue falling in both years: a downturn
        return {(ent.tax_code, y - 1): HonestLoss("downturn", TP04_MARGINS[0], DOWNTURN_REVENUE[1]),
                (ent.tax_code, y): HonestLoss("downturn", TP04_MARGINS[1], DOWNTURN_REVENUE[0])}
    if ent.role == "TP05~" and not ent.edge:  # the edge look-alike is an ordinary year's interest just inside the cap
        # an ordinary related-party loan and a one-off loss deep enough to make EBITDA negative
        return {(ent.tax_code, y): HonestLoss("one_off", -(ent.depreciation_ratio + TP05_LOOKALIKE_EBITDA_MARGIN))}
    if ent.role == "TP06~":
        return {(ent.tax_code, y): HonestLoss("one_off", TP06_LOOKALIKE_MARGIN)}
    return {}


def write_truth(folder: Path, economy) -> None:
    """`_truth/honest_losses.csv`: one row per enterprise and window year with an honest operating loss."""
    first, last = economy.years
    honest = getattr(economy, "honest_losses", {})
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "honest_losses.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for ent in economy.enterprises:
            for year in range(first, last + 1):
                book = economy.books.get((ent.tax_code, year))
                if book is None or book.ebit >= 0:
                    continue
                loss = honest.get((ent.tax_code, year))
                if loss is not None:
                    reason = loss.reason
                elif (ent.role is None or ent.role.endswith("~")) and 0 <= year - ent.operating_from_year < 2:
                    reason = "startup"
                else:
                    continue  # a planted loss (its rule's case) is not honest
                writer.writerow({"enterprise_tax_code": ent.tax_code, "year": year, "reason": reason,
                                 "is_fdi": ent.is_fdi, "revenue_vnd": book.revenue, "ebit_vnd": book.ebit,
                                 "pbt_vnd": book.pbt})
