"""`fdi generate`: a whole, coherent Hải Phòng economy written as agency deliveries.

Output layout: `<out>/<agency>/<dataset>/<period>/` (the landing layout of the
agreement, with manifests; it holds the latest delivery of each period),
`<out>/_replay/<agency>/<dataset>/<period>/` (earlier deliveries that a
correction superseded, to replay the history) and `<out>/_truth/` (ground
truth, see `sources.lib.truth`). Deterministic per seed: the same arguments give the same
bytes.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sources import credit, customs, fx, labour, land, registry, tax
from sources.lib.defects import DefectPlanter
from sources.lib.economy import Economy, months
from sources.lib.truth import Truth

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


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    enterprises: int = 200
    years: tuple[int, int] = (2023, 2024)
    seed: int = 42
    defects: float = DEFAULT_DEFECT_RATE
    agencies: tuple[str, ...] = tuple(AGENCY_GENERATORS)


def generate(options: GenerateOptions, progress: Callable[[str], None] = lambda _: None) -> Economy:
    out = Path(options.out)
    for agency in AGENCY_GENERATORS:
        shutil.rmtree(out / agency, ignore_errors=True)
    shutil.rmtree(out / "_truth", ignore_errors=True)
    shutil.rmtree(out / "_replay", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    truth = Truth(out / "_truth")
    truth.parameters(seed=options.seed, enterprises=options.enterprises, years=list(options.years),
                     defects=options.defects)
    progress(f"building an economy of {options.enterprises} enterprises (seed {options.seed})")
    economy = Economy(options.seed, options.enterprises, options.years)
    planter = DefectPlanter(out, truth, options.seed, options.defects)
    # The evidence of planted scenarios is never damaged (see sources.lib.defects).
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
            AGENCY_GENERATORS[agency](economy, planter, periods)
    finally:
        truth.close()
    return economy
