"""One dbt build of the warehouse at a time, whoever starts it: `fdi run`, a schedule, a sensor or Dagster's
UI; and no delivery lands during one (warehouse/build_lock.py). Against a real PostgreSQL: the lock is a
session advisory lock, which a delivery's transaction holds shared."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from click.testing import CliRunner

from pipelines.lib.ingest import ingest_delivery
from sources.synthetic.generator import GenerateOptions, generate
from tests.helpers import fresh_warehouse, project_row, write_projects
from warehouse import build_lock as lock_module
from warehouse.build_lock import BuildBusy, build_lock, hold_off_builds, loads_must_wait

pytestmark = pytest.mark.timeout(300)


@contextmanager
def _holding(target, conninfo: str, name: str) -> Iterator[threading.Event]:
    """`target` (_build or _load) holding the lock in a thread for the block; yields the event that ends it."""
    held, release = threading.Event(), threading.Event()
    thread = threading.Thread(target=target, args=(conninfo, name, held, release))
    thread.start()
    try:
        assert held.wait(30)
        yield release
    finally:
        release.set()
        thread.join(30)


def _build(conninfo: str, build: str, held: threading.Event, release: threading.Event) -> None:
    """A dbt build, as the dbt asset holds the lock."""
    with build_lock(conninfo, build, lambda _: None, poll_s=0.05):
        held.set()
        release.wait(60)


def _load(conninfo: str, delivery: str, held: threading.Event, release: threading.Event) -> None:
    """A delivery's transaction between its start and its commit, as the loader holds it."""
    with psycopg.connect(conninfo, autocommit=True) as pg, pg.transaction():
        hold_off_builds(pg, delivery)
        held.set()
        release.wait(60)


def _go_in(conninfo: str, build: str, say) -> None:
    """A build that takes the lock, waiting as long as it must, and lets it go."""
    with build_lock(conninfo, build, say, poll_s=0.05):
        pass


