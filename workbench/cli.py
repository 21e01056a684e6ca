"""`fdi serve` and `fdi user add`: loaded by the fdi command line through the
`fdi.commands` entry point (pyproject.toml), so this package adds commands
without editing the CLI module."""
from __future__ import annotations

import sys

import click

from warehouse.settings import Settings

KINDS = ("monitor", "analyst", "engineer")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.command(help="Start the reviewers' workbench (web) on HOST:PORT.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; put a TLS reverse proxy in front of anything but loopback.")
@click.option("--port", default=8080, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    import uvicorn

    from warehouse.server import WarehouseUnavailable, connect_info
    from workbench.app import create_app

    try:
        base = connect_info(Settings.from_env())
    except WarehouseUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}: cookies are not marked Secure; serve it behind HTTPS.", err=True)
    click.echo(f"Workbench on http://{'127.0.0.1' if host == '127.0.0.1' else host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(create_app(base), host=host, port=port, log_level="warning")


@click.group(help="Logins of the people who use the warehouse.")
def user() -> None:
    pass


@user.command("add", help="Create a PostgreSQL login NAME with a password, member of fdi_monitor, "
                          "fdi_analyst or fdi_engineer (on the embedded server or FDI_DATABASE_URL's).")
@click.argument("name")
@click.option("--role", "kind", type=click.Choice(KINDS), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def add(name: str, kind: str, password_stdin: bool) -> None:
    import psycopg

    from warehouse.bootstrap import LoginError, create_login
    from warehouse.server import WarehouseUnavailable, connect_info

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        base = connect_info(Settings.from_env())
        with psycopg.connect(base.conninfo, autocommit=True) as pg:
            group = create_login(pg, name, password, kind)
    except (LoginError, WarehouseUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise click.ClickException(f"the server refused to create the login ({exc.diag.message_primary}); "
                                   "connect as a role with CREATEROLE.") from None
    click.echo(f"Created login {name} (member of {group}).")


commands = [serve, user]
