"""`fdi bench`: time each ingestion stage at scale, against a bare COPY of the same rows.

Stages, each in a fresh process so its peak memory is its own:
  generate  the generator writing the deliveries (rows/s)
  parse     read the customs file into Arrow batches (no checks)
  validate  parse + every contract check (quarantine decisions, repairs)
  ingest    the real thing: verify sha256, parse, check, COPY, quarantine, audit, one transaction
  gx        the blocking GX check on the loaded delivery (its delivery expectations, one scan;
            the row expectations are proven in the stream, docs/ingestion.md)
  gx_full   the whole GX suite rescanned on the same rows (on demand, and after a failure)
  bare_copy `COPY ... FROM STDIN (FORMAT csv)` of the same decompressed rows into an
            empty table with the same columns, on the same server, in the same run
Two ratios: ingest alone against the bare COPY, and delivery-to-validated
(ingest plus the blocking GX check, what a delivery costs before dbt may read
it) against the bare COPY. Each stage reports its wall time (the median
run), the CPU of its own process (every thread; steadier than wall time on
a shared machine) and its peak memory, and the run the 1-minute load average
at its start and end. Figures go to stdout and to
`$FDI_HOME/bench/last.json`. Speed is measured here, never asserted in a test.

`fdi bench --dbt` times the warehouse build instead (`run_dbt_bench`): a whole
economy of every agency is loaded by the project's ingestion (but its last
month, and its last year's annual deliveries, which December's build in
January never has: they report on a year that has ended), `dbt build` runs once in
full, the database is vacuumed (what autovacuum does in the weeks between
two builds), then one new month of every monthly dataset is delivered
and the same build (what the `monthly_transform` schedule runs) runs again,
and once more with nothing delivered since (the floor every build pays,
whatever the month holds); the times, their ratios, the slowest nodes, node
time per folder (staging, intermediate, marts, risk, fis, kpi, their tests,
unit tests), the longest chain of nodes (each waiting for the one before it:
what sets a build's length on dbt's threads, whatever the slowest nodes are)
and the threads' idle time, the month's node time split by what each node pays for (the floor,
the month's own work, a year or a whole table rebuilt; `month_by_what_it_pays`), what the
incremental customs fact wrote, the database's size and
the peak memory of each kind of process per stage (`devtools/memory.py`: this
process, dbt, the generator's workers, the PostgreSQL server) go to
`$FDI_HOME/bench/dbt.json`.
"""
from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import multiprocessing as mp
import os
import resource
import secrets
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse.settings import Settings


@dataclass
class StageResult:
    stage: str
    rows: int
    seconds: float
    peak_rss_mib: float
    # CPU of the stage's own process, every thread (not the server's): steadier
    # than seconds on a shared machine, where a stage waits for a core.
    cpu_seconds: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _child(fn: Callable, args: tuple, queue) -> None:
    # Imports and per-process caches are paid once per process in real runs
    # too (a run loads many deliveries); keep them off the clock so the stage
    # times the work on the rows. Each is listed with the reason it is here.
    import pandas  # noqa: F401  (pyarrow imports it lazily on the first compute call with a Python scalar)
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401

    import pipelines.lib.ingest  # noqa: F401
    from sources.checks import country_codes, currency_codes
    from sources.contract import all_datasets

    all_datasets(), country_codes(), currency_codes()  # the contract YAML, ISO 3166 and ISO 4217 tables
    if fn.__name__ == "_stage_gx":  # GX's import (~3 s) is paid once per run process
        from pipelines.lib.gx_validation import _gx

        _gx()
    started, cpu = time.perf_counter(), time.process_time()
    rows = fn(*args)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((rows, seconds, peak, cpu))


def _in_process(stage: str, fn: Callable, *args, repeat: int = 1,
                before: Callable[[], None] | None = None) -> StageResult:
    """Run a stage `repeat` times, each in a fresh process; keep the median run.

    A single run of a sub-second stage swings by ±40 % on a shared 2-core
    machine, so one figure says little; the median of a few is steadier.
    `before` runs ahead of each run, off the clock, to give every run the same
    starting state.
    """
    ctx = mp.get_context("spawn")
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(fn, args, queue))
        proc.start()
        rows, seconds, peak, cpu = queue.get()
        proc.join()
        if proc.exitcode:
            raise RuntimeError(f"bench stage {stage} failed (exit {proc.exitcode})")
        runs.append(StageResult(stage, rows, seconds, peak, cpu))
    runs.sort(key=lambda r: r.seconds)
    median = runs[len(runs) // 2]
    median.peak_rss_mib = max(r.peak_rss_mib for r in runs)
    return median


# -- stages (top-level functions: they run in spawned processes) -----------------
def _stage_generate(out: str, enterprises: int, year: int, months: int, seed: int, rows: int | None) -> int:
    from sources.synthetic import customs
    from sources.synthetic.defects import DefectPlanter
    from sources.synthetic.generator import build_economy
    from sources.synthetic.truth import Truth

    economy = build_economy(seed, enterprises, (year, year))
    truth = Truth(Path(out) / "_truth")
    planter = DefectPlanter(Path(out), truth, seed, 0.0)
    periods = [f"{year}-{m:02d}" for m in range(1, months + 1)]
    if rows is None:
        customs.generate(economy, planter, periods)
    else:  # a synthetic month of exactly `rows` lines: the economy's trade, cycled
        period = periods[-1]
        planter.deliver(customs.DECLARATIONS, period, dt.datetime(year, months, 28, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))),
                        rows=lambda: _cycled_lines(economy, year, months, rows), key_of=lambda r: "", owner_of=None,
                        allow_faults=False)
    truth.close()
    return sum(json.loads(p.read_text())["files"][0]["rows"] for p in Path(out).glob("customs/declarations/*/manifest.json"))


