"""Guards the one rule that holds dbt back: the scheduled build and `fdi run` skip dbt while a loader's
latest blocking contract check has not passed, and build again once it passes."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines.defs.gate import blocking_check_keys, failed_blocking_checks
from pipelines.defs.schedules import monthly_transform_schedule

CUSTOMS = dg.AssetKey(["raw_customs", "declarations"])


@dg.asset(key=["marts", "stand_in"])
def _stand_in():
    """The schedule only needs a job to name; the gate, not the selection, is under test."""


def _tick(instance: dg.DagsterInstance):
    schedule = monthly_transform_schedule(_stand_in)
    # as a context manager: the context's instance is Dagster's current one until it closes, and left open it
    # would stay current after being disposed, breaking every later load of the definitions in this process
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(2024, 4, 5, 8, 0)) as ctx:
        return schedule.evaluate_tick(ctx)


def _report(instance: dg.DagsterInstance, passed: bool) -> None:
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=CUSTOMS, check_name="contract_suite", passed=passed))


def test_every_loader_has_a_blocking_check_in_the_gate():
    assert dg.AssetCheckKey(CUSTOMS, "contract_suite") in blocking_check_keys()
    assert len(blocking_check_keys()) == 15


def test_the_scheduled_build_waits_for_a_failed_blocking_check_and_goes_ahead_once_it_passes():
    with dg.instance_for_test() as instance:
        fresh = _tick(instance)  # no loader has run: nothing holds the build back
        assert len(fresh.run_requests) == 1 and not fresh.skip_message

        _report(instance, passed=False)
        assert failed_blocking_checks(instance) == ["raw_customs/declarations"]
        held = _tick(instance)
        assert held.run_requests == [] or held.run_requests is None
        assert "raw_customs/declarations" in held.skip_message and "held back" in held.skip_message

        _report(instance, passed=True)  # the repaired delivery was re-loaded and its suite passed
        assert failed_blocking_checks(instance) == []
        assert len(_tick(instance).run_requests) == 1


def test_fdi_run_holds_dbt_back_on_a_failed_check_of_an_earlier_run(warehouse, tmp_path):
    """`fdi run` reads the same rule: a blocking check that failed before still holds this run's build."""
    from pipelines.lib.instance import prepare_dagster_home
    from pipelines.run import run_pipeline
    from tests.helpers import project_row, write_projects
    from warehouse.settings import Settings

    prepare_dagster_home(Settings.from_env())
    with dg.DagsterInstance.get() as instance:
        _report(instance, passed=False)
    landing = tmp_path / "landing"
    write_projects(landing, "2024-05", [project_row()], "d-may")
    lines: list[str] = []
    outcome = run_pipeline(landing, progress=lines.append)
    assert not outcome.dbt_ran
    assert "customs/declarations" in outcome.failed_checks
    assert any("held back" in line and "raw_customs/declarations" in line for line in lines)


# The nightly full test pass follows the same rule; the monthly build tests what it wrote and leaves the dbt
# unit tests and the `full_pass_only` tests out, the nightly run tests every row and runs them all
# (dbt_project/macros/test_scope.sql). The dbt side is proven in tests/dbt/test_linked_warehouse.py.
def test_the_monthly_build_leaves_unit_tests_out_and_the_full_run_tests_everything():
    import json

    from pipelines.defs.assets.dbt import FULL_TESTS_TAG, dbt_build_args
    from pipelines.lib.dbt_project import prepare_manifest

    assert dbt_build_args({}) == ["build", "--exclude-resource-type", "unit_test", "--exclude", "tag:full_pass_only"]
    # the tag the monthly build leaves out is on tests of the project, and only on data tests
    tagged = [node for node in json.loads(prepare_manifest().read_text())["nodes"].values()
              if "full_pass_only" in node.get("tags", [])]
    assert tagged and {node["resource_type"] for node in tagged} == {"test"}
    full = dbt_build_args({FULL_TESTS_TAG: "true"})
    assert full[0] == "build" and "--exclude-resource-type" not in full and "--exclude" not in full
    assert json.loads(full[full.index("--vars") + 1]) == {"fdi_full_tests": True}


def test_the_nightly_schedule_asks_for_every_row_and_waits_for_a_failed_blocking_check():
    from pipelines.defs.assets.dbt import FULL_TESTS_TAG
    from pipelines.defs.schedules import nightly_full_tests_schedule

    schedule = nightly_full_tests_schedule(_stand_in)
    with dg.instance_for_test() as instance:
        when = dt.datetime(2024, 4, 6, 2, 0)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            (request,) = schedule.evaluate_tick(ctx).run_requests
        assert request.tags[FULL_TESTS_TAG] == "true"
        _report(instance, passed=False)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            held = schedule.evaluate_tick(ctx)
        assert not held.run_requests and "raw_customs/declarations" in held.skip_message
