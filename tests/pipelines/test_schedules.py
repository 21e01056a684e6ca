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


def test_yearly_ingest_requests_each_annual_dataset_the_month_after_it_is_due():
    """The zones are due with their December; the CIT returns and disclosures by the end of March (local rule
    due_months_after_year_end): asked for in January, they would not exist yet."""
    annual = {f"{ds.raw_schema}/{ds.name}" for ds in all_datasets() if ds.grain == "year"}
    assert {"raw_tax/cit_returns", "raw_tax/related_party", "raw_land/zones"} <= annual

    def asked(month):
        ticked = _requests(dt.datetime(2025, month, 5, 6), yearly_ingest)
        return {(r.asset_selection[0].to_user_string(), r.partition_key) for r in ticked
                if isinstance(r, dg.RunRequest)}

    january, april = asked(1), asked(4)
    assert ("raw_land/zones", "2024") in january and ("raw_tax/cit_returns", "2024") not in january
    assert {("raw_tax/cit_returns", "2024"), ("raw_tax/related_party", "2024")} <= april
    assert ("raw_land/zones", "2024") not in april
    assert asked(2) == set()
    # every annual dataset is asked for once a year
    assert sorted(k for m in range(1, 13) for k, _ in asked(m)) == sorted(annual)


def test_an_annual_loader_is_late_only_after_its_year_is_due():
    from pipelines.defs.policies import freshness_for
    from sources.contract import dataset

    assert freshness_for(dataset("tax", "cit_returns")).deadline_cron == "0 6 5 4 *"
    assert freshness_for(dataset("land", "zones")).deadline_cron == "0 6 5 1 *"
    assert freshness_for(dataset("customs", "declarations")).deadline_cron == "0 6 5 * *"
