"""`fdi run`: materialise every asset in-process, for scripts, tests and the demo.

The same assets the Dagster UI and sensor run: for each dataset with
deliveries, one run over the range of its periods (the assets' single-run
backfill policy), then one dbt build, unless a blocking contract check failed.
"""
from __future__ import annotations

import io
import json
import logging
import os
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.lib.instance import prepare_dagster_home
from sources.contract import dataset as contract_dataset
from sources.delivery import folder_identity
from warehouse.build_lock import loads_must_wait
from warehouse.settings import Settings

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# In-process runs print our own progress lines; Dagster's console logger adds
# only warnings and errors (every event stays in the run storage for the UI),
# and without --verbose nothing: the run's own lines report every failure.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SILENT = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class LandingMissing(FileNotFoundError):
    pass


# `fdi run` exit statuses (contracts/warehouse.md, "Command line").
EXIT_OK, EXIT_FAILED, EXIT_REJECTED, EXIT_NO_DELIVERY, EXIT_BUSY = 0, 1, 3, 4, 5


class WarehouseBusy(RuntimeError):
    """Another `fdi run` holds the warehouse (contracts/warehouse.md: exit status 5)."""


class RunLock:
    """One `fdi run` per home and per warehouse database at a time.

    A file lock under FDI_HOME covers the start of the embedded server and the
    creation of its database on a fresh home; a PostgreSQL session advisory
    lock covers two homes pointed at one server. Neither waits: the second run
    says the warehouse is busy (issue #13: two runs at once both failed in dbt).
    Both locks die with their process, so a killed run never leaves one behind.
    """

    def __init__(self, settings: Settings):
        self.path = settings.home / "fdi-run.lock"
        self._file = None
        self._pg = None

    def __enter__(self) -> RunLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            raise WarehouseBusy(f"another fdi run holds the warehouse under {self.path.parent}; "
                                "try again when it has finished.") from exc
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"{os.getpid()}\n")
        self._file.flush()
        return self

    def hold_database(self, conninfo: str) -> None:
        import psycopg

        self._pg = psycopg.connect(conninfo, autocommit=True)
        if not self._pg.execute("select pg_try_advisory_lock(hashtext('fdi.run'))").fetchone()[0]:
            self._pg.close()
            self._pg = None
            raise WarehouseBusy("another fdi run holds the warehouse database; try again when it has finished.")

    def __exit__(self, *exc) -> None:
        if self._pg is not None:
            self._pg.close()
        if self._file is not None:
            self._file.close()


@dataclass
class RunOutcome:
    ingest_runs: int = 0
    failed_checks: list[str] = field(default_factory=list)
    dbt_ran: bool = False
    dbt_success: bool = True
    rejected_folders: int = 0  # folders that are no delivery period, audited as rejected
    suite_rows: dict[str, int] = field(default_factory=dict)  # dataset -> rows its GX suite validated
    deliveries: int = 0  # delivery folders the loaders saw (loaded, skipped as already loaded, or rejected)
    rejected: list[str] = field(default_factory=list)  # agency/dataset/period of each rejected delivery

    @property
    def exit_status(self) -> int:
        if self.failed_checks or not self.dbt_success:
            return EXIT_FAILED
        if not self.deliveries and not self.rejected_folders:
            return EXIT_NO_DELIVERY
        return EXIT_REJECTED if self.rejected or self.rejected_folders else EXIT_OK


