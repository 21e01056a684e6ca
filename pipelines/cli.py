"""`fdi`: the command line of the FDI warehouse.

Every command reads the same settings (FDI_HOME, FDI_DATABASE_URL, ...). An
expected failure (no server, no landing folder, a bad option) ends with one
sentence on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from warehouse.settings import PROJECT_ROOT, Settings

ENV_HELP = """
\b
Configuration (environment):
  FDI_HOME                 project home: embedded database, Dagster storage,
                           secrets, outbox (default ./.fdi)
  FDI_DATABASE_URL         use this PostgreSQL >= 15 instead of the embedded one
  FDI_LANDING              landing folder watched by the sensor
                           (default $FDI_HOME/landing)
  FDI_DAGSTER_STORAGE_URL  keep Dagster runs in PostgreSQL instead of SQLite
  FDI_PSEUDONYM_KEY_FILE   key of the keyed hash for personal data
                           (default $FDI_HOME/secrets/pseudonym.key)
"""


class FdiGroup(click.Group):
    """Turns the project's expected errors into one clear sentence."""

    def invoke(self, ctx: click.Context):
        from pipelines.run import LandingMissing
        from sources.lib.faults import DeliveryFault
        from warehouse.bootstrap import BootstrapError
        from warehouse.server import WarehouseUnavailable

        try:
            return super().invoke(ctx)
        except (WarehouseUnavailable, BootstrapError, LandingMissing, DeliveryFault) as exc:
            click.secho(f"fdi: {exc}", fg="red", err=True)
            ctx.exit(2)


@click.group(cls=FdiGroup, help="Hải Phòng inter-agency FDI data warehouse (Decision 3055/QĐ-UBND).\n" + ENV_HELP)
@click.option("-v", "--verbose", is_flag=True, help="Log every quarantined row and load step (else rejections only).")
def main(verbose: bool) -> None:
    import logging

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("fdi").setLevel(logging.INFO if verbose else logging.ERROR)


def _settings() -> Settings:
    return Settings.from_env()


# -- database ----------------------------------------------------------------
@main.group(help="Start, stop and inspect the warehouse database.")
def db() -> None:
    pass


@db.command("start", help="Start the embedded PostgreSQL under FDI_HOME (or check FDI_DATABASE_URL) and bootstrap it: "
                          "schemas, roles, grants, extensions, audit and raw tables. Idempotent.")
def db_start() -> None:
    conn, missing = _bootstrap()
    if missing:
        click.echo(f"note: the server has no {', '.join(missing)} extension; the warehouse does not need it.")
    click.echo(f"warehouse ready: {conn.url}")


@db.command("stop", help="Stop the embedded PostgreSQL (no effect with FDI_DATABASE_URL).")
def db_stop() -> None:
    from warehouse.server import stop_embedded

    settings = _settings()
    if settings.database_url:
        click.echo("FDI_DATABASE_URL is set: that server is not ours to stop.")
        return
    click.echo("stopped" if stop_embedded(settings) else "the embedded server was not running")


@db.command("status", help="Say where the warehouse is and whether it is running.")
def db_status() -> None:
    from warehouse.server import embedded_status

    settings = _settings()
    if settings.database_url:
        from warehouse.server import connect_info

        conn = connect_info(settings)
        click.echo(f"external PostgreSQL reachable: {conn.url}")
        return
    status = embedded_status(settings)
    for key, value in status.items():
        click.echo(f"{key:>10}: {value}")


@db.command("url", help="Print the psql connection URL of the warehouse.")
def db_url() -> None:
    from warehouse.server import connect_info

    click.echo(connect_info(_settings()).url)


def _bootstrap():
    import psycopg

    from pipelines.ingest import raw_tables
    from warehouse.bootstrap import bootstrap
    from warehouse.server import connect_info

    settings = _settings()
    conn = connect_info(settings)
    settings.pseudonym_key(create=settings.embedded)
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        missing = bootstrap(pg, raw_tables())
    return conn, missing


