"""`fdi user add` creates a PostgreSQL login whose password the server checks; `fdi serve` is declared
as a command of the fdi.commands entry point."""
from __future__ import annotations

import uuid
from importlib.metadata import entry_points

import psycopg
import pytest
from click.testing import CliRunner

from warehouse.server import Connection
from workbench.cli import commands, serve, user


@pytest.fixture
def name(pg_server):
    login = f"wb_cli_{uuid.uuid4().hex[:8]}"
    yield login
    with psycopg.connect(pg_server.conninfo, autocommit=True) as pg:
        pg.execute(f'drop role if exists "{login}"')


def test_user_add_creates_a_login_the_server_checks(warehouse, name):
    r = CliRunner().invoke(user, ["add", name, "--role", "monitor", "--password-stdin"], input="a-good-password\n")
    assert r.exit_code == 0, r.output
    assert f"Created login {name} (member of fdi_monitor)" in r.output
    as_person = Connection(warehouse.host, warehouse.port, name, "a-good-password", warehouse.dbname)
    with psycopg.connect(as_person.conninfo) as pg:
        assert pg.execute("select session_user, pg_has_role('fdi_monitor', 'member'), "
                          "pg_has_role('fdi_analyst', 'member')").fetchone() == (name, True, False)
    with psycopg.connect(warehouse.conninfo) as pg:
        stored = pg.execute("select rolpassword from pg_authid where rolname = %s", (name,)).fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(Connection(warehouse.host, warehouse.port, name, "wrong-password", warehouse.dbname).conninfo)


def test_user_add_with_a_prompted_password(warehouse, name):
    r = CliRunner().invoke(user, ["add", name, "--role", "analyst"], input="prompted-secret\nprompted-secret\n")
    assert r.exit_code == 0, r.output
    with psycopg.connect(Connection(warehouse.host, warehouse.port, name, "prompted-secret", warehouse.dbname).conninfo):
        pass


def test_user_add_refuses_a_duplicate_an_unknown_kind_and_a_short_password(warehouse, name):
    runner = CliRunner()
    assert runner.invoke(user, ["add", name, "--role", "engineer", "--password-stdin"], input="long-enough-pw\n").exit_code == 0
    again = runner.invoke(user, ["add", name, "--role", "engineer", "--password-stdin"], input="long-enough-pw\n")
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(user, ["add", "x" + name, "--role", "admin", "--password-stdin"], input="p" * 10).exit_code == 2
    short = runner.invoke(user, ["add", "y" + name, "--role", "monitor", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output


def test_commands_are_declared_for_the_fdi_cli():
    assert [c.name for c in commands] == ["serve", "user"]
    declared = {ep.name: ep.value for ep in entry_points(group="fdi.commands")}
    assert declared.get("workbench") == "workbench.cli:commands"
    r = CliRunner().invoke(serve, ["--help"])
    assert r.exit_code == 0 and "--port" in r.output and "--host" in r.output
