"""One dbt build of the warehouse at a time, whoever starts it.

`fdi run` excludes a second `fdi run` (pipelines.run.RunLock), but the
monthly and nightly schedules, a sensor's run and a run started in Dagster's
UI do not go through `fdi run`. Two dbt builds at once fail each other (issue
#13: one swaps or appends to the tables the other is reading), so the dbt
asset itself holds this lock for its build: a session advisory lock on the
warehouse database. A second build waits for it, saying which build holds it,
and never breaks it; the lock dies with its session, so a killed build leaves
none behind. It is another key than `fdi run`'s, so the build of an `fdi run`
takes it too without waiting on its own run.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

LOCK_KEY = "fdi.dbt_build"
# The holder is named by its session's application_name (at most 63 bytes).
APPLICATION_PREFIX = "fdi dbt build: "
# A nightly full pass at national scale takes hours; longer than this, something hangs.
WAIT_S = 6 * 3600.0
POLL_S = 5.0
SAY_EVERY_S = 300.0


class BuildBusy(RuntimeError):
    """Another dbt build held the warehouse for longer than the wait."""


def holders(pg: psycopg.Connection) -> list[str]:
    """Who holds the build lock: the application names of the other sessions holding it."""
    rows = pg.execute("""
        select a.application_name from pg_locks as l join pg_stat_activity as a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and a.pid <> pg_backend_pid()
          and a.application_name like %s""", (APPLICATION_PREFIX + "%",)).fetchall()
    return [name.removeprefix(APPLICATION_PREFIX) for (name,) in rows]


@contextmanager
def build_lock(conninfo: str, build: str, say: Callable[[str], None], wait_s: float | None = None,
               poll_s: float | None = None) -> Iterator[None]:
    """Hold the build lock for the `with` block, waiting up to `wait_s` (default WAIT_S) for another build.

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
            other = ", ".join(holders(pg)) or "another session"
            if waited >= wait_s:
                raise BuildBusy(
                    f"another dbt build ({other}) has held the warehouse for {waited / 60:.0f} min; "
                    "look at that run in Dagster, and end it there (or with pg_terminate_backend) if it hangs, "
                    "then start this build again.")
            if said is None or time.monotonic() - said >= SAY_EVERY_S:
                say(f"waiting for another dbt build to finish ({other}): one build of the warehouse at a time")
                said = time.monotonic()
            time.sleep(poll_s)
        yield
    finally:
        pg.close()