# -- generate ------------------------------------------------------------------
def _years(_ctx, _param, value: str) -> tuple[int, int]:
    try:
        first, _, last = value.partition("-")
        years = (int(first), int(last or first))
    except ValueError:
        raise click.BadParameter("give a year or a range, e.g. 2024 or 2019-2024") from None
    if years[0] > years[1] or years[0] < 2010:
        raise click.BadParameter("the range must run forward and start in 2010 or later")
    return years


@main.command(help="Write a whole, coherent Hải Phòng economy as agency deliveries, in the landing layout of the "
                   "agreement (<out>/<agency>/<dataset>/<period>/ with manifests), and its ground truth in <out>/_truth/. "
                   "The same seed gives the same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into (the landing folder to pass to `fdi run`).")
@click.option("--enterprises", type=click.IntRange(1, 1_000_000), default=200, show_default=True,
              help="Number of enterprises, FDI and domestic.")
@click.option("--years", default="2023-2024", show_default=True, callback=_years,
              help="Year or range of years to deliver, e.g. 2019-2024.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed; fixes every byte of the output.")
@click.option("--defects", type=click.FloatRange(0, 0.5), default=None,
              help="Share of rows and deliveries given a known defect (README 'Known defects'); default 0.02.")
def generate(out: Path, enterprises: int, years: tuple[int, int], seed: int, defects: float | None) -> None:
    from sources.generator import DEFAULT_DEFECT_RATE, GenerateOptions, generate as run_generate

    options = GenerateOptions(out=out, enterprises=enterprises, years=years, seed=seed,
                              defects=DEFAULT_DEFECT_RATE if defects is None else defects)
    run_generate(options, progress=lambda msg: click.echo(f"· {msg}"))
    click.echo(f"deliveries in {out}, ground truth in {out / '_truth'}")


# -- run -------------------------------------------------------------------------
@main.command(help="Load every delivery of a landing folder and build the warehouse, in-process, with the same "
                   "Dagster assets the UI runs: verify, parse, check, COPY, audit, GX suites, then dbt build. "
                   "Re-running is idempotent: loaded deliveries are skipped.")
@click.option("--landing", type=click.Path(path_type=Path), required=True,
              help="Folder holding <agency>/<dataset>/<period>/ deliveries.")
@click.option("--no-dbt", is_flag=True, help="Load raw only; skip the dbt build.")
def run(landing: Path, no_dbt: bool) -> None:
    from pipelines.run import require_landing, run_pipeline

    landing = require_landing(landing)
    _bootstrap()
    outcome = run_pipeline(landing, run_dbt=not no_dbt, progress=lambda msg: click.echo(f"· {msg}"))
    _print_summary()
    if outcome.failed_checks or not outcome.dbt_success:
        raise SystemExit(1)


def _print_summary() -> None:
    import psycopg

    from warehouse.server import connect_info, psql_binary

    conn = connect_info(_settings())
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        rows = pg.execute("""
            select status, count(*), coalesce(sum(rows_in_manifest), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_repaired), 0)
            from audit.deliveries group by status order by status""").fetchall()
        marts = pg.execute("""
            select table_schema || '.' || table_name from information_schema.tables
            where table_schema in ('marts', 'risk', 'fis', 'kpi') order by 1""").fetchall()
        counts = [(name, pg.execute(f"select count(*) from {name}").fetchone()[0]) for (name,) in marts]
        rejected = pg.execute("""select agency || '/' || dataset || '/' || period, reason from audit.deliveries
                                 where status = 'rejected' order by 1""").fetchall()
        from pipelines.integrity import orphans, references

        integrity = [(ref, *orphans(pg, ref)) for ref in references()]
    click.echo("\nDeliveries")
    click.echo(f"  {'status':<11}{'count':>7}{'rows in':>11}{'loaded':>11}{'quarantined':>13}{'repaired':>10}")
    for status, n, rows_in, loaded, quarantined, repaired in rows:
        click.echo(f"  {status:<11}{n:>7}{rows_in:>11}{loaded:>11}{quarantined:>13}{repaired:>10}")
    for name, reason in rejected:
        click.echo(f"  rejected {name}: {reason}")
    click.echo("\nCross-dataset integrity (rows kept, reported)")
    for ref, n, sample in integrity:
        click.echo(f"  {ref.label}: {'ok' if not n else f'{n} unknown, e.g. ' + ', '.join(sample)}")
    click.echo("\nPublic tables")
    for name, n in counts:
        click.echo(f"  {name:<34}{n:>10} rows")
    psql = psql_binary()
    click.echo(f"\nConnect: psql '{conn.url}'" + (f"\n   (psql ships with the embedded server: {psql})" if psql else ""))


