"""`fdi run`: materialise every asset in-process, for scripts, tests and the demo.

The same assets the Dagster UI and sensor run: for each dataset with
deliveries, one run over the range of its periods (the assets' single-run
backfill policy), then one dbt build, unless a blocking contract check failed.
"""
from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.lib.instance import prepare_dagster_home
from sources.contract import dataset as contract_dataset
from sources.delivery import folder_identity
from warehouse.settings import Settings

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# In-process runs print our own progress lines; Dagster's console logger adds
# only warnings and errors (every event stays in the run storage for the UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class LandingMissing(FileNotFoundError):
    pass


@dataclass
class RunOutcome:
    ingest_runs: int = 0
    failed_checks: list[str] = field(default_factory=list)
    dbt_ran: bool = False
    dbt_success: bool = True


def delivery_periods(landing: Path) -> dict[tuple[str, str], list[str]]:
    """(agency, dataset) -> sorted periods with a delivery folder, ignoring `_`-prefixed folders."""
    periods: dict[tuple[str, str], set[str]] = defaultdict(set)
    for folder in landing.glob("*/*/*"):
        if not folder.is_dir() or any(p.startswith("_") for p in folder.relative_to(landing).parts):
            continue
        agency, dataset, period = folder_identity(folder)
        periods[(agency, dataset)].add(period)
    return {k: sorted(v) for k, v in sorted(periods.items())}


def require_landing(landing: Path) -> Path:
    landing = Path(landing).expanduser().resolve()
    if not landing.is_dir():
        raise LandingMissing(f"The landing folder {landing} does not exist; pass --landing with the folder "
                             "that holds <agency>/<dataset>/<period>/ deliveries (e.g. from `fdi generate`).")
    return landing


@dataclass(frozen=True)
class InProcess:
    """The project's definitions and Dagster instance, loaded once for in-process runs."""
    assets: list
    resources: dict
    instance: dg.DagsterInstance

    @classmethod
    def load(cls, settings: Settings) -> InProcess:
        prepare_dagster_home(settings)
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        from pipelines.definitions import defs

        definitions = defs()
        return cls(list(definitions.assets), dict(definitions.resources), dg.DagsterInstance.get())


def build_warehouse(dagster: InProcess) -> dg.ExecuteInProcessResult:
    """`dbt build` of every seed, model, snapshot and test through the dbt assets: the run the
    `monthly_transform` schedule launches. Incremental models build only what changed."""
    dbt_keys = [key for asset in dagster.assets if asset.node_def.name == "fdi_dbt_models" for key in asset.keys]
    return dg.materialize(dagster.assets, selection=dbt_keys, instance=dagster.instance, resources=dagster.resources,
                          run_config=QUIET, raise_on_error=False)


def run_pipeline(landing: Path, *, settings: Settings | None = None, run_dbt: bool = True,
                 progress: Callable[[str], None] = print) -> RunOutcome:
    landing = require_landing(landing)
    os.environ["FDI_LANDING"] = str(landing)  # the resources read it when the run starts
    from pipelines.defs.assets.raw import SUITE_CHECK, raw_key
    from pipelines.defs.gate import failed_blocking_checks, hold_reason

    dagster = InProcess.load(settings or Settings.from_env())
    assets, resources, instance = dagster.assets, dagster.resources, dagster.instance
    outcome = RunOutcome()
    for (agency, name), periods in delivery_periods(landing).items():
        try:
            ds = contract_dataset(agency, name)
        except KeyError:
            progress(f"! {agency}/{name}: not a dataset of the agreement; skipped")
            continue
        progress(f"loading {agency}/{name}: {len(periods)} period(s) {periods[0]}..{periods[-1]}")
        result = dg.materialize(assets, selection=[raw_key(ds)], instance=instance, resources=resources, run_config=QUIET,
                                tags={RANGE_START: periods[0], RANGE_END: periods[-1]}, raise_on_error=True)
        outcome.ingest_runs += 1
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.check_name == SUITE_CHECK and not evaluation.passed:
                outcome.failed_checks.append(f"{agency}/{name}")
    # The same rule as the monthly_transform schedule: any loader's latest blocking check that did not pass,
    # in this run or an earlier one, holds the whole build back.
    held = failed_blocking_checks(instance)
    outcome.failed_checks = sorted(set(outcome.failed_checks) | {k.removeprefix("raw_") for k in held})
    if run_dbt and held:
        progress(f"! {hold_reason(held)}")
    elif run_dbt:
        progress("building the warehouse with dbt")
        outcome.dbt_ran = True
        outcome.dbt_success = build_warehouse(dagster).success
    return outcome