def _cycled_lines(economy, year: int, month: int, rows: int) -> Iterator[dict]:
    from sources.synthetic import customs

    produced, cycle = 0, 0
    while produced < rows:
        for row in customs.month_lines(economy, year, 1 + (month - 1 + cycle) % 12):
            # Moved into the benchmark month, renumbered so keys stay unique.
            day = min(row["registered_on"].day, 28)
            row["registered_on"] = dt.date(year, month, day)
            row["declaration_no"] = f"{cycle % 10}{row['declaration_no'][1:]}"
            yield row
            produced += 1
            if produced >= rows:
                return
        cycle += 1


def _stage_parse(folder: str) -> int:
    from sources import formats
    from sources.delivery import Delivery

    delivery = Delivery.open(Path(folder))
    n = 0
    for entry in delivery.manifest.files:
        path = Path(folder) / entry.name
        header = formats.read_header(path, delivery.dataset.format)
        for batch in formats.read_csv(path, delivery.dataset.format, header):
            n += batch.num_rows
    return n


def _stage_validate(folder: str) -> int:
    from sources.delivery import Delivery

    delivery = Delivery.open(Path(folder))
    return sum(b.rows_in for b in delivery.batches())


def _stage_ingest(conninfo: str, folders: list[str]) -> int:
    from pipelines.lib.ingest import ingest_delivery

    n = 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for folder in folders:
            result = ingest_delivery(conn, Path(folder), force=True)
            n += result.rows_loaded + result.rows_quarantined
    return n


def _stage_gx(url: str, host: str, port: int, user: str, dbname: str, delivery_ids: list[str],
              full: bool = False) -> int:
    from pipelines.lib.gx_validation import validate_deliveries
    from sources.contract import dataset
    from warehouse.server import Connection

    outcome = validate_deliveries(Connection(host, port, user, "", dbname), dataset("customs", "declarations"),
                                  delivery_ids, full=full)
    if not outcome.success:
        raise RuntimeError(f"GX suite failed on bench data: {outcome.failed}")
    return outcome.rows


