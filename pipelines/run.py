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


# `fdi run` exit statuses (contracts/warehouse.md, "Command line").
EXIT_OK, EXIT_FAILED, EXIT_REJECTED, EXIT_NO_DELIVERY = 0, 1, 3, 4


@dataclass
class RunOutcome:
    ingest_runs: int = 0
    failed_checks: list[str] = field(default_factory=list)
    dbt_ran: bool = False
    dbt_success: bool = True
    deliveries: int = 0  # delivery folders the loaders saw (loaded, skipped as already loaded, or rejected)
    rejected: list[str] = field(default_factory=list)  # agency/dataset/period of each rejected delivery

    @property
    def exit_status(self) -> int:
        if self.failed_checks or not self.dbt_success:
            return EXIT_FAILED
        if not self.deliveries:
            return EXIT_NO_DELIVERY
        return EXIT_REJECTED if self.rejected else EXIT_OK


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
        # one event per partition of the range, each with the run's metadata: read the first
        for event in result.get_asset_materialization_events()[:1]:
            metadata = event.materialization.metadata
            outcome.deliveries += int(metadata["deliveries_seen"].value) if "deliveries_seen" in metadata else 0
            if "rejected_periods" in metadata:
                outcome.rejected += [f"{agency}/{name}/{p}" for p in metadata["rejected_periods"].value]
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.check_name == SUITE_CHECK and not evaluation.passed:
                outcome.failed_checks.append(f"{agency}/{name}")
    if not outcome.deliveries:
        progress(f"! no delivery in {landing}: expected <agency>/<dataset>/<period>/manifest.json folders "
                 "(e.g. from `fdi generate`); nothing loaded, dbt build not run")
        return outcome
    if run_dbt and outcome.failed_checks:
        progress(f"! contract suite failed for {', '.join(outcome.failed_checks)}: dbt build not run")
    elif run_dbt:
        progress("building the warehouse with dbt")
        outcome.dbt_ran = True
        outcome.dbt_success = build_warehouse(dagster).success
    return outcome
