"""Issue #13 at the level of `fdi run`: folders that are no delivery, the GX check owed after a
crash, and two runs at once. Each test bounds the run's time."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.lib.ingest import ingest_delivery
from pipelines.run import run_pipeline
from tests.hostile.deliveries import employment, employment_line

pytestmark = pytest.mark.timeout(300)
FDI = [str(Path(sys.executable).with_name("fdi"))]


def audit(db):
    return {(a, d, p): (s, r) for a, d, p, s, r in db.execute(
        "select agency, dataset, period, status, reason from audit.deliveries")}


def test_folders_that_are_no_delivery_are_audited_and_the_run_goes_on(warehouse, db, tmp_path):
    landing = tmp_path / "landing"
    employment(landing, [employment_line()], "d-good-one")
    employment(landing, [employment_line(period="2009-12")], "d-history", period="2009-12")
    for bad in ("2025-13", "January", "latest"):
        (landing / "labour" / "employment" / bad).mkdir(parents=True)
    employment(landing, [employment_line()], "d-in-latest", period="latest")
    (landing / "land" / "zones" / "2024-01").mkdir(parents=True)  # monthly under a yearly dataset
    (landing / "nowhere" / "things" / "2024-01").mkdir(parents=True)  # unknown agency
    (landing / "labour" / "payroll" / "2024-01").mkdir(parents=True)  # unknown dataset
    outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
    assert outcome.rejected_folders == 6 and not outcome.failed_checks
    seen = audit(db)
    assert seen[("labour", "employment", "2024-01")] == ("loaded", None)
    assert seen[("labour", "employment", "2009-12")] == ("loaded", None)  # history, not an error
    assert "the folder '2025-13' is not a monthly period of labour.employment (YYYY-MM)" in \
        seen[("labour", "employment", "2025-13")][1]
    assert "'January' is not a monthly period" in seen[("labour", "employment", "January")][1]
    assert "'latest' is not a monthly period" in seen[("labour", "employment", "latest")][1]
    assert "'2024-01' is not a yearly period of land.zones (YYYY)" in seen[("land", "zones", "2024-01")][1]
    assert seen[("nowhere", "things", "2024-01")][1].startswith("nowhere/things is not a dataset of the agreement")
    assert seen[("labour", "payroll", "2024-01")][0] == "rejected"
    assert db.execute("select count(*) from raw_labour.employment").fetchone()[0] == 2
    # `fdi summary` shows them.
    shown = CliRunner().invoke(main, ["summary"]).output
    assert "rejected nowhere/things/2024-01: nowhere/things is not a dataset" in shown


def suite_metadata(db):
    return db.execute("select delivery_id, validated_at is not null from audit.deliveries order by 1").fetchall()


def test_deliveries_loaded_but_never_validated_are_validated_by_the_next_run(warehouse, db, tmp_path):
    """A crash between the load and the GX check: the re-run validates those deliveries, not 0 rows."""
    landing = tmp_path / "landing"
    folder = employment(landing, [employment_line("HP00001"), employment_line("HP00002")], "d-unchecked")
    assert ingest_delivery(db, folder).status == "loaded"  # loaded, the run died before its check
    assert suite_metadata(db) == [("d-unchecked", False)]
    outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
    assert not outcome.failed_checks and outcome.suite_rows == {"labour/employment": 2}
    assert suite_metadata(db) == [("d-unchecked", True)]


def test_run_killed_during_the_gx_check_is_validated_on_rerun(warehouse, db, tmp_path):
    landing = tmp_path / "landing"
    employment(landing, [employment_line(f"HP{i:05d}") for i in range(1, 201)], "d-killed-gx")
    proc = subprocess.Popen([*FDI, "run", "--no-dbt", "--landing", str(landing)], env=os.environ.copy(),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline and proc.poll() is None:  # the GX view exists only during the check
            if db.execute("select count(*) from pg_views where schemaname = 'audit' and viewname like 'gx_%'"
                          ).fetchone()[0]:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before its GX check could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert suite_metadata(db) == [("d-killed-gx", False)]  # loaded, never validated
    outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
    assert not outcome.failed_checks and outcome.suite_rows == {"labour/employment": 200}
    assert suite_metadata(db) == [("d-killed-gx", True)]


def test_second_run_at_once_says_busy_with_status_5(tmp_path):
    """Two `fdi run` on one fresh home: the second says busy (status 5), the first completes."""
    landing = tmp_path / "landing"
    employment(landing, [employment_line()], "d-two-runs")
    env = {k: v for k, v in os.environ.items() if k != "FDI_DATABASE_URL"}
    env["FDI_HOME"] = str(tmp_path / "home")
    first = subprocess.Popen([*FDI, "run", "--no-dbt", "--landing", str(landing)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = tmp_path / "home" / "fdi-run.lock"
    try:
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run([*FDI, "run", "--no-dbt", "--landing", str(landing)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 5, second.stderr
        assert "another fdi run holds the warehouse" in second.stderr and "Traceback" not in second.stderr
        out, _ = first.communicate(timeout=240)
        assert first.returncode == 0, out
        assert "Traceback" not in out
    finally:
        if first.poll() is None:
            first.kill()
        subprocess.run([*FDI, "db", "stop"], env=env, capture_output=True, timeout=60)


def test_sensor_skips_folders_that_are_no_partition_and_keeps_going(tmp_path, monkeypatch):
    """A `latest` or `2025-13` folder once failed every tick of the landing sensor."""
    import dagster as dg

    from pipelines.defs.sensors import landing_sensor

    monkeypatch.setenv("FDI_LANDING", str(tmp_path))
    employment(tmp_path, [employment_line()], "d-sensor-good")
    employment(tmp_path, [employment_line()], "d-sensor-bad1", period="latest")
    employment(tmp_path, [employment_line()], "d-sensor-bad2", period="2025-13")
    with dg.instance_for_test() as instance:
        result = landing_sensor(dg.build_sensor_context(instance=instance))
    assert [r.partition_key for r in result.run_requests] == ["2024-01"]


def test_sensor_warns_about_a_folder_that_is_no_partition_once_not_every_minute(tmp_path, monkeypatch):
    """With only ignored folders in the landing, the sensor skipped without moving its cursor, so every tick
    (each minute) evaluated and warned about the same folders again."""
    import dagster as dg

    from pipelines.defs.sensors import landing_sensor, pending_deliveries

    monkeypatch.setenv("FDI_LANDING", str(tmp_path))
    employment(tmp_path, [employment_line()], "d-sensor-bad", period="latest")
    with dg.instance_for_test() as instance:
        first = landing_sensor(dg.build_sensor_context(instance=instance))
        assert not first.run_requests and first.cursor, "the ignored folder must be remembered"
        assert pending_deliveries(tmp_path, json.loads(first.cursor)) == []
        again = landing_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert isinstance(again, dg.SkipReason)