def _empty_bench_tables(conninfo: str) -> None:
    """Every ingest run starts from an empty raw table and audit, as the first
    load of a month does: a forced re-load would first delete the previous
    run's million rows and time that too. Raw customs keeps a partition per
    delivery: those go too, so each run makes its delivery's partition as a
    first load does."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("truncate raw_customs.declarations, audit.deliveries, audit.quarantine, audit.repairs")
        for (partition,) in conn.execute("select inhrelid::regclass::text from pg_inherits "
                                         "where inhparent = 'raw_customs.declarations'::regclass").fetchall():
            conn.execute(sql.SQL("drop table {}").format(sql.SQL(partition)))  # regclass text: quoted already


def _stage_bare_copy(conninfo: str, csv_path: str) -> int:
    from pipelines.lib.ingest import raw_table
    from sources.contract import dataset
    from warehouse.bootstrap import PG_TYPES

    table = raw_table(dataset("customs", "declarations"))
    cols = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[t])) for c, t in table.columns)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("drop table if exists public.bench_bare_copy")
        conn.execute(sql.SQL("create table public.bench_bare_copy ({})").format(cols))
        with conn.cursor() as cur, open(csv_path, "rb") as handle:
            with cur.copy("copy public.bench_bare_copy from stdin (format csv, header true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        n = conn.execute("select count(*) from public.bench_bare_copy").fetchone()[0]
        conn.execute("drop table public.bench_bare_copy")
    return n


# -- driver ------------------------------------------------------------------------
def run_bench(settings: Settings, enterprises: int, months: int, rows: int | None, seed: int,
              progress: Callable[[str], None] = print, repeat: int = 3) -> dict:
    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap
    from warehouse.server import connect_info

    work = settings.home / "bench"
    landing = work / "landing"
    shutil.rmtree(landing, ignore_errors=True)  # only ours: dbt.json of `--dbt` stays
    work.mkdir(parents=True, exist_ok=True)
    year = 2024
    results: list[StageResult] = []
    load_before = os.getloadavg()[0]

    progress(f"generating customs declarations: {enterprises} enterprises, "
             + (f"{rows:,} synthetic lines in one month" if rows else f"{months} month(s)"))
    results.append(_in_process("generate", _stage_generate, str(landing), enterprises, year, months, seed, rows))
    folders = sorted(str(p.parent) for p in landing.glob("customs/declarations/*/manifest.json"))
    biggest = max(folders, key=lambda f: json.loads((Path(f) / "manifest.json").read_text())["files"][0]["rows"])
    progress(f"{results[0].rows:,} lines in {len(folders)} delivery(ies); stages run on {Path(biggest).name} "
             "unless noted")

    server = connect_info(settings)
    bench_db = "fdi_bench"
    with psycopg.connect(server.for_database("postgres").conninfo, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{bench_db}" with (force)')
        admin.execute(f'create database "{bench_db}"')
    conn = server.for_database(bench_db)
    try:
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            bootstrap(pg, raw_tables())
        manifest = json.loads((Path(biggest) / "manifest.json").read_text())
        csv_path = work / "declarations.csv"
        with gzip.open(Path(biggest) / manifest["files"][0]["name"], "rb") as src, open(csv_path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

        empty = functools.partial(_empty_bench_tables, conn.conninfo)
        gx_args = (conn.url, conn.host, conn.port, conn.user, conn.dbname, [manifest["delivery_id"]])
        for stage, fn, args, before in (
            ("parse", _stage_parse, (biggest,), None),
            ("validate", _stage_validate, (biggest,), None),
            ("ingest", _stage_ingest, (conn.conninfo, [biggest]), empty),
            ("gx", _stage_gx, gx_args, None),
            ("gx_full", _stage_gx, (*gx_args, True), None),
            ("bare_copy", _stage_bare_copy, (conn.conninfo, str(csv_path)), None),
        ):
            # The full suite is slow and steady; the shorter stages are the noisy ones.
            runs = 1 if stage == "gx_full" else repeat
            progress(f"stage {stage}" + (f" (median of {runs} runs)" if runs > 1 else ""))
            results.append(_in_process(stage, fn, *args, repeat=runs, before=before))
        if len(folders) > 1:
            progress(f"stage ingest_all ({len(folders)} monthly deliveries)")
            results.append(_in_process("ingest_all", _stage_ingest, conn.conninfo, folders, before=empty))
    finally:
        with psycopg.connect(server.for_database("postgres").conninfo, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{bench_db}" with (force)')

    by = {r.stage: r for r in results}
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "enterprises": enterprises, "months": months, "synthetic_rows": rows, "repeat": repeat,
        "stages": [{**asdict(r), "rows_per_s": round(r.rows_per_s)} for r in results],
        "ingest_vs_bare_copy": round(by["ingest"].rows_per_s / by["bare_copy"].rows_per_s, 3),
        # The same rows: bare COPY time over the time from delivery to validated rows.
        "delivery_to_validated_s": round(by["ingest"].seconds + by["gx"].seconds, 2),
        "delivery_to_validated_vs_bare_copy": round(
            by["bare_copy"].seconds / (by["ingest"].seconds + by["gx"].seconds), 3),
        # The machine's 1-minute load average when the run began and ended (the stages share its cores).
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }
    (work / "last.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(landing, ignore_errors=True)
    csv_path.unlink(missing_ok=True)
    return report


def format_report(report: dict) -> str:
    lines = [f"{'stage':<12}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'cpu s':>8}{'peak MiB':>10}"]
    for s in report["stages"]:
        lines.append(f"{s['stage']:<12}{s['rows']:>12,}{s['seconds']:>10.2f}{s['rows_per_s']:>12,}"
                     f"{s.get('cpu_seconds', 0):>8.2f}{s['peak_rss_mib']:>10.0f}")
    by = {s["stage"]: s for s in report["stages"]}
    load = report["load_avg_1m"]
    load = load if isinstance(load, list) else [load, load]
    lines.append(f"ingest speed / bare COPY speed: {report['ingest_vs_bare_copy']:.0%}")
    if "delivery_to_validated_vs_bare_copy" in report:
        lines.append(f"delivery-to-validated: ingest {by['ingest']['seconds']:.2f} s + blocking GX check "
                     f"{by['gx']['seconds']:.2f} s = {report['delivery_to_validated_s']:.2f} s, against bare COPY "
                     f"{by['bare_copy']['seconds']:.2f} s: {report['delivery_to_validated_vs_bare_copy']:.0%} "
                     "of bare COPY speed")
    lines.append(f"1-minute load average: {load[0]:.1f} at the start, {load[1]:.1f} at the end, "
                 f"on {report.get('cpus', os.cpu_count())} cores")
    return "\n".join(lines)


# -- dbt: a full build at scale, then one new month ---------------------------------
DBT_BENCH_DATABASE = "fdi_bench_dbt"


class BenchFailed(RuntimeError):
    pass


def hold_back_last_month(landing: Path, held: Path, not_due: Path) -> tuple[str, list[str]]:
    """Move the last month of every monthly dataset from `landing` to `held`, and the annual deliveries of
    that month's year to `not_due`; return the month and the annual deliveries moved ("agency/dataset/year").

    The first load then ends a month early and the month arrives after the
    full build, as a month's deliveries reach the monthly schedule. December's
    build runs in January, before the year's annual deliveries, which report on
    a year that has ended (a CIT finalisation is due by the end of March):
    loaded early, an annual delivery would count as the year's
    December in `marts.dataset_coverage` and make December due and missing in
    every monthly dataset at the full build (docs/build-performance.md).
    """
    from sources.contract import all_datasets

    grain = {(ds.agency, ds.name): ds.grain for ds in all_datasets()}
    folders = [f for f in landing.glob("*/*/*") if f.is_dir() and (f.parent.parent.name, f.parent.name) in grain]
    month = max(f.name for f in folders if grain[f.parent.parent.name, f.parent.name] == "month")
    annual = []
    for folder in folders:
        dataset_grain = grain[folder.parent.parent.name, folder.parent.name]
        if dataset_grain == "month" and folder.name == month:
            target = held / folder.relative_to(landing)
        elif dataset_grain == "year" and folder.name == month[:4]:
            target = not_due / folder.relative_to(landing)
            annual.append(folder.relative_to(landing).as_posix())
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, target)
    return month, sorted(annual)


def transaction_marker(conninfo: str) -> int:
    """A transaction id issued before a build: rows whose xmin is at or after it were written by the build."""
    with psycopg.connect(conninfo, autocommit=True) as pg:
        return pg.execute("select pg_current_xact_id()::text::bigint % 4294967296").fetchone()[0]


def customs_rows_written(conninfo: str, since_xid: int, relation: str = "marts.fct_customs_lines") -> dict:
    """What a build wrote to a table incremental on period (by default marts.fct_customs_lines), read from
    the rows' xmin (exact, no statistics lag)."""
    with psycopg.connect(conninfo, autocommit=True) as pg:
        by_period = pg.execute(sql.SQL("""
            select period, count(*), count(*) filter (where xmin::text::bigint >= %s)
            from {} group by period order by period""").format(sql.Identifier(*relation.split("."))),
            (since_xid,)).fetchall()
    return {"rows_total": sum(n for _, n, _ in by_period),
            "rows_written": sum(w for _, _, w in by_period),
            "periods_total": len(by_period),
            "periods_written": {p: w for p, _, w in by_period if w},
            "rows_by_period": {p: n for p, n, _ in by_period}}