@dataclass
class DbtBuild:
    """What one `dbt build` did, read from its run_results.json: the one line `fdi run` prints for it."""
    run_id: str  # the Dagster run; its dbt artifacts are in pipelines.lib.dbt_project.run_target(run_id)
    nodes: int
    seconds: float
    skipped: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (status, node, dbt's message)
    errors: list[str] = field(default_factory=list)  # failures outside any node (dbt did not start, a crash)

    @classmethod
    def from_run_results(cls, run_id: str, results: dict | None, seconds: float, errors: list[str]) -> DbtBuild:
        if results is None:
            return cls(run_id, 0, seconds,
                       errors=errors or ["dbt wrote no run_results.json: it stopped before building"])
        nodes = results["results"]
        failures = [(r["status"], _node_name(r["unique_id"]), " ".join(str(r.get("message") or "").split()))
                    for r in nodes if r["status"] in ("error", "fail", "runtime error")]
        return cls(run_id, len(nodes), seconds, sum(r["status"] == "skipped" for r in nodes), failures,
                   [] if failures else errors)

    @property
    def success(self) -> bool:
        return not self.failures and not self.errors

    def lines(self) -> list[str]:
        """One line, then one per failing node (or failure outside the nodes) with its message."""
        problems = len(self.failures) + len(self.errors)
        head = (f"dbt build: {self.nodes} nodes done in {self.seconds:.0f} s, {problems} error"
                f"{'' if problems == 1 else 's'}" + (f", {self.skipped} skipped" if self.skipped else ""))
        return [head, *(f"  ✗ {status} {node}: {message}" for status, node, message in self.failures),
                *(f"  ✗ {error}" for error in self.errors)]


def _node_name(unique_id: str) -> str:
    """`model project_reports`, `test not_null_flags_flag_id`, `unit_test <its name>` from a dbt unique id."""
    kind, _, rest = unique_id.split(".", 2)
    parts = rest.split(".")
    return f"{kind} {parts[-1] if kind == 'unit_test' else parts[0]}"


class _LibraryChatter(logging.Filter):
    """Without --verbose: the libraries' info and warnings (dagster, dbt, GX) stay out of the output;
    errors and fdi's own records pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or record.name.split(".")[0] == "fdi"


@contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    if verbose:
        yield
        return
    chatter = _LibraryChatter()
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(chatter)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(chatter)


def delivery_periods(landing: Path) -> dict[tuple[str, str], list[str]]:
    """(agency, dataset) -> sorted periods with a delivery folder, ignoring `_`-prefixed folders."""
    periods: dict[tuple[str, str], set[str]] = defaultdict(set)
    for folder in landing.glob("*/*/*"):
        if not folder.is_dir() or any(p.startswith("_") for p in folder.relative_to(landing).parts):
            continue
        agency, dataset, period = folder_identity(folder)
        periods[(agency, dataset)].add(period)
    return {k: sorted(v) for k, v in sorted(periods.items())}


def triage(landing: Path, dagster: InProcess, progress: Callable[[str], None],
           outcome: RunOutcome) -> dict[tuple[str, str], list[str]]:
    """The delivery periods to load, per dataset. Every other folder (an unknown agency or dataset,
    2025-13, January, latest, a monthly folder under a yearly dataset) is audited as rejected with one
    sentence naming it, and the run goes on (issue #13)."""
    from pipelines.defs.partitions import partitions_for, period_problem
    from pipelines.lib.ingest import reject_folder

    planned: dict[tuple[str, str], list[str]] = {}
    rejections: list[tuple[Path, str]] = []
    for (agency, name), periods in delivery_periods(landing).items():
        try:
            ds = contract_dataset(agency, name)
        except KeyError:
            for period in periods:
                rejections.append((landing / agency / name / period,
                                   f"{agency}/{name} is not a dataset of the agreement; the folder "
                                   f"{agency}/{name}/{period} was not read."))
            continue
        keys = set(partitions_for(ds).get_partition_keys(dynamic_partitions_store=dagster.instance))
        good = []
        for period in periods:
            problem = period_problem(ds, period, keys)
            if problem:
                rejections.append((landing / agency / name / period, f"{agency}/{name}/{period}: {problem}"))
            else:
                good.append(period)
        if good:
            planned[(agency, name)] = good
    if rejections:
        resource = dagster.resources["warehouse"]
        with resource.connect() as conn:
            for folder, reason in rejections:
                reject_folder(conn, folder, reason)
                progress(f"! rejected {reason}")
        outcome.rejected_folders += len(rejections)
    return planned


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


def build_warehouse(dagster: InProcess, *, verbose: bool = True, full_tests: bool = False) -> DbtBuild:
    """`dbt build` of every seed, model, snapshot and test through the dbt assets: the run the
    `monthly_transform` schedule launches. Incremental models build only what changed and their tests read
    what the build wrote; `full_tests` tests every row and runs the unit tests and the `full_pass_only` tests
    (the `nightly_full_tests` run).

    dbt's node-by-node log streams to stdout with `verbose`; without it, it is kept back and the build is
    told by `DbtBuild.lines()`, every failing node with dbt's message."""
    from pipelines.defs.assets.dbt import FULL_TESTS_TAG
    from pipelines.lib.dbt_project import run_target

    dbt_keys = [key for asset in dagster.assets if asset.node_def.name == "fdi_dbt_models" for key in asset.keys]
    started = time.monotonic()
    log = io.StringIO()
    with redirect_stdout(log) if not verbose else nullcontext():
        result = dg.materialize(dagster.assets, selection=dbt_keys, instance=dagster.instance,
                                resources=dagster.resources, run_config=QUIET if verbose else SILENT,
                                raise_on_error=False, tags={FULL_TESTS_TAG: "true"} if full_tests else None)
    seconds = time.monotonic() - started
    results_file = run_target(result.run_id) / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else None
    errors = [] if result.success else [
        " ".join(_root_message(event.step_failure_data.error).split())[:2000]
        for event in result.get_step_failure_events()]
    if errors and not verbose:  # what dbt said before it stopped, never hidden
        errors += [line for line in log.getvalue().splitlines() if "error" in line.lower()][-20:]
    return DbtBuild.from_run_results(result.run_id, results, seconds, errors)


def _root_message(error) -> str:
    """What a failed step says: the error its own code raised, not Dagster's wrapper around it
    ("Error occurred while executing op ...")."""
    if error is None:
        return "step failed"
    while error.cause is not None:
        error = error.cause
    return error.message


def dataset_line(agency: str, name: str, periods: list[str], metadata: dict) -> str:
    """The one line a dataset gets: its periods, the rows loaded, quarantined and rejected."""
    def number(key: str) -> int:
        return int(metadata[key].value) if key in metadata else 0

    span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
    rejected = list(metadata["rejected_periods"].value) if "rejected_periods" in metadata else []
    superseded = list(metadata["superseded_on_arrival"].value) if "superseded_on_arrival" in metadata else []
    skipped = number("deliveries_skipped")
    return (f"{agency + '/' + name:<26}{len(periods):>3} {'period' if len(periods) == 1 else 'periods':<8}{span:<17}"
            f"{number('rows_loaded'):>9,} rows {number('rows_quarantined'):>6,} quarantined "
            f"{len(rejected):>3} rejected" + (f" ({', '.join(rejected)})" if rejected else "")
            + (f"; {skipped} already loaded" if skipped else "")
            + (f"; superseded on arrival, a later extract is in force: {', '.join(superseded)}" if superseded else ""))


def run_pipeline(landing: Path, *, settings: Settings | None = None, run_dbt: bool = True,
                 progress: Callable[[str], None] = print, verbose: bool = True, full_tests: bool = False) -> RunOutcome:
    """Load every delivery of `landing`, then build the warehouse unless a blocking check failed.

    `progress` gets one line per dataset and one for the dbt build; with `verbose`, the libraries' logs
    and dbt's node-by-node log stream as well."""
    with _quiet(verbose):
        return _run(landing, settings, run_dbt, progress, verbose, full_tests)


def _run(landing: Path, settings: Settings | None, run_dbt: bool, progress: Callable[[str], None],
         verbose: bool, full_tests: bool = False) -> RunOutcome:
    landing = require_landing(landing)
    os.environ["FDI_LANDING"] = str(landing)  # the resources read it when the run starts
    dagster = InProcess.load(settings or Settings.from_env())
    # The run's instance is Dagster's current one while the run lasts (Dagster keeps the current instance's
    # state storage in a context variable) and is disposed after it, so an instance an earlier caller left
    # current, and since disposed, is never what the run's definitions load against.
    with dagster.instance:
        return _run_loaded(dagster, landing, run_dbt, progress, verbose, full_tests)


def _run_loaded(dagster: InProcess, landing: Path, run_dbt: bool, progress: Callable[[str], None],
                verbose: bool, full_tests: bool) -> RunOutcome:
    from pipelines.defs.assets.raw import SUITE_CHECK, raw_key
    from pipelines.defs.gate import failed_blocking_checks, hold_reason

    assets, resources, instance = dagster.assets, dagster.resources, dagster.instance
    outcome = RunOutcome()
    planned = triage(landing, dagster, progress, outcome)
    for (agency, name), periods in planned.items():
        ds = contract_dataset(agency, name)
        with resources["warehouse"].connect() as conn:
            waiting = loads_must_wait(conn)
        if waiting:
            progress(f"… {agency}/{name}: {waiting}")
        result = dg.materialize(assets, selection=[raw_key(ds)], instance=instance, resources=resources,
                                run_config=QUIET if verbose else SILENT,
                                tags={RANGE_START: periods[0], RANGE_END: periods[-1]}, raise_on_error=True)
        outcome.ingest_runs += 1
        # one event per partition of the range, each with the run's metadata: read the first
        for event in result.get_asset_materialization_events()[:1]:
            metadata = event.materialization.metadata
            outcome.deliveries += int(metadata["deliveries_seen"].value) if "deliveries_seen" in metadata else 0
            if "rejected_periods" in metadata:
                outcome.rejected += [f"{agency}/{name}/{p}" for p in metadata["rejected_periods"].value]
            progress(dataset_line(agency, name, periods, metadata))
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.check_name != SUITE_CHECK:
                continue
            if not evaluation.passed:
                outcome.failed_checks.append(f"{agency}/{name}")
                progress(f"! {agency}/{name}: its contract suite (GX) failed on what landed")
            rows = evaluation.metadata.get("rows_validated")
            outcome.suite_rows[f"{agency}/{name}"] = int(rows.value) if rows is not None else 0
    if not outcome.deliveries:
        if outcome.rejected_folders:  # each named above with its reason: a refusal, not an empty folder
            progress(f"! no delivery in {landing} could be loaded ({outcome.rejected_folders} folder(s) rejected, "
                     "above); dbt build not run")
        else:
            progress(f"! no delivery in {landing}: expected <agency>/<dataset>/<period>/manifest.json folders "
                     "(e.g. from `fdi generate`); nothing loaded, dbt build not run")
        return outcome
    # The same rule as the monthly_transform schedule: any loader's latest blocking check that did not pass,
    # in this run or an earlier one, holds the whole build back.
    held = failed_blocking_checks(instance)
    outcome.failed_checks = sorted(set(outcome.failed_checks) | {k.removeprefix("raw_") for k in held})
    if run_dbt and held:
        progress(f"! {hold_reason(held)}")
    elif run_dbt:
        progress("building the warehouse with dbt" + ("" if verbose else " (its node-by-node log: --verbose)"))
        outcome.dbt_ran = True
        build = build_warehouse(dagster, verbose=verbose, full_tests=full_tests)
        outcome.dbt_success = build.success
        for line in build.lines():
            progress(line)
    return outcome
