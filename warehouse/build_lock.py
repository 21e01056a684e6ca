"""One dbt build of the warehouse at a time, whoever starts it, and no delivery committed during one.

`fdi run` excludes a second `fdi run` (pipelines.run.RunLock), but the
monthly and nightly schedules, a sensor's run and a run started in Dagster's
UI do not go through `fdi run`. Two dbt builds at once fail each other (issue
#13: one swaps or appends to the tables the other is reading), so the dbt
asset itself holds this lock for its build: a session advisory lock on the
warehouse database. A second build waits for it, saying which build holds it,
and never breaks it; the lock dies with its session, so a killed build leaves
none behind. It is another key than `fdi run`'s, so the build of an `fdi run`
takes it too without waiting on its own run.

A delivery's transaction (the loader's, or the audit of a rejection) holds
the same lock shared until it commits. A build reads its inputs model by
model, each in a transaction of its own, so a delivery committed halfway
through would be seen by the models after it and not by those before: an
incremental model records the deliveries in force as its fingerprint while
reading a table built before the delivery (the daily exchange rates, say),
and the next build, finding the fingerprint unchanged, keeps the stale rows
for good (docs/ingestion.md, "No delivery lands during a build", shows it).
So a load waits for a running build, and a build for the loads in flight;
loads never wait for one another here (their own lock is per period).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

LOCK_KEY = "fdi.dbt_build"
# The holders are named by their sessions' application_name (at most 63 bytes).
APPLICATION_PREFIX = "fdi dbt build: "
LOAD_PREFIX = "fdi load: "
# A nightly full pass at national scale takes hours; longer than this, something hangs.
WAIT_S = 6 * 3600.0
POLL_S = 5.0
SAY_EVERY_S = 300.0

log = logging.getLogger("fdi.build_lock")


class BuildBusy(RuntimeError):
    """Another dbt build, or a delivery's load, held the warehouse for longer than the wait."""


def holders(pg: psycopg.Connection, prefix: str = APPLICATION_PREFIX) -> list[str]:
    """Who holds the lock: the application names (less `prefix`) of the other sessions holding it,
    `prefix` saying which kind (builds, or loads: LOAD_PREFIX)."""
    rows = pg.execute("""
        select a.application_name from pg_locks as l join pg_stat_activity as a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and a.pid <> pg_backend_pid()
          and l.objid = hashtext(%s)::oid and a.application_name like %s
        order by 1""", (LOCK_KEY, prefix + "%")).fetchall()
    return [name.removeprefix(prefix) for (name,) in rows]


def _builds(pg: psycopg.Connection) -> list[str]:
    return [f"the dbt build ({name})" for name in holders(pg)]


def _holding(pg: psycopg.Connection) -> str:
    """The builds and loads holding the lock now, for a sentence."""
    loads = [f"the load of {name}" for name in holders(pg, LOAD_PREFIX)]
    return ", ".join(_builds(pg) + loads) or "another session"


def loads_must_wait(pg: psycopg.Connection) -> str | None:
    """A sentence for the engineer when a dbt build holds the warehouse now, so a load started now waits for
    it (silently, inside its transaction); None when none does."""
    builds = _builds(pg)
    return f"waiting for {', '.join(builds)} to finish: a delivery never lands during a build" if builds else None


@contextmanager
def build_lock(conninfo: str, build: str, say: Callable[[str], None], wait_s: float | None = None,
               poll_s: float | None = None) -> Iterator[None]:
    """Hold the build lock for the `with` block, waiting up to `wait_s` (default WAIT_S) for another build
    or for the deliveries being loaded.

    `build` names this build to whoever waits (a Dagster run id, say); `say` gets a line when the wait
    starts and every few minutes of it."""
    wait_s = WAIT_S if wait_s is None else wait_s
    poll_s = POLL_S if poll_s is None else poll_s
    pg = psycopg.connect(conninfo, autocommit=True, application_name=(APPLICATION_PREFIX + build)[:63])
    try:
        started = time.monotonic()
        said = None
        while not pg.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:
            waited = time.monotonic() - started
            other = _holding(pg)
            if waited >= wait_s:
                raise BuildBusy(
                    f"{other} has held the warehouse for {waited / 60:.0f} min; "
                    "look at that run in Dagster, and end it there (or with pg_terminate_backend) if it hangs, "
                    "then start this build again.")
            if said is None or time.monotonic() - said >= SAY_EVERY_S:
                say(f"waiting for {other} to finish: one build of the warehouse at a time, "
                    "and no delivery committed during one")
                said = time.monotonic()
            time.sleep(poll_s)
        yield
    finally:
        pg.close()


def hold_off_builds(conn: psycopg.Connection, delivery: str, wait_s: float | None = None) -> None:
    """Inside a delivery's transaction, before it writes: hold the build lock shared until the transaction
    ends, waiting up to `wait_s` (default WAIT_S) for a build running now, and saying so once.

    `delivery` (agency/dataset/period) names the load to a build that waits for it."""
    wait_s = WAIT_S if wait_s is None else wait_s
    # transaction-local: pg_stat_activity names this load while the transaction lasts
    conn.execute("select set_config('application_name', %s, true)", ((LOAD_PREFIX + delivery)[:63],))
    if conn.execute("select pg_try_advisory_xact_lock_shared(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:
        return
    log.warning("delivery %s: waiting for %s to finish before loading it: a delivery never lands during a build",
                delivery, _holding(conn))
    before = conn.execute("select current_setting('lock_timeout')").fetchone()[0]
    conn.execute("select set_config('lock_timeout', %s, true)", (f"{int(wait_s * 1000)}ms",))
    try:
        conn.execute("select pg_advisory_xact_lock_shared(hashtext(%s))", (LOCK_KEY,))
    except psycopg.errors.LockNotAvailable as exc:
        raise BuildBusy(
            f"delivery {delivery}: a dbt build held the warehouse for more than {wait_s / 60:.0f} min, so the "
            "delivery was not loaded; look at that build's run in Dagster, end it there if it hangs, then load "
            "the delivery again (`fdi run`, or re-execute its run).") from exc
    conn.execute("select set_config('lock_timeout', %s, true)", (before,))