def _dbt_run_results(run_id: str) -> dict:
    """dbt's own account of a build: elapsed time, node statuses, the slowest nodes."""
    from pipelines.lib.dbt_project import run_target

    path = run_target(run_id) / "run_results.json"
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    results = doc["results"]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    customs = next((r for r in results if r["unique_id"] == "model.fdi.fct_customs_lines"), None)
    return {
        "dbt_elapsed_s": round(doc["elapsed_time"], 2),
        "nodes": len(results),
        "statuses": statuses,
        "slowest": [{"node": r["unique_id"].split(".", 2)[2], "kind": r["unique_id"].split(".")[0],
                     "seconds": round(r["execution_time"], 2)}
                    for r in sorted(results, key=lambda r: -r["execution_time"])[:10]],
        "node_seconds_by_folder": _node_seconds_by_folder(results, path.with_name("manifest.json")),
        "node_seconds": {r["unique_id"]: round(r["execution_time"], 3) for r in results},
        "longest_chain": _longest_chain(results, path.with_name("manifest.json")),
        "thread_idle_s": _thread_idle_seconds(results),
        "outside_sql": outside_sql(results, sql_seconds_by_node(path.with_name("dbt.log"))),
        "fct_customs_lines_s": round(customs["execution_time"], 2) if customs else None,
        # the last statement of delete+insert is the insert: the rows dbt says it inserted
        "fct_customs_lines_rows_affected": (customs or {}).get("adapter_response", {}).get("rows_affected"),
    }


def sql_seconds_by_node(log_path: Path) -> dict[str, float]:
    """The time each node's SQL statements took, from dbt's JSON log of the build (`SQLQueryStatus` events,
    matched to the node running on the same thread): with the node's execution time, what dbt itself spends
    around the statements. Empty when the log is not there or not JSON.

    dbt rotates its log at 10 MB (dbt.log.1 the newest of the older parts, then .2, ...), which a build of
    every node writes past, so the parts are read oldest first and the log ends in `log_path`."""
    running: dict[str, str] = {}
    seconds: dict[str, float] = {}
    rotated = sorted((p for p in log_path.parent.glob(log_path.name + ".*") if p.suffix[1:].isdigit()),
                     key=lambda p: -int(p.suffix[1:]))
    for part in [*rotated, log_path] if log_path.exists() else rotated:
        _add_sql_seconds(part, running, seconds)
    return seconds


def _add_sql_seconds(part: Path, running: dict[str, str], seconds: dict[str, float]) -> None:
    with part.open(encoding="utf-8") as log:
        for line in log:
            try:
                event = json.loads(line)
                name, thread, data = event["info"]["name"], event["info"]["thread"], event["data"]
            except (ValueError, KeyError, TypeError):
                continue
            if name == "NodeStart":
                running[thread] = data["node_info"]["unique_id"]
            elif name == "NodeFinished":
                running.pop(thread, None)
            elif name == "SQLQueryStatus" and thread in running:
                uid = running[thread]
                seconds[uid] = seconds.get(uid, 0.0) + float(data.get("elapsed") or 0.0)


def outside_sql(results: list[dict], sql_seconds: dict[str, float]) -> dict | None:
    """Node time spent outside the nodes' SQL (dbt's rendering, its adapter's cache, the run's events), per
    model and per data test: a fixed cost per node that only fewer nodes cut. None without the SQL's times."""
    if not sql_seconds:
        return None
    out = {"node_s": 0.0, "sql_s": 0.0, "models": 0, "models_outside_sql_s": 0.0, "tests": 0,
           "tests_outside_sql_s": 0.0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        sql = sql_seconds.get(r["unique_id"], 0.0)
        out["node_s"] += r["execution_time"]
        out["sql_s"] += sql
        if kind in ("model", "test"):
            out[f"{kind}s"] += 1
            out[f"{kind}s_outside_sql_s"] += max(0.0, r["execution_time"] - sql)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def _node_seconds_by_folder(results: list[dict], manifest_path: Path) -> dict[str, float]:
    """Node time (summed over dbt's threads) per model folder (staging, intermediate, marts, risk, fis, kpi),
    a test counted with the model it tests and under "tests: <folder>": where a build spends its time."""
    if not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text())["nodes"]

    def folder(unique_id: str) -> str:
        node = nodes.get(unique_id, {})
        parts = Path(node.get("original_file_path", "")).parts
        return parts[1] if len(parts) > 2 and parts[0] == "models" else node.get("resource_type", "other")

    seconds: dict[str, float] = {}
    for r in results:
        uid, kind = r["unique_id"], r["unique_id"].split(".")[0]
        if kind == "test":
            tested = nodes.get(uid, {}).get("attached_node") or next(
                (d for d in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []) if d.startswith("model.")), "")
            label = f"tests: {folder(tested)}" if tested else "tests: other"
        elif kind == "model":
            label = folder(uid)
        else:
            label = kind
        seconds[label] = round(seconds.get(label, 0.0) + r["execution_time"], 2)
    return dict(sorted(seconds.items(), key=lambda kv: -kv[1]))


# A model "pays the floor" when its month costs at most this much more than the same build with nothing new, and
# "does the month's work" when its month costs at most this share of its full build (a month of two years is 4 %;
# a model rebuilding its year or its whole table pays 50-100 %).
FLOOR_MARGIN_S = 0.2
MONTH_SHARE = 0.3


