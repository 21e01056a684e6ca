"""Who you are is who PostgreSQL says you are.

A reviewer logs in with a PostgreSQL login: the app opens a connection as that
login with the given password, and the server checks it (scram-sha-256,
warehouse/server.py's pg_hba). There is no password table here. The
credentials stay in this process's memory, keyed by a random session id that
is the only thing the browser holds (an HttpOnly, SameSite=Strict cookie), and
every query of that person runs on a connection of that login, so the grants
of warehouse/roles.yaml decide what they see.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from warehouse.server import Connection

SESSION_COOKIE = "fdi_session"
# An idle session is forgotten after this long; the person logs in again.
IDLE_SECONDS = 8 * 3600


class LoginRefused(Exception):
    """PostgreSQL refused the login or password."""


class WarehouseDown(Exception):
    """The server could not be reached at all."""


@dataclass(frozen=True)
class Draft:
    """A decision the warehouse did not record, kept to be filled in again on its flag's page: never recorded
    unseen. `why` says what stopped it: the session had ended ("session_ended"), or the warehouse could not
    take it just then ("unavailable": down, or its review queue being rebuilt)."""
    status: str
    note: str
    author: str
    why: str


@dataclass
class Session:
    sid: str
    csrf_token: str
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    groups: frozenset[str] = frozenset()
    # Decisions not recorded (flag_id -> Draft), sent after the session had ended or while the warehouse could
    # not take them: kept, through the next login of their author, for the flag's page.
    drafts: dict[str, Draft] = field(default_factory=dict, repr=False)
    touched: float = field(default_factory=time.monotonic)
    # One idle connection of this login kept for the next request: a SCRAM
    # handshake costs 20-40 ms, a tenth of the page budget (loadcheck.py).
    idle: psycopg.Connection | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take_idle(self) -> psycopg.Connection | None:
        with self.lock:
            pg, self.idle = self.idle, None
        return pg

    def give_back(self, pg: psycopg.Connection) -> None:
        if pg.closed or pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            pg.close()
            return
        with self.lock:
            if self.idle is None:
                self.idle, pg = pg, None
        if pg is not None:
            pg.close()

    def close(self) -> None:
        pg = self.take_idle()
        if pg is not None:
            pg.close()

    @property
    def authenticated(self) -> bool:
        return self.login is not None

    def drafts_of(self, login: str) -> dict[str, Draft]:
        """The drafts `login` wrote: a browser shared at a desk must not show one person's note to the next."""
        return {k: d for k, d in self.drafts.items() if d.author.lower() == login.lower()}

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token, token)


class SessionStore:
    """In-memory sessions: a restart logs everyone out, which is the safe default."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self) -> Session:
        s = Session(sid=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[s.sid] = s
        return s

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                return None
            if time.monotonic() - s.touched > IDLE_SECONDS:
                del self._sessions[sid]
                s.close()
                return None
            s.touched = time.monotonic()
            return s

    def drop(self, sid: str) -> None:
        with self._lock:
            s = self._sessions.pop(sid, None)
        if s is not None:
            s.close()


class LoginThrottle:
    """Failed logins per login name: after FAILURES within WINDOW_S, the name is refused without asking
    PostgreSQL until the oldest of them is WINDOW_S old. PostgreSQL has no lockout of its own, and each
    try opens a connection; a guessing script would otherwise try as fast as the server answers. Per
    name, not per address: the workbench sits behind the agencies' proxies, where one address is many
    people. In memory, as the sessions are."""

    FAILURES = 5
    WINDOW_S = 15 * 60.0

    def __init__(self) -> None:
        self._failed: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, login: str, now: float | None = None) -> float:
        """Seconds before `login` may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._failed.get(login.lower(), []) if now - t < self.WINDOW_S]
            self._failed[login.lower()] = recent
            return self.WINDOW_S - (now - recent[0]) if len(recent) >= self.FAILURES else 0.0

    def failed(self, login: str, now: float | None = None) -> None:
        with self._lock:
            self._failed.setdefault(login.lower(), []).append(time.monotonic() if now is None else now)

    def succeeded(self, login: str) -> None:
        with self._lock:
            self._failed.pop(login.lower(), None)


def login_connection(base: Connection, login: str, password: str) -> Connection:
    """The warehouse's host, port and database, with the person's own login."""
    return Connection(base.host, base.port, login, password, base.dbname)


def check_login(base: Connection, login: str, password: str) -> frozenset[str]:
    """Let PostgreSQL check the password; return the group roles the login is a member of."""
    if not login or not password:
        raise LoginRefused()
    try:
        with psycopg.connect(login_connection(base, login, password).conninfo, connect_timeout=5) as pg:
            # A login the server let in without asking for its password (the service
            # user's `trust` line in pg_hba, or a peer/trust line on a real server)
            # proves nothing about who is at the keyboard: refused.
            if not pg.pgconn.used_password:
                raise LoginRefused()
            rows = pg.execute(
                "select r.rolname from pg_roles r where pg_has_role(current_user, r.oid, 'member') "
                "and r.rolname like 'fdi\\_%'").fetchall()
    except psycopg.OperationalError as exc:
        message = str(exc)
        # libpq says why in words only; these are the refusals of a login or password
        if "password authentication failed" in message or "does not exist" in message \
                or "no password supplied" in message or "not permitted to log in" in message:
            raise LoginRefused() from None
        raise WarehouseDown(message) from None
    return frozenset(r[0] for r in rows)


def _alive(pg: psycopg.Connection) -> bool:
    """Whether a kept connection still has its server: a restart or `pg_terminate_backend` since the last
    request shows only on the next round trip (a tenth of a millisecond here, against 20-40 ms to log in)."""
    if pg.closed or pg.broken:
        return False
    try:
        pg.execute("select")
        return True
    except psycopg.OperationalError:
        pg.close()
        return False


@contextmanager
def user_connection(base: Connection, session: Session) -> Iterator[psycopg.Connection]:
    """A connection of the session's login (autocommit: each decision is its own statement),
    reused from the session's last request when it is still healthy."""
    assert session.login and session.password
    pg = session.take_idle()
    if pg is not None and not _alive(pg):
        pg = None
    if pg is None:
        conninfo = login_connection(base, session.login, session.password).conninfo
        try:
            pg = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            raise WarehouseDown(str(exc)) from None
    try:
        yield pg
    except psycopg.OperationalError as exc:
        pg.close()
        if pg.broken:  # the server went away mid-request (a restart, a network cut): the same as not reached
            raise WarehouseDown(str(exc)) from None
        raise
    except BaseException:
        pg.close()  # whatever state a failure left it in, it is not reused
        raise
    session.give_back(pg)
