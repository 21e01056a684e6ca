"""One dbt build of the warehouse at a time, whoever starts it: `fdi run`, a schedule, a sensor or Dagster's
UI (pipelines/lib/build_lock.py). Against a real PostgreSQL: the lock is a session advisory lock."""
from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from pipelines.lib import build_lock as lock_module
from pipelines.lib.build_lock import BuildBusy, build_lock
from sources.synthetic.generator import GenerateOptions, generate
from tests.helpers import fresh_warehouse

pytestmark = pytest.mark.timeout(300)


def _hold(conninfo: str, build: str, held: threading.Event, release: threading.Event) -> None:
    with build_lock(conninfo, build, lambda _: None, poll_s=0.05):
        held.set()
        release.wait(60)


def test_a_second_build_waits_for_the_first_names_it_and_goes_on_when_it_ends(warehouse):
    held, release, inside = threading.Event(), threading.Event(), threading.Event()
    said: list[str] = []
    first = threading.Thread(target=_hold, args=(warehouse.conninfo, "run first", held, release))
    first.start()
    try:
        assert held.wait(30)

        def second() -> None:
            with build_lock(warehouse.conninfo, "run second", said.append, poll_s=0.05):
                inside.set()

        waiter = threading.Thread(target=second)
        waiter.start()
        assert not inside.wait(1.0), "the second build went in while the first held the warehouse"
        assert len(said) == 1 and "run first" in said[0] and "waiting for another dbt build" in said[0]
        release.set()
        assert inside.wait(30), "the second build never went in after the first ended"
        waiter.join(30)
    finally:
        release.set()
        first.join(30)


def test_a_build_that_waits_too_long_fails_saying_which_build_holds_the_warehouse_and_what_to_do(warehouse):
    held, release = threading.Event(), threading.Event()
    first = threading.Thread(target=_hold, args=(warehouse.conninfo, "run stuck", held, release))
    first.start()
    try:
        assert held.wait(30)
        with pytest.raises(BuildBusy, match=r"another dbt build \(run stuck\) has held the warehouse.*Dagster"), \
                build_lock(warehouse.conninfo, "run late", lambda _: None, wait_s=0.3, poll_s=0.05):
            pytest.fail("went in while another build held the lock")
    finally:
        release.set()
        first.join(30)
    # once the holder's session is gone, the lock is free again
    with build_lock(warehouse.conninfo, "run after", lambda _: None, wait_s=0.0):
        pass


@pytest.mark.e2e
def test_the_dagster_dbt_build_takes_the_lock_so_it_never_runs_beside_another(pg_server, tmp_path, monkeypatch):
    """The dbt asset (what the schedules, sensors and the UI run) holds the lock: with another build holding
    it, `fdi run` loads its deliveries and its build stops, naming the other build, before dbt starts."""
    from pipelines.cli import main
    from pipelines.run import EXIT_FAILED

    landing = tmp_path / "landing"
    generate(GenerateOptions(out=landing, enterprises=3, years=(2024, 2024), seed=3, defects=0.0,
                             agencies=("tax",)))
    monkeypatch.setattr(lock_module, "WAIT_S", 0.5)
    monkeypatch.setattr(lock_module, "POLL_S", 0.05)
    with fresh_warehouse(pg_server, tmp_path) as conn:
        held, release = threading.Event(), threading.Event()
        other = threading.Thread(target=_hold, args=(conn.conninfo, "run nightly-full-tests", held, release))
        other.start()
        try:
            assert held.wait(30)
            started = time.monotonic()
            result = CliRunner().invoke(main, ["run", "--landing", str(landing)])
        finally:
            release.set()
            other.join(30)
        assert result.exit_code == EXIT_FAILED, result.output
        assert "another dbt build (run nightly-full-tests) has held the warehouse" in result.output, result.output
        assert "· tax/payments " in result.output  # the deliveries were loaded; only the build waited
        assert time.monotonic() - started < 240