def month_by_what_it_pays(full: dict[str, float], month: dict[str, float], floor: dict[str, float]) -> list[dict]:
    """The month's node time split by what each node pays for, from each node's time in the three builds (full,
    the month, nothing new): the models that cost the floor whatever the month brings, those whose month is the
    month's work, those that rebuild a year or a whole table for it, the data tests and the rest (hooks, seeds,
    snapshots). The middle two name their models: they are few, and they are where the month's data goes."""
    kinds = {"floor": "models costing what a build with nothing new costs",
             "month": f"models whose month is at most {MONTH_SHARE:.0%} of their full build",
             "year": "models whose month is more (a year or the whole table rebuilt)",
             "tests": "data tests", "other": "hooks, seeds, snapshots"}
    rows = {k: {"kind": k, "label": label, "nodes": 0, "full_s": 0.0, "month_s": 0.0, "nothing_new_s": 0.0,
                "models": []} for k, label in kinds.items()}
    for uid, seconds in month.items():
        resource = uid.split(".")[0]
        if resource == "model":
            was, idle = full.get(uid, 0.0), floor.get(uid, 0.0)
            kind = ("floor" if seconds - idle <= FLOOR_MARGIN_S
                    else "month" if was and seconds / was <= MONTH_SHARE else "year")
        else:
            kind = "tests" if resource == "test" else "other"
        row = rows[kind]
        row["nodes"] += 1
        row["full_s"] += full.get(uid, 0.0)
        row["month_s"] += seconds
        row["nothing_new_s"] += floor.get(uid, 0.0)
        if kind in ("month", "year"):
            row["models"].append((uid.split(".", 2)[2], seconds))
    for row in rows.values():
        row["models"] = [name for name, _ in sorted(row["models"], key=lambda m: -m[1])]
        for key in ("full_s", "month_s", "nothing_new_s"):
            row[key] = round(row[key], 1)
    return [row for row in rows.values() if row["nodes"]]


def _node_span(result: dict) -> tuple[dt.datetime, dt.datetime] | None:
    """When a node started (its compile) and ended (its execute), from run_results.json's timing."""
    times = [(dt.datetime.fromisoformat(t["started_at"]), dt.datetime.fromisoformat(t["completed_at"]))
             for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
    return (min(a for a, _ in times), max(b for _, b in times)) if times else None


def _longest_chain(results: list[dict], manifest_path: Path) -> list[dict]:
    """The chain that set the build's length on dbt's threads, from its first node to the last node to end.

    From the node that ended last, each step goes back to the upstream node that ended last before it
    started: a parent, or a test of a parent (`dbt build` runs a model's tests before its children).
    The nodes of this chain run one after another whatever the threads; a faster node elsewhere shortens
    nothing. `waited_s` is the time a node waited after its last upstream ended (for a thread)."""
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text())["nodes"]
    # the project's hooks (operation nodes) run on dbt's main thread before and after every node
    spans = {r["unique_id"]: span for r in results
             if not r["unique_id"].startswith("operation.") and (span := _node_span(r))}
    if not spans:
        return []
    tests_of: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") == "test":
            for parent in node.get("depends_on", {}).get("nodes", []):
                tests_of.setdefault(parent, []).append(uid)

    @functools.cache
    def ancestors(uid: str) -> frozenset[str]:
        parents = nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])
        return frozenset(parents).union(*(ancestors(p) for p in parents))

    def upstream(uid: str) -> list[str]:
        parents = nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])
        # dbt build holds a node back for a parent's test only when the node is downstream of all the test reads
        tests = [] if uid.startswith("test.") else [
            t for p in parents for t in tests_of.get(p, [])
            if set(nodes[t]["depends_on"]["nodes"]) <= ancestors(uid)]
        return [u for u in parents + tests if u in spans]

    chain, current = [], max(spans, key=lambda u: spans[u][1])
    slack = dt.timedelta(seconds=0.05)  # a child's start is logged a hair before its parent's end
    while current:
        start, end = spans[current]
        # an upstream node ended before this one started (give or take the slack) and before it ended
        before = [u for u in upstream(current) if spans[u][1] <= start + slack and spans[u][1] < end]
        previous = max(before, key=lambda u: spans[u][1]) if before else None
        chain.append({"node": current.split(".", 2)[2], "seconds": round((end - start).total_seconds(), 2),
                      "waited_s": round(max((start - spans[previous][1]).total_seconds(), 0.0), 2) if previous else 0.0})
        current = previous
    return chain[::-1]


def _thread_idle_seconds(results: list[dict]) -> float:
    """Time dbt's worker threads stood idle between the build's first start and last end, summed over
    threads: what the nodes' dependencies and order, not their work, cost."""
    spans = [(r.get("thread_id", ""), span) for r in results
             if not r["unique_id"].startswith("operation.") and (span := _node_span(r))]
    workers = {t for t, _ in spans}
    if not workers:
        return 0.0
    first = min(a for _, (a, _) in spans)
    last = max(b for _, (_, b) in spans)
    busy = sum((b - a).total_seconds() for _, (a, b) in spans)
    return round(len(workers) * (last - first).total_seconds() - busy, 1)


def _timed_build(dagster, conninfo: str, say: Callable[[str], None]) -> dict:
    from pipelines.run import build_warehouse

    since = transaction_marker(conninfo)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    result = build_warehouse(dagster)
    seconds = time.perf_counter() - started
    figures = {"seconds": round(seconds, 2), "success": result.success,
               "load_avg_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
               **_dbt_run_results(result.run_id), "fct_customs_lines": customs_rows_written(conninfo, since)}
    say(f"dbt build {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s "
        f"(dbt's own {figures.get('dbt_elapsed_s', '?')} s)")
    return figures


