"""The landing sensor launches exactly the partitions whose delivery is new or replaced."""
from __future__ import annotations

import dagster as dg

from pipelines.defs.sensors import landing_sensor
from tests.helpers import project_row, write_projects


def _evaluate(cursor=None):
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor)
        return landing_sensor(ctx)


def test_sensor_requests_new_and_replaced_deliveries_only(tmp_path, monkeypatch):
    monkeypatch.setenv("FDI_LANDING", str(tmp_path))
    write_projects(tmp_path, "2024-01", [project_row()], "d-jan")
    write_projects(tmp_path, "2024-02", [project_row()], "d-feb")
    first = _evaluate()
    assert sorted(r.partition_key for r in first.run_requests) == ["2024-01", "2024-02"]
    assert all(r.asset_selection == [dg.AssetKey(["raw_registry", "projects"])] for r in first.run_requests)

    assert isinstance(_evaluate(first.cursor), dg.SkipReason)  # nothing new

    write_projects(tmp_path, "2024-02", [project_row(status="suspended")], "d-feb-corrected")
    third = _evaluate(first.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2024-02"]