def _in_thread(work) -> tuple[threading.Thread, threading.Event]:
    """`work` started in a thread; the event is set when it is done."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (work(), done.set()))
    thread.start()
    return thread, done


def test_a_second_build_waits_for_the_first_names_it_and_goes_on_when_it_ends(warehouse):
    said: list[str] = []
    with _holding(_build, warehouse.conninfo, "run first") as release:
        second, inside = _in_thread(lambda: _go_in(warehouse.conninfo, "run second", said.append))
        assert not inside.wait(1.0), "the second build went in while the first held the warehouse"
        assert len(said) == 1 and "waiting for the dbt build (run first) to finish" in said[0], said
        release.set()
        assert inside.wait(30), "the second build never went in after the first ended"
        second.join(30)


def test_a_build_that_waits_too_long_fails_saying_which_build_holds_the_warehouse_and_what_to_do(warehouse):
    with _holding(_build, warehouse.conninfo, "run stuck"), \
            pytest.raises(BuildBusy, match=r"the dbt build \(run stuck\) has held the warehouse.*Dagster"), \
            build_lock(warehouse.conninfo, "run late", lambda _: None, wait_s=0.3, poll_s=0.05):
        pytest.fail("went in while another build held the lock")
    # once the holder's session is gone, the lock is free again
    with build_lock(warehouse.conninfo, "run after", lambda _: None, wait_s=0.0):
        pass


def test_a_delivery_waits_for_a_running_build_says_so_and_lands_after_it(warehouse, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="fdi.build_lock")
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-late")
    results = []

    def load() -> None:
        with psycopg.connect(warehouse.conninfo, autocommit=True) as pg:
            results.append(ingest_delivery(pg, folder))

    with _holding(_build, warehouse.conninfo, "run monthly") as release, psycopg.connect(
            warehouse.conninfo, autocommit=True) as pg:
        loader, loaded = _in_thread(load)
        assert not loaded.wait(1.5), "the delivery was loaded while a build held the warehouse"
        assert pg.execute("select count(*) from audit.deliveries").fetchone()[0] == 0
        assert "waiting for the dbt build (run monthly)" in loads_must_wait(pg)
        assert any("delivery registry/projects/2024-01: waiting for the dbt build (run monthly) to finish" in r.message
                   for r in caplog.records), caplog.text
        release.set()
        assert loaded.wait(60), "the delivery was not loaded after the build ended"
        loader.join(30)
        assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 2)]
        assert loads_must_wait(pg) is None
        assert pg.execute("select count(*) from raw_registry.projects").fetchone()[0] == 2


def test_a_build_waits_for_the_deliveries_in_flight_which_never_wait_for_each_other(warehouse):
    said: list[str] = []
    with _holding(_load, warehouse.conninfo, "customs/declarations/2024-12") as release:
        # another delivery goes in beside it at once: loads hold the lock shared
        started = time.monotonic()
        with psycopg.connect(warehouse.conninfo, autocommit=True) as pg, pg.transaction():
            hold_off_builds(pg, "tax/payments/2024-12", wait_s=5)
        assert time.monotonic() - started < 4

        builder, inside = _in_thread(lambda: _go_in(warehouse.conninfo, "run monthly", said.append))
        assert not inside.wait(1.0), "the build went in while a delivery was being loaded"
        assert said and "waiting for the load of customs/declarations/2024-12 to finish" in said[0], said
        with pytest.raises(BuildBusy, match=r"the load of customs/declarations/2024-12 has held the warehouse"), \
                build_lock(warehouse.conninfo, "run late", lambda _: None, wait_s=0.3, poll_s=0.05):
            pytest.fail("went in while a delivery was being loaded")
        release.set()
        assert inside.wait(30), "the build never went in after the delivery committed"
        builder.join(30)


def test_a_delivery_that_waits_too_long_for_a_build_is_not_loaded_and_says_what_to_do(warehouse):
    with _holding(_build, warehouse.conninfo, "run stuck"), psycopg.connect(warehouse.conninfo, autocommit=True) as pg:
        with pytest.raises(BuildBusy, match=r"registry/projects/2024-01: a dbt build held the warehouse.*load the "
                                            r"delivery again"), pg.transaction():
            hold_off_builds(pg, "registry/projects/2024-01", wait_s=0.3)
        assert pg.execute("select count(*) from audit.deliveries").fetchone()[0] == 0


def _a_load_waits(db) -> bool:
    """A session waits for the build lock, not granted yet."""
    return db.execute("select exists (select from pg_locks where locktype = 'advisory' and not granted "
                      "and objid = hashtext(%s)::oid)", (lock_module.LOCK_KEY,)).fetchone()[0]


@pytest.mark.e2e
def test_fdi_runs_loads_wait_for_a_build_and_its_own_build_for_a_load_in_flight(pg_server, tmp_path, monkeypatch):
    """With another build holding the warehouse, `fdi run` says its loads wait, lands nothing meanwhile, and
    loads and builds once it ends. The dbt asset (what the schedules, sensors and the UI run) holds the lock
    itself: with a delivery in flight, `fdi run`'s build stops, naming it, before dbt starts."""
    from pipelines.cli import main
    from pipelines.run import EXIT_FAILED

    landing = tmp_path / "landing"
    generate(GenerateOptions(out=landing, enterprises=3, years=(2024, 2024), seed=3, defects=0.0,
                             agencies=("tax",)))
    monkeypatch.setattr(lock_module, "POLL_S", 0.05)
    with fresh_warehouse(pg_server, tmp_path) as conn, psycopg.connect(conn.conninfo, autocommit=True) as db:
        results = []
        with _holding(_build, conn.conninfo, "run nightly-full-tests"):
            run, ran = _in_thread(lambda: results.append(CliRunner().invoke(main, ["run", "--landing", str(landing)])))
            # the run's first load asks for the lock (after Dagster's start-up) and waits
            deadline = time.monotonic() + 120
            while not _a_load_waits(db) and not ran.is_set() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _a_load_waits(db), "no load waited for the build"
            time.sleep(1.0)
            assert _a_load_waits(db)
            assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 0
        run.join(600)
        assert results[0].exit_code == 0, results[0].output
        assert "waiting for the dbt build (run nightly-full-tests) to finish" in results[0].output, results[0].output
        assert "· tax/payments " in results[0].output

        monkeypatch.setattr(lock_module, "WAIT_S", 0.5)
        with _holding(_load, conn.conninfo, "tax/payments/2025-01"):
            started = time.monotonic()
            result = CliRunner().invoke(main, ["run", "--landing", str(landing)])
        assert result.exit_code == EXIT_FAILED, result.output
        assert "the load of tax/payments/2025-01 has held the warehouse" in result.output, result.output
        assert time.monotonic() - started < 240