def _dbt_bench_child(work: str, db_url: str, enterprises: int, years: tuple[int, int], seed: int,
                     report_path: str) -> None:
    """The whole dbt benchmark in its own process: its environment points every layer at the bench database."""
    work_dir, report_file = Path(work), Path(report_path)
    os.environ.update({"FDI_HOME": str(work_dir / "home"), "FDI_DATABASE_URL": db_url,
                       "FDI_PSEUDONYM_KEY_FILE": str(work_dir / "pseudonym.key")})
    for var in ("FDI_LANDING", "FDI_DAGSTER_STORAGE_URL"):  # the bench's runs stay out of the user's Dagster
        os.environ.pop(var, None)
    from devtools.memory import PeakMemory
    from pipelines.run import InProcess, run_pipeline
    from sources.synthetic.generator import GenerateOptions, generate
    from warehouse.server import connect_info

    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"· [{time.perf_counter() - started:7.0f} s] {message}", flush=True)

    report: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "enterprises": enterprises, "years": list(years), "seed": seed, "defects": 0.0,
                    "cpus": os.cpu_count(), "reached": "start"}

    def save(reached: str) -> None:
        report["reached"] = reached
        report_file.write_text(json.dumps(report, indent=2) + "\n")

    settings = Settings.from_env()
    conninfo = connect_info(settings).conninfo
    economy = work_dir / "economy"
    say(f"generating {enterprises:,} enterprises, every agency, {years[0]}-{years[1]}, no defects")
    t = time.perf_counter()
    generate(GenerateOptions(out=economy, enterprises=enterprises, years=years, seed=seed, defects=0.0))
    report["generate_s"] = round(time.perf_counter() - t, 1)
    # No sampling thread here: the generator forks its month workers only from a process without other
    # threads. Its peaks are the kernel's: this process, and the largest worker it waited for.
    report["memory_mib"] = {"generate": {
        "bench_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "generator_workers": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}}
    peaks = PeakMemory(conninfo)
    month, not_due = hold_back_last_month(economy, work_dir / "new_month", work_dir / "not_due")
    report["new_month"], report["annual_not_due"] = month, not_due
    save("generated")

    say(f"loading every delivery but {month}'s monthly ones and {month[:4]}'s annual ones, which come after "
        f"the year and never here: {', '.join(not_due) or 'none'} (fdi run --no-dbt)")
    t = time.perf_counter()
    with peaks.stage("ingest"):
        outcome = run_pipeline(economy, run_dbt=False, progress=say)
    report["ingest_s"] = round(time.perf_counter() - t, 1)
    if outcome.failed_checks:
        raise RuntimeError(f"contract suites failed for {outcome.failed_checks}; no build to time")
    with psycopg.connect(conninfo, autocommit=True) as pg:
        report["raw_rows"] = pg.execute(
            "select sum(rows_loaded)::bigint from audit.deliveries where status = 'loaded'").fetchone()[0]
    save("loaded")

    dagster = InProcess.load(settings)  # definitions and the dbt manifest, off the clock
    say("full dbt build")
    with peaks.stage("full_build"):
        report["full_build"] = _timed_build(dagster, conninfo, say)
    report["memory_mib"].update(peaks.report)
    with psycopg.connect(conninfo, autocommit=True) as pg:
        report["database_mib_after_full_build"] = round(
            pg.execute("select pg_database_size(current_database())").fetchone()[0] / 2**20)
    save("full_build")

    # The month's build runs weeks after the last build, on tables autovacuum has been through since
    # (insert-triggered, a minute after a bulk write). Run seconds after the full build, it would first pay
    # for the full build's fresh writes: every tuple's hint bits and an empty visibility map.
    say("vacuum, as autovacuum does in the month between two builds")
    t = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as pg:
        pg.execute("vacuum")
    report["vacuum_s"] = round(time.perf_counter() - t, 1)
    save("vacuumed")

    say(f"delivering {month} of every monthly dataset")
    t = time.perf_counter()
    with peaks.stage("ingest_new_month"):
        outcome = run_pipeline(work_dir / "new_month", run_dbt=False, progress=say)
    report["ingest_new_month_s"] = round(time.perf_counter() - t, 1)
    if outcome.failed_checks:
        raise RuntimeError(f"contract suites failed for {outcome.failed_checks} in {month}")
    save("new_month_loaded")

    say("incremental dbt build (the monthly_transform run)")
    with peaks.stage("incremental_build"):
        incremental = report["incremental_build"] = _timed_build(dagster, conninfo, say)
    report["memory_mib"].update(peaks.report)
    full = report["full_build"]
    written = incremental["fct_customs_lines"]
    new_rows = written["rows_by_period"].get(month, 0)
    report["incremental_vs_full"] = round(incremental["seconds"] / full["seconds"], 3)
    if full.get("dbt_elapsed_s") and incremental.get("dbt_elapsed_s"):
        report["incremental_vs_full_dbt_elapsed"] = round(incremental["dbt_elapsed_s"] / full["dbt_elapsed_s"], 3)
    report["customs_incremental"] = {
        "new_month_rows": new_rows,
        "rows_written": written["rows_written"],
        "rows_total": written["rows_total"],
        "periods_written": sorted(written["periods_written"]),
        "only_new_month": set(written["periods_written"]) == {month} and written["rows_written"] == new_rows,
    }
    save("incremental_build")

    # The floor under the month's build: the same build with nothing delivered since. What the month's
    # build costs above it is what the month's data costs; the floor is what every build pays (the models
    # still rebuilt whole, the tests, dbt's own work per node), whatever the month holds.
    say("the same build again, nothing delivered since (the floor under a month's build)")
    report["nothing_new_build"] = _timed_build(dagster, conninfo, say)
    with psycopg.connect(conninfo, autocommit=True) as pg:
        report["database_mib"] = round(pg.execute("select pg_database_size(current_database())").fetchone()[0] / 2**20)
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    save("done")


def run_dbt_bench(settings: Settings, enterprises: int, years: tuple[int, int], seed: int,
                  progress: Callable[[str], None] = print, keep_database: bool = False, runs: int = 1) -> dict:
    """Full `dbt build` at scale, then the incremental build of one new month; see the module docstring.

    runs > 1 repeats the whole bench (a fresh database and economy each time) and adds each run's build
    times and their median ratios to the last run's report (`run_ratios`): on this shared machine one run's
    month / full ratio swings by several points (docs/build-performance.md). keep_database leaves the bench
    database as the last build left it, to read a node's plan on it (`explain analyze` of its compiled
    SQL); the next bench drops it."""
    ratios = []
    for run in range(1, runs + 1):
        if runs > 1:
            progress(f"run {run} of {runs}")
        report = _one_dbt_bench(settings, enterprises, years, seed, progress, keep_database and run == runs)
        ratios.append(build_ratios(report))
    if runs > 1:
        report["run_ratios"] = ratios
        dbt_report_path(settings).write_text(json.dumps(report, indent=2) + "\n")
    return report


def dbt_report_path(settings: Settings) -> Path:
    """Where the dbt bench writes its report: each run as it goes, the runs' ratios after the last."""
    return settings.home / "bench" / "dbt.json"


def build_ratios(report: dict) -> dict:
    """One run's three builds (wall seconds, dbt's own) and the month's and the floor's share of the full build."""
    full, month, floor = report["full_build"], report["incremental_build"], report.get("nothing_new_build")
    row = {"full_s": full["seconds"], "month_s": month["seconds"], "month_vs_full": month["seconds"] / full["seconds"]}
    if full.get("dbt_elapsed_s") and month.get("dbt_elapsed_s"):
        row["month_vs_full_dbt_elapsed"] = month["dbt_elapsed_s"] / full["dbt_elapsed_s"]
    if floor:
        row |= {"nothing_new_s": floor["seconds"], "floor_vs_full": floor["seconds"] / full["seconds"]}
    return row


def _one_dbt_bench(settings: Settings, enterprises: int, years: tuple[int, int], seed: int,
                   progress: Callable[[str], None], keep_database: bool) -> dict:
    from warehouse.server import connect_info

    bench = settings.home / "bench"
    work = bench / "dbt"
    report_path = dbt_report_path(settings)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report_path.unlink(missing_ok=True)
    key = work / "pseudonym.key"
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    server = connect_info(settings)
    with psycopg.connect(server.for_database("postgres").conninfo, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{DBT_BENCH_DATABASE}" with (force)')
        admin.execute(f'create database "{DBT_BENCH_DATABASE}"')
    progress(f"bench database {DBT_BENCH_DATABASE}, work folder {work}")
    try:
        proc = mp.get_context("spawn").Process(
            target=_dbt_bench_child,
            args=(str(work), server.for_database(DBT_BENCH_DATABASE).url, enterprises, years, seed, str(report_path)))
        proc.start()
        proc.join()
    finally:
        if keep_database:
            progress(f"kept database {DBT_BENCH_DATABASE}: {server.for_database(DBT_BENCH_DATABASE).url}")
        else:
            with psycopg.connect(server.for_database("postgres").conninfo, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{DBT_BENCH_DATABASE}" with (force)')
        shutil.rmtree(work, ignore_errors=True)
    report = json.loads(report_path.read_text()) if report_path.exists() else {"reached": "start"}
    if proc.exitcode:
        raise BenchFailed(f"the dbt bench failed after stage '{report['reached']}' (exit {proc.exitcode}); "
                           f"figures so far in {report_path}")
    return report


def format_dbt_report(report: dict) -> str:
    full, inc = report["full_build"], report["incremental_build"]
    customs = report["customs_incremental"]
    lines = [
        f"economy: {report['enterprises']:,} enterprises, {report['years'][0]}-{report['years'][1]}, every agency; "
        f"{report['raw_rows']:,} raw rows; new month {report['new_month']}"
        # reports saved before the last year's annual deliveries were held back loaded them: say nothing
        + (f"; not delivered (annual, due after the year): {', '.join(report['annual_not_due']) or 'none'}"
           if "annual_not_due" in report else ""),
        f"generate {report['generate_s']:.0f} s, ingest {report['ingest_s']:.0f} s, "
        # reports saved before the vacuum step have no vacuum_s: say nothing rather than 0 s
        + (f"vacuum after the full build {report['vacuum_s']:.0f} s, " if "vacuum_s" in report else "")
        + f"ingest of the new month {report['ingest_new_month_s']:.0f} s",
        f"{'build':<14}{'seconds':>9}{'dbt s':>9}{'nodes':>7}  load avg (1 min) before/after  slowest nodes",
    ]
    # reports saved before the nothing-new build have no floor
    runs = [("full", full), ("incremental", inc)] + (
        [("nothing new", report["nothing_new_build"])] if "nothing_new_build" in report else [])
    for label, run in runs:
        slowest = ", ".join(f"{n['node'].split('.')[0]} {n['seconds']:.0f}" for n in run.get("slowest", [])[:4])
        lines.append(f"{label:<14}{run['seconds']:>9.1f}{run.get('dbt_elapsed_s', 0):>9.1f}{run.get('nodes', 0):>7}"
                     f"  {run['load_avg_1m'][0]:.1f}/{run['load_avg_1m'][1]:.1f}"
                     f"{'' if run['success'] else '  FAILED'}  {slowest}")
    lines.append(f"incremental / full: {report['incremental_vs_full']:.0%} (dbt's own elapsed: "
                 f"{report.get('incremental_vs_full_dbt_elapsed', 0):.0%})")
    if "nothing_new_build" in report:
        floor = report["nothing_new_build"]["seconds"]
        lines.append(f"nothing new / full: {floor / full['seconds']:.0%}; the month's data costs "
                     f"{inc['seconds'] - floor:.1f} s above the floor ({(inc['seconds'] - floor) / full['seconds']:.0%} "
                     "of the full build)")
    if len(runs_of := report.get("run_ratios", [])) > 1:
        for number, row in enumerate(runs_of, 1):
            lines.append(f"run {number}: full {row['full_s']:.1f} s, the month {row['month_s']:.1f} s"
                         + (f", nothing new {row['nothing_new_s']:.1f} s" if "nothing_new_s" in row else "")
                         + f"; incremental / full {row['month_vs_full']:.0%}"
                         + (f", nothing new / full {row['floor_vs_full']:.0%}" if "floor_vs_full" in row else ""))
        lines.append(f"median of {len(runs_of)} runs: incremental / full "
                     f"{statistics.median(r['month_vs_full'] for r in runs_of):.0%}"
                     + (f" (dbt's own elapsed: {statistics.median(r['month_vs_full_dbt_elapsed'] for r in runs_of):.0%})"
                        if all("month_vs_full_dbt_elapsed" in r for r in runs_of) else "")
                     + (f", nothing new / full {statistics.median(r['floor_vs_full'] for r in runs_of):.0%}"
                        if all("floor_vs_full" in r for r in runs_of) else "")
                     + f"; range {min(r['month_vs_full'] for r in runs_of):.0%}–"
                       f"{max(r['month_vs_full'] for r in runs_of):.0%}")
    for label, run in runs:
        folders = run.get("node_seconds_by_folder", {})
        total = sum(folders.values()) or 1
        lines.append(f"node time of the {label} build by folder (s, share of {total:.0f} s over dbt's threads): "
                     + ", ".join(f"{k} {v:.0f} ({v / total:.0%})" for k, v in folders.items()))
    # reports saved before each node's time was kept cannot split the month
    if all("node_seconds" in run for _, run in runs) and len(runs) == 3:
        lines.append("the month's node time by what it pays for (s: full build / the month / nothing new):")
        for row in month_by_what_it_pays(full["node_seconds"], inc["node_seconds"],
                                         report["nothing_new_build"]["node_seconds"]):
            share = (f" ({row['month_s'] / row['full_s']:.0%} of full)"
                     if row["kind"] in ("month", "year") and row["full_s"] else "")
            named = f": {', '.join(row['models'])}" if row["models"] else ""
            lines.append(f"  {row['label']}, {row['nodes']}: {row['full_s']:.1f} / {row['month_s']:.1f}{share} / "
                         f"{row['nothing_new_s']:.1f}{named}")
    for label, run in runs:
        # reports saved before the SQL's time was read from dbt's log have none: say nothing
        if out := run.get("outside_sql"):
            lines.append(
                f"outside SQL in the {label} build (dbt's own work around the statements): "
                f"{out['node_s'] - out['sql_s']:.1f} s of {out['node_s']:.1f} s of node time; "
                f"{out['models_outside_sql_s'] / max(1, out['models']):.2f} s a model ({out['models']}), "
                f"{out['tests_outside_sql_s'] / max(1, out['tests']):.2f} s a data test ({out['tests']})")
    for label, run in runs:
        lines.append(f"slowest ten nodes of the {label} build (s): "
                     + ", ".join(f"{n['node'].split('.')[0]} {n['seconds']:.1f}" for n in run.get("slowest", [])[:10]))
    for label, run in runs:
        # reports saved before the chain was measured have none: say nothing
        if run.get("longest_chain"):
            chain = run["longest_chain"]
            shown = [n for n in chain if n["seconds"] >= 0.5]
            lines.append(
                f"longest chain of the {label} build: {len(chain)} nodes, {sum(n['seconds'] for n in chain):.1f} s of "
                f"work and {sum(n['waited_s'] for n in chain):.1f} s waiting for a thread, of "
                f"{run.get('dbt_elapsed_s', 0):.1f} s; dbt's threads idle {run.get('thread_idle_s', 0):.1f} s; "
                "its nodes of half a second or more (s): "
                + " > ".join(f"{n['node'].split('.')[0]} {n['seconds']:.1f}" for n in shown))
    lines.append(f"database: {report.get('database_mib_after_full_build', 0):,} MiB after the full build, "
                 f"{report.get('database_mib', 0):,} MiB at the end")
    for stage, kinds in report.get("memory_mib", {}).items():
        lines.append(f"peak memory, {stage} (MiB): " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()))
    lines.append(f"fct_customs_lines in the incremental build: wrote {customs['rows_written']:,} of "
                 f"{customs['rows_total']:,} rows, periods {', '.join(customs['periods_written']) or 'none'}; "
                 f"the new month has {customs['new_month_rows']:,}: "
                 + ("only the new month was built" if customs["only_new_month"] else "MORE than the new month was built")
                 + f" ({inc.get('fct_customs_lines_s', 0) or 0:.1f} s vs {full.get('fct_customs_lines_s', 0) or 0:.1f} s in full)")
    return "\n".join(lines)
