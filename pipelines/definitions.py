"""Assembles the Dagster definitions; nothing else lives here.

Loaded lazily (`@dg.definitions`): importing this module reads no
environment, opens no connection and runs no dbt command.
"""
from __future__ import annotations

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from pipelines.defs.assets.dbt import build_dbt_assets, dbt_resource
    from pipelines.defs.assets.raw import build_raw_assets
    from pipelines.defs.jobs import ingest_monthly, ingest_yearly
    from pipelines.defs.resources import WarehouseResource
    from pipelines.defs.schedules import (
        dbt_build_job,
        monthly_ingest,
        monthly_transform_schedule,
        nightly_full_tests_schedule,
        yearly_ingest,
    )
    from pipelines.defs.sensors import landing_sensor

    dbt_models = build_dbt_assets()
    dbt_build = dbt_build_job(dbt_models)
    return dg.Definitions(
        assets=[*build_raw_assets(), dbt_models],
        jobs=[ingest_monthly, ingest_yearly],
        sensors=[landing_sensor],
        schedules=[monthly_ingest, yearly_ingest, monthly_transform_schedule(dbt_models, dbt_build),
                   nightly_full_tests_schedule(dbt_models, dbt_build)],
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
    )
