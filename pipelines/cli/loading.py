"""`fdi run` and `fdi summary`: load a landing folder, build the warehouse, say what happened."""
from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli.database import bootstrap_warehouse
from pipelines.cli.root import main, settings


@main.command(help="Load every delivery of a landing folder and build the warehouse, in-process, with the same "
                   "Dagster assets the UI runs: verify, parse, check, COPY, audit, GX suites, then dbt build. "
                   "Re-running is idempotent: loaded deliveries are skipped. One run at a time; while a dbt build "
                   "started elsewhere (a schedule, the UI) runs, the loads wait for it to end and say so, since no "
                   "delivery lands during a build.\n\n"
                   "\b\nExit status:\n"
                   "  0  every delivery loaded (or was already loaded)\n"
                   "  3  the run completed but some deliveries were rejected (listed; see `fdi coverage`)\n"
                   "  4  the landing folder held no delivery\n"
                   "  2  the landing folder or the database cannot be reached (one sentence says what to do)\n"
                   "  5  another fdi run holds the warehouse; nothing was done\n"
                   "  1  failure: a contract suite failed, dbt failed, or the run crashed")
@click.option("--landing", type=click.Path(path_type=Path), required=True,
              help="Folder holding <agency>/<dataset>/<period>/ deliveries.")
@click.option("--no-dbt", is_flag=True, help="Load raw only; skip the dbt build.")
@click.option("--full-tests", is_flag=True,
              help="Test every row of every model and run the dbt unit tests and the whole-history tests tagged "
                   "full_pass_only (as the nightly_full_tests schedule does); by default the tests of incremental "
                   "models read the deliveries this build brought in.")
@click.option("--verbose", is_flag=True,
              help="Stream dbt's node-by-node log and the libraries' logs; without it, one line per dataset and "
                   "one for the dbt build (every failing node is still named, with dbt's message).")
def run(landing: Path, no_dbt: bool, full_tests: bool, verbose: bool) -> None:
    from pipelines.run import EXIT_BUSY, RunLock, WarehouseBusy, require_landing, run_pipeline

    landing = require_landing(landing)
    try:
        with RunLock(settings()) as lock:
            conn, _ = bootstrap_warehouse()
            lock.hold_database(conn.conninfo)
            outcome = run_pipeline(landing, run_dbt=not no_dbt, progress=lambda msg: click.echo(f"· {msg}"),
                                   verbose=verbose, full_tests=full_tests)
            if outcome.deliveries:
                print_summary(every_table=verbose)
    except WarehouseBusy as busy:
        click.echo(f"fdi run: {busy}", err=True)
        raise SystemExit(EXIT_BUSY) from None
    if outcome.rejected:
        click.echo(f"\n{len(outcome.rejected)} deliver{'y' if len(outcome.rejected) == 1 else 'ies'} rejected: "
               f"{', '.join(outcome.rejected)}")
    raise SystemExit(outcome.exit_status)


# The table a reader of each public schema looks at first (the summary without --verbose names only these).
HEADLINE_TABLES = {"marts": ("dim_enterprise", "fct_enterprise_year"), "risk": ("flags",),
                   "fis": ("project_reports",), "kpi": ("programme_targets",)}


def print_summary(every_table: bool = True) -> None:
    """What the warehouse holds: deliveries by status, cross-dataset integrity, the public tables (each with
    its rows, or per schema its headline tables), how to connect, and the coverage gaps."""
    import psycopg

    from pipelines.cli.coverage import REJECTED_CORRECTION, print_gaps
    from pipelines.lib.integrity import orphans, references
    from warehouse.server import connect_info, psql_binary

    conn = connect_info(settings())
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        rows = pg.execute("""
            select status, count(*), coalesce(sum(rows_in_manifest), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_repaired), 0)
            from audit.deliveries group by status order by status""").fetchall()
        marts = pg.execute("""
            select table_schema || '.' || table_name from information_schema.tables
            where table_schema in ('marts', 'risk', 'fis', 'kpi') order by 1""").fetchall()
        counts = [(name, pg.execute(f"select count(*) from {name}").fetchone()[0]) for (name,) in marts]
        # a rejection a later delivery of its period has since replaced is history, and says so
        rejected = pg.execute(f"""
            select r.agency || '/' || r.dataset || '/' || r.period, r.reason,
                   (select f.delivery_id from audit.deliveries as f
                    where (f.agency, f.dataset, f.period) = (r.agency, r.dataset, r.period)
                      and f.status = 'loaded' and not {REJECTED_CORRECTION}) as replaced_by
            from audit.deliveries as r where r.status = 'rejected' order by 1, r.received_at""").fetchall()
        integrity = [(ref, *orphans(pg, ref)) for ref in references()]
        # entity resolution's queue (apps/linkage.py): said here, or an engineer never learns it is waiting
        waiting = pg.execute("""
            select count(*), coalesce(sum(records), 0) from (
                select distinct name_group_id, records from marts.enterprise_link_candidates
                where decision = 'pending') as g""").fetchone() \
            if pg.execute("select to_regclass('marts.enterprise_link_candidates')").fetchone()[0] else (0, 0)
    click.echo("\nDeliveries")
    click.echo(f"  {'status':<11}{'count':>7}{'rows in':>11}{'loaded':>11}{'quarantined':>13}{'repaired':>10}")
    for status, n, rows_in, loaded, quarantined, repaired in rows:
        click.echo(f"  {status:<11}{n:>7}{rows_in:>11}{loaded:>11}{quarantined:>13}{repaired:>10}")
    for name, reason, replaced_by in rejected:
        click.echo(f"  rejected {name}: {reason}"
                   + (f" (since replaced: delivery {replaced_by} is in force)" if replaced_by else ""))
    click.echo("\nCross-dataset integrity (rows kept, reported)")
    for ref, n, sample in integrity:
        click.echo(f"  {ref.label}: {'ok' if not n else f'{n} unknown, e.g. ' + ', '.join(sample)}")
    if waiting[0]:
        click.echo(f"\nEntity resolution: {waiting[0]} name group(s), {waiting[1]} record(s) without a tax code, "
                   "wait for a person: `fdi links`, then `fdi link`")
    if every_table:
        click.echo("\nPublic tables")
        for name, n in counts:
            click.echo(f"  {name:<34}{n:>10} rows")
    else:
        click.echo("\nPublic tables (the rows of each: fdi summary)")
        for schema, headline in HEADLINE_TABLES.items():
            tables = [(name.split(".", 1)[1], n) for name, n in counts if name.startswith(f"{schema}.")]
            shown = ", ".join(f"{table} {n:,} rows" for table, n in tables if table in headline)
            click.echo(f"  {schema:<6}{len(tables):>3} tables" + (f"; {shown}" if shown else ""))
    psql = psql_binary()
    click.echo(f"\nConnect: psql '{conn.url}'" + (f"\n   (psql ships with the embedded server: {psql})" if psql else ""))
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        print_gaps(pg)


@main.command(help="Print the load summary and the row counts of the public tables.")
def summary() -> None:
    print_summary()