@main.command(help="Print the load summary and the row counts of the public tables.")
def summary() -> None:
    _print_summary()


@main.command(help="Generate a small economy under FDI_HOME, run the whole pipeline on it, and print the summary.")
@click.option("--enterprises", type=click.IntRange(1, 10_000), default=120, show_default=True)
@click.option("--years", default="2024", show_default=True, callback=_years)
@click.option("--seed", type=int, default=42, show_default=True)
def demo(enterprises: int, years: tuple[int, int], seed: int) -> None:
    from pipelines.run import run_pipeline
    from sources.generator import GenerateOptions, generate as run_generate

    settings = _settings()
    landing = settings.home / "demo" / "landing"
    click.echo(f"· generating {enterprises} enterprises, {years[0]}-{years[1]}, into {landing}")
    run_generate(GenerateOptions(out=landing, enterprises=enterprises, years=years, seed=seed),
                 progress=lambda msg: click.echo(f"· {msg}"))
    _bootstrap()
    outcome = run_pipeline(landing, progress=lambda msg: click.echo(f"· {msg}"))
    _print_summary()
    click.echo(f"\nDagster UI on the same definitions: make ui    (landing folder: FDI_LANDING={landing})")
    if outcome.failed_checks or not outcome.dbt_success:
        raise SystemExit(1)


# -- tools -----------------------------------------------------------------------
@main.command("sync-contracts", help="Regenerate the GX suites (expectations/) and dbt source YAML from "
                                     "sources/contracts; with --check, fail if any committed file is stale.")
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
def sync_contracts(check: bool) -> None:
    from pipelines.contract_artifacts import sync

    stale = sync(check=check)
    for path in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {path.relative_to(PROJECT_ROOT)}")
    if check and stale:
        raise SystemExit(1)
    if not stale:
        click.echo("contract artifacts up to date")


@main.command(help="Benchmark ingestion of customs declarations: generate at scale, then time parse, validate, "
                   "ingest (verify, check, COPY, audit), the GX suite and a bare COPY of the same rows on the same "
                   "server; report rows/s, peak memory per stage and ingest speed as a share of bare COPY. "
                   "With --dbt, benchmark the warehouse build instead: load a whole economy of every agency over "
                   "--years, time the full `dbt build`, deliver one new month and time the incremental build, and "
                   "report both, their ratio and what the incremental customs fact wrote.")
@click.option("--enterprises", type=click.IntRange(1, 1_000_000), default=5000, show_default=True)
@click.option("--months", type=click.IntRange(1, 12), default=1, show_default=True,
              help="Months of declarations to generate (2024); ingest_all loads them all.")
