"""`fdi sync-contracts`, `fdi ui`, `fdi docs`, `fdi dbt`: the engineers' tools around the pipeline."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from pipelines.cli.database import bootstrap_warehouse
from pipelines.cli.root import main, settings
from warehouse.settings import DBT_PROJECT_DIR, PROJECT_ROOT


@main.command("sync-contracts", help="Regenerate the GX suites (expectations/) and dbt source YAML from "
                                     "sources/contracts; with --check, fail if any committed file is stale.")
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
def sync_contracts(check: bool) -> None:
    from pipelines.lib.contract_artifacts import sync

    stale = sync(check=check)
    for path in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {path.relative_to(PROJECT_ROOT)}")
    if check and stale:
        raise SystemExit(1)
    if not stale:
        click.echo("contract artifacts up to date")


@main.command(help="Start the Dagster UI (dagster dev) on the project's definitions.")
@click.option("--port", type=int, default=3000, show_default=True)
def ui(port: int) -> None:
    from pipelines.lib.instance import prepare_dagster_home

    current = settings()
    prepare_dagster_home(current)
    os.environ.setdefault("FDI_LANDING", str(current.landing))
    bootstrap_warehouse()
    dagster = Path(sys.executable).with_name("dagster")
    click.echo(f"landing folder watched by the sensor: {os.environ['FDI_LANDING']}")
    raise SystemExit(subprocess.call([str(dagster), "dev", "-m", "pipelines.definitions", "-p", str(port)],
                                     cwd=PROJECT_ROOT))


@main.command(help="Build the dbt documentation site (dbt docs generate) and print where it is; with --serve, "
                   "serve it on the loopback address.")
@click.option("--serve", is_flag=True, help="Serve the site after building it (Ctrl-C stops).")
@click.option("--port", type=int, default=8081, show_default=True, help="Port of --serve.")
def docs(serve: bool, port: int) -> None:
    from pipelines.lib.docs import DocsFailed, build_docs

    try:
        site = build_docs(settings())
    except DocsFailed as exc:
        click.secho(f"fdi: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
    click.echo(f"dbt docs site: {site.static_index} (one self-contained page; open it in a browser)")
    if serve:
        import functools
        import http.server

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site.index.parent))
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
            click.echo(f"serving http://127.0.0.1:{port}/index.html (Ctrl-C stops)")
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                pass


@main.command("dbt", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
              help="Run the project's dbt on the warehouse with ARGS, as a scheduled build runs it: the warehouse's "
                   "connection and the pseudonym key that personal columns are hashed with, which a bare `dbt` "
                   "lacks. For what an upgrade note or a repair asks, e.g. `fdi dbt build --full-refresh --select "
                   "enterprise_links`, then `fdi run` for the rest. Refused while another `fdi run` holds the "
                   "warehouse (exit 5); waits for a build in progress and holds the build lock, so no delivery "
                   "lands during it. The exit status is dbt's.")
@click.argument("args", nargs=-1, required=True, type=click.UNPROCESSED)
def dbt(args: tuple[str, ...]) -> None:
    from pipelines.lib.dbt_project import dbt_env, dbt_executable
    from pipelines.run import EXIT_BUSY, RunLock, WarehouseBusy
    from warehouse.build_lock import build_lock

    try:
        with RunLock(settings()) as lock:
            conn, _ = bootstrap_warehouse()
            lock.hold_database(conn.conninfo)
            env = {**os.environ, **dbt_env(conn, settings())}
            with build_lock(conn.conninfo, "fdi dbt", lambda msg: click.echo(f"fdi dbt: {msg}", err=True)):
                status = subprocess.call([dbt_executable(), *args], cwd=DBT_PROJECT_DIR, env=env)
    except WarehouseBusy as busy:
        click.echo(f"fdi dbt: {busy}", err=True)
        raise SystemExit(EXIT_BUSY) from None
    raise SystemExit(status)
