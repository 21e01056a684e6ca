"""Fixtures of the workbench tests: logins with passwords, the app served on loopback, a built economy.

Logins are cluster-wide in PostgreSQL while each test has its own database,
so every login gets a unique name and is dropped afterwards.
"""
from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from tests.helpers import built_economy
from tests.workbench.helpers import client, login

ENTERPRISES = 200  # enough for TP01/TP02 comparables and every rule once (tests/risk uses 250)


@dataclass(frozen=True)
class Login:
    name: str
    password: str


@pytest.fixture(scope="module")
def make_login(pg_server):
    """make_login(kind) -> Login: a new PostgreSQL login of that kind, dropped when the module ends."""
    from warehouse.bootstrap import create_login

    made: list[str] = []

    def make(kind: str, conn=None) -> Login:
        login = Login(f"wb_{kind}_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}")
        with psycopg.connect((conn or pg_server).conninfo, autocommit=True) as pg:
            create_login(pg, login.name, login.password, kind)
        made.append(login.name)
        return login

    yield make
    with psycopg.connect(pg_server.conninfo, autocommit=True) as pg:
        for name in made:
            pg.execute(f'drop role if exists "{name}"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """The workbench on 127.0.0.1:<free port> in a background thread (uvicorn), stopped at teardown."""

    def __init__(self, conn):
        import uvicorn

        from workbench.app import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(conn), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served(warehouse):
    """The app on a fresh, empty (bootstrapped) warehouse."""
    app = ServedApp(warehouse)
    yield app
    app.stop()


@pytest.fixture(scope="package")
def economy(pg_server, tmp_path_factory):
    """(connection, admin psycopg connection) of a warehouse built once from a generated economy."""
    with built_economy(pg_server, tmp_path_factory.mktemp("workbench"), enterprises=ENTERPRISES, years=(2022, 2024),
                       seed=11) as (conn, pg, _landing):
        yield conn, pg


@pytest.fixture(scope="module")
def served_economy(economy):
    app = ServedApp(economy[0])
    yield app
    app.stop()


@pytest.fixture(scope="module")
def monitor(served_economy, make_login, economy):
    """An HTTP client logged in as a monitoring reviewer, on the built economy."""
    person = make_login("monitor", economy[0])
    c = client(served_economy.url)
    assert login(c, person.name, person.password).status_code == 303
    yield c
    c.close()
