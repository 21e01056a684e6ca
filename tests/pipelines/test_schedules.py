"""The schedules ask for last month's partitions, and in January for last year's."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines.defs.schedules import monthly_ingest, yearly_ingest
from sources.contract import all_datasets


def _requests(when: dt.datetime, schedule=monthly_ingest):
    with dg.instance_for_test() as instance, \
            dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
        return list(schedule(ctx))


def test_monthly_ingest_requests_last_month():
    requests = _requests(dt.datetime(2024, 4, 5, 6, 0))
    keys = {(r.asset_selection[0].to_user_string(), r.partition_key) for r in requests}
    assert ("raw_customs/declarations", "2024-03") in keys
    assert all(p == "2024-03" for _, p in keys)
    assert {k for k, _ in keys} == {f"{ds.raw_schema}/{ds.name}" for ds in all_datasets() if ds.grain == "month"}


def test_yearly_ingest_requests_last_year_of_annual_datasets():
    requests = _requests(dt.datetime(2025, 1, 5, 6), yearly_ingest)
    keys = {(r.asset_selection[0].to_user_string(), r.partition_key) for r in requests}
    annual = {f"{ds.raw_schema}/{ds.name}" for ds in all_datasets() if ds.grain == "year"}
    assert {"raw_tax/cit_returns", "raw_tax/related_party", "raw_land/zones"} <= annual
    assert keys == {(key, "2024") for key in annual}
