"""`fdi db start|stop|status|url`: the warehouse database."""
from __future__ import annotations

import click

from pipelines.cli.root import main, settings


@main.group(help="Start, stop and inspect the warehouse database.")
def db() -> None:
    pass


@db.command("start", help="Start the embedded PostgreSQL under FDI_HOME (or check FDI_DATABASE_URL) and bootstrap it: "
                          "schemas, roles, grants, extensions, audit and raw tables. Idempotent.")
def db_start() -> None:
    conn, missing = bootstrap_warehouse()
    if missing:
        click.echo(f"note: the server has no {', '.join(missing)} extension; the warehouse does not need it.")
    click.echo(f"warehouse ready: {conn.url}")


@db.command("stop", help="Stop the embedded PostgreSQL (no effect with FDI_DATABASE_URL).")
def db_stop() -> None:
    from warehouse.server import stop_embedded

    current = settings()
    if current.database_url:
        click.echo("FDI_DATABASE_URL is set: that server is not ours to stop.")
        return
    click.echo("stopped" if stop_embedded(current) else "the embedded server was not running")


@db.command("status", help="Say where the warehouse is and whether it is running.")
def db_status() -> None:
    from warehouse.server import connect_info, embedded_status

    current = settings()
    if current.database_url:
        click.echo(f"external PostgreSQL reachable: {connect_info(current).url}")
        return
    for key, value in embedded_status(current).items():
        click.echo(f"{key:>10}: {value}")


@db.command("url", help="Print the psql connection URL of the warehouse.")
def db_url() -> None:
    from warehouse.server import connect_info

    click.echo(connect_info(settings()).url)


def bootstrap_warehouse():
    """Start (embedded) or reach the server and bootstrap it; returns (connection, missing extensions)."""
    import psycopg

    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap
    from warehouse.server import connect_info

    current = settings()
    conn = connect_info(current)
    current.pseudonym_key(create=current.embedded)
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        missing = bootstrap(pg, raw_tables())
    return conn, missing
