"""The monthly build tests what it wrote; the nightly run (and `fdi run --full-tests`) tests every row and runs
the dbt unit tests (dbt_project/macros/test_scope.sql). The dbt side is proven end to end in
tests/dbt/test_incremental_tests.py; here, that each run asks dbt for the right thing."""
from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from pipelines.defs.assets.dbt import FULL_TESTS_TAG, dbt_build_args
from pipelines.defs.schedules import nightly_full_tests_schedule
from tests.pipelines.test_gate import _report, _stand_in


def test_the_monthly_build_leaves_unit_tests_out_and_the_full_run_tests_everything():
    assert dbt_build_args({}) == ["build", "--exclude-resource-type", "unit_test"]
    full = dbt_build_args({FULL_TESTS_TAG: "true"})
    assert full[0] == "build" and "--exclude-resource-type" not in full
    assert json.loads(full[full.index("--vars") + 1]) == {"fdi_full_tests": True}


def test_the_nightly_schedule_asks_for_every_row_and_waits_for_a_failed_blocking_check():
    schedule = nightly_full_tests_schedule(_stand_in)
    with dg.instance_for_test() as instance:
        ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(2024, 4, 6, 2, 0))
        (request,) = schedule.evaluate_tick(ctx).run_requests
        assert request.tags[FULL_TESTS_TAG] == "true"
        _report(instance, passed=False)
        held = schedule.evaluate_tick(ctx)
        assert not held.run_requests and "raw_customs/declarations" in held.skip_message