@click.option("--rows", type=click.IntRange(1000, 100_000_000), default=None,
              help="Instead, one synthetic month of exactly this many lines (the economy's trade, cycled).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--repeat", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Runs of each sub-second-prone stage (parse, validate, ingest, bare COPY); the median is reported.")
@click.option("--dbt", "dbt_build", is_flag=True,
              help="Benchmark `dbt build`: full, then incremental for one new month (figures in bench/dbt.json).")
@click.option("--years", default="2023-2024", show_default=True, callback=_years,
              help="With --dbt: the economy's years; the last month is delivered after the full build.")
def bench(enterprises: int, months: int, rows: int | None, seed: int, repeat: int, dbt_build: bool,
          years: tuple[int, int]) -> None:
    from pipelines.bench import BenchFailed, format_dbt_report, format_report, run_bench, run_dbt_bench

    if dbt_build:
        try:
            report = run_dbt_bench(_settings(), enterprises, years, seed, progress=lambda m: click.echo(f"· {m}"))
        except BenchFailed as exc:
            click.secho(f"fdi: {exc}", fg="red", err=True)
            raise SystemExit(2) from None
        click.echo(format_dbt_report(report))
        return
    report = run_bench(_settings(), enterprises, months, rows, seed, progress=lambda m: click.echo(f"· {m}"),
                       repeat=repeat)
    click.echo(format_report(report))


@main.command(help="Start the Dagster UI (dagster dev) on the project's definitions.")
@click.option("--port", type=int, default=3000, show_default=True)
def ui(port: int) -> None:
    from pipelines.instance import prepare_dagster_home

    settings = _settings()
    prepare_dagster_home(settings)
    os.environ.setdefault("FDI_LANDING", str(settings.landing))
    _bootstrap()
    dagster = Path(sys.executable).with_name("dagster")
    click.echo(f"landing folder watched by the sensor: {os.environ['FDI_LANDING']}")
    raise SystemExit(subprocess.call([str(dagster), "dev", "-m", "pipelines.definitions", "-p", str(port)],
                                     cwd=PROJECT_ROOT))


# -- national FDI information system feed and programme indicators ----------------
@main.command("export-fis", help="Export one report period of fis.project_reports (Form A.III.1) to the outbox "
                                 "of the national FDI information system: CSV, JSON and a manifest (schema "
                                 "version, revision, rows, sha256) under <out>/fis/<period>/. A re-export whose "
                                 "numbers changed gets the next revision and lists what changed; an unchanged one "
                                 "writes nothing.")
@click.option("--period", required=True, help="Report period: YYYY-Qn (quarterly) or YYYY (annual), e.g. 2024-Q3.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Outbox folder (default $FDI_HOME/outbox).")
def export_fis(period: str, out: Path | None) -> None:
    import psycopg

    from pipelines.fis_export import ExportError, export_period
    from warehouse.server import connect_info

    settings = _settings()
    with psycopg.connect(connect_info(settings).conninfo, autocommit=True) as pg:
        try:
            result = export_period(pg, period, out or settings.outbox)
        except ExportError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(result.summary())


@main.command(help="Print the action programme's indicators against their targets (kpi.programme_targets; "
                   "Decision 3055/QĐ-UBND, programme Part I.3).")
@click.option("--periods", type=click.Choice(["all", "data", "programme"]), default="data", show_default=True,
              help="all: every year 2021-2030; data: years with data and the programme periods; "
                   "programme: the programme periods only.")
def kpi(periods: str) -> None:
    import psycopg

    from pipelines.kpi import KpiUnavailable, fetch, format_table
    from warehouse.server import connect_info

    with psycopg.connect(connect_info(_settings()).conninfo, autocommit=True) as pg:
        try:
            rows = fetch(pg, periods)
        except KpiUnavailable as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(format_table(rows))


# -- entity resolution and documentation -------------------------------------------
@main.command("linkage-report", help="Score marts.enterprise_links against a generated economy's ground truth "
                                     "(<truth>/_truth/records.csv and lookalikes.csv): precision and recall overall, "
                                     "per agency and per match method, recall on records without a tax code, links "
                                     "across look-alike pairs, and the worst errors. Exit 1 when a target is missed.")
@click.option("--truth", type=click.Path(path_type=Path), required=True,
              help="The folder `fdi generate --out` wrote (holding _truth/), or the _truth folder itself.")
@click.option("--worst", type=click.IntRange(0, 1000), default=20, show_default=True, help="Errors to list.")
def linkage_report(truth: Path, worst: int) -> None:
    from pipelines.linkage import TruthMissing, format_report, score_links
    from warehouse.server import connect_info

    try:
        report = score_links(connect_info(_settings()).conninfo, truth, worst=worst)
    except TruthMissing as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(format_report(report))
    if not report.meets_targets():
        raise SystemExit(1)


@main.command(help="Build the dbt documentation site (dbt docs generate) and print where it is.")
def docs() -> None:
    from pipelines.docs import DocsFailed, build_docs

    try:
        site = build_docs(_settings())
    except DocsFailed as exc:
        click.secho(f"fdi: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
    click.echo(f"dbt docs site: {site.static_index} (one self-contained page; open it in a browser)")
    click.echo(f"           or: {site.index} (with manifest.json and catalog.json; `dbt docs serve` in dbt_project/)")


# -- risk flags and their review (issue 6, task 6.2) ---------------------------------
@main.command(help="Record a decision on a risk flag in risk.flag_reviews (append-only), as the fdi_monitor role.")
@click.argument("flag_id")
@click.option("--status", type=click.Choice(["open", "in_review", "confirmed", "dismissed"]), required=True)
@click.option("--reviewer", required=True, help="Name of the person deciding.")
@click.option("--note", default=None, help="Why (kept with the decision).")
def review(flag_id: str, status: str, reviewer: str, note: str | None) -> None:
    import psycopg

    from pipelines.risk import RiskError, record_review
    from warehouse.server import connect_info

    with psycopg.connect(connect_info(_settings()).conninfo, autocommit=True) as pg:
        try:
            decision = record_review(pg, flag_id, status, reviewer, note)
        except RiskError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(f"flag {decision.flag_id}: {decision.status} by {decision.reviewer} (review {decision.review_id})")


@main.command(help="List risk flags by review status (default: open), highest score first.")
@click.option("--rule", default=None, help="Rule code, e.g. TP01.")
@click.option("--severity", type=click.Choice(["low", "medium", "high"]), default=None)
@click.option("--zone", default=None, help="Industrial zone code of the enterprise.")
@click.option("--period", default=None, help="YYYY (a year and its months) or YYYY-MM.")
@click.option("--status", type=click.Choice(["open", "in_review", "confirmed", "dismissed"]), default="open",
              show_default=True)
def flags(rule: str | None, severity: str | None, zone: str | None, period: str | None, status: str) -> None:
    import psycopg

    from pipelines.risk import RiskError, format_flags, open_flags
    from warehouse.server import connect_info

    with psycopg.connect(connect_info(_settings()).conninfo, autocommit=True) as pg:
        try:
            rows = open_flags(pg, rule=rule, severity=severity, zone=zone, period=period, status=status)
        except RiskError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(format_flags(rows))


@main.command(help="Score each risk rule against a generated economy's _truth/scenarios.csv: precision, recall, "
                   "and the flagged-but-clean cases. Exit 1 when a rule misses precision 0.85 or recall 0.90.")
@click.option("--truth", type=click.Path(path_type=Path), required=True,
              help="The folder `fdi generate --out` wrote (holding _truth/), or the _truth folder itself.")
def evaluate(truth: Path) -> None:
    import psycopg

    from pipelines.risk import RiskError, evaluate as score_rules, format_evaluation
    from warehouse.server import connect_info

    with psycopg.connect(connect_info(_settings()).conninfo, autocommit=True) as pg:
        try:
            scores = score_rules(pg, truth)
        except RiskError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(format_evaluation(scores))
    if not all(s.meets_targets() for s in scores):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
