"""`fdi generate`: a whole, coherent Hải Phòng economy written as agency deliveries.

Output layout: `<out>/<agency>/<dataset>/<period>/` (the landing layout of the
agreement, with manifests; it holds the latest delivery of each period),
`<out>/_replay/<agency>/<dataset>/<period>/` (earlier deliveries that a
correction superseded, to replay the history) and `<out>/_truth/` (ground
truth, see `sources.synthetic.truth`). Deterministic per seed: the same arguments give the same
bytes, whatever the number of processes writing customs months (`GenerateOptions.workers`).
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sources.synthetic import credit, customs, finance, fx, labour, land, losses, network, registry, scenarios, tax
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, months
from sources.synthetic.truth import Truth

DEFAULT_DEFECT_RATE = 0.02

# Agency generators in the order they run; each takes (economy, planter, periods).
AGENCY_GENERATORS: dict[str, Callable] = {
    "registry": registry.generate,
    "tax": tax.generate,
    "customs": customs.generate,
    "land": land.generate,
    "labour": labour.generate,
    "credit": credit.generate,
    "fx": fx.generate,
}


def build_economy(seed: int, enterprises: int, years: tuple[int, int],
                  loss_rate: float = losses.DEFAULT_LOSS_RATE) -> Economy:
    """The economy's life in its build order: population → roles → honest losses → books. Each step reads only
    the ones before it, so the modules import one way (scenarios and finance build on economy, never the
    reverse)."""
    economy = Economy(seed, enterprises, years)  # population: enterprises, projects, investors
    economy.profile_population()
    scenarios.assign_roles(economy)  # roles: planted cases and their look-alikes
    economy.finance_assets()
    scenarios.shape_assets(economy)
    economy.honest_losses = losses.plan(economy, loss_rate)  # the base rate of honest losses
    network.plant(economy)  # undisclosed related parties and nominee firms, on enterprises left without a role
    economy.books = finance.build_books(economy)  # books: each enterprise's fiscal years
    economy.scenarios = scenarios.record(economy) + network.record(economy)
    return economy


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    enterprises: int = 200
    years: tuple[int, int] = (2023, 2024)
    seed: int = 42
    defects: float = DEFAULT_DEFECT_RATE
    loss_rate: float = losses.DEFAULT_LOSS_RATE
    agencies: tuple[str, ...] = tuple(AGENCY_GENERATORS)
    gaps: float = 0.0  # share of monthly periods withheld; > 0 also makes some snapshot datasets semi-annual
    # Processes writing customs months at once (0: one per core); the bytes do not depend on it. One by
    # default: the months are forked, which only a process without other threads can do safely (`fdi generate`).
    workers: int = 1


def generate(options: GenerateOptions, progress: Callable[[str], None] = lambda _: None) -> Economy:
    out = Path(options.out)
    for agency in AGENCY_GENERATORS:
        shutil.rmtree(out / agency, ignore_errors=True)
    shutil.rmtree(out / "_truth", ignore_errors=True)
    shutil.rmtree(out / "_replay", ignore_errors=True)
    shutil.rmtree(out / "_withheld", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    truth = Truth(out / "_truth")
    truth.parameters(seed=options.seed, enterprises=options.enterprises, years=list(options.years),
                     defects=options.defects, loss_rate=options.loss_rate)
    progress(f"building an economy of {options.enterprises} enterprises (seed {options.seed})")
    economy = build_economy(options.seed, options.enterprises, options.years, options.loss_rate)
    # records: one module per agency writes its deliveries
    planter = DefectPlanter(out, truth, options.seed, options.defects)
    # The evidence of planted scenarios is never damaged (see sources.synthetic.defects).
    planter.protected = {e.tax_code for e in economy.enterprises if e.role}
    periods = months(options.years)
    try:
        truth.open_all()
        for a, b, kind in economy.lookalikes:
            truth.lookalike(a, b, kind)
        for s in economy.scenarios:
            truth.scenario(s.rule, s.tax_code, s.period, s.kind, s.note)
        for agency in options.agencies:
            progress(f"writing {agency} deliveries for {periods[0]}..{periods[-1]}")
            if agency == "customs":  # the largest dataset: its months are written in parallel
                workers = options.workers or os.cpu_count() or 1
                started = time.perf_counter()
                lines, used = customs.generate(economy, planter, periods, workers=workers)
                seconds = time.perf_counter() - started
                progress(f"customs: {lines:,} declaration lines in {seconds:.1f} s "
                         f"({lines / max(seconds, 1e-9):,.0f} lines/s, {used} worker(s))")
            else:
                AGENCY_GENERATORS[agency](economy, planter, periods)
        losses.write_truth(out / "_truth", economy)
    finally:
        truth.close()
    if options.gaps > 0:
        thin_deliveries(out, options.seed, options.gaps)
    return economy


# The months a semi-annual snapshot is still delivered in.
SEMI_ANNUAL_MONTHS = ("01", "07")


def thin_deliveries(out: Path, seed: int, rate: float) -> list[tuple[str, str, str, str]]:
    """Thin the landing folder as real agencies do: each monthly period (but a dataset's first) is withheld with
    probability `rate`, and each snapshot dataset is, with probability one half, delivered only in January and
    July. Withheld folders move to `<out>/_withheld/<agency>/<dataset>/<period>/`, so a test can deliver them
    late; `_truth/gaps.csv` lists them. Its own random stream: the deliveries written are the same bytes."""
    import csv
    import random

    from sources.contract import all_datasets

    rng = random.Random(f"gaps-{seed}")
    withheld: list[tuple[str, str, str, str]] = []
    for ds in all_datasets():
        if ds.grain != "month" or not (out / ds.agency / ds.name).is_dir():
            continue
        periods = sorted(p.name for p in (out / ds.agency / ds.name).iterdir() if p.is_dir())
        semi_annual = ds.kind == "snapshot" and rng.random() < 0.5
        for period in periods[1:]:
            if semi_annual and period[5:] not in SEMI_ANNUAL_MONTHS:
                withheld.append((ds.agency, ds.name, period, "semi_annual"))
            elif rng.random() < rate:
                withheld.append((ds.agency, ds.name, period, "missing"))
    for agency, name, period, _ in withheld:
        target = out / "_withheld" / agency / name / period
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out / agency / name / period), target)
    (out / "_truth").mkdir(parents=True, exist_ok=True)
    with open(out / "_truth" / "gaps.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["agency", "dataset", "period", "kind"])
        writer.writerows(withheld)
    return withheld
