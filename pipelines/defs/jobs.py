"""Ingest jobs: one per partitioning, since a run's assets must share their partitions."""
from __future__ import annotations

import dagster as dg

from pipelines.defs.assets.raw import raw_key
from pipelines.defs.partitions import MONTHLY, YEARLY
from sources.contract import Dataset, all_datasets

INGEST_MONTHLY = "ingest_monthly"
INGEST_YEARLY = "ingest_yearly"


def raw_keys(grain: str) -> list[dg.AssetKey]:
    return [raw_key(ds) for ds in all_datasets() if ds.grain == grain]


def ingest_job_name(ds: Dataset) -> str:
    return INGEST_YEARLY if ds.grain == "year" else INGEST_MONTHLY


ingest_monthly = dg.define_asset_job(INGEST_MONTHLY, selection=dg.AssetSelection.assets(*raw_keys("month")),
                                     partitions_def=MONTHLY, description="Load monthly deliveries into raw.")
ingest_yearly = dg.define_asset_job(INGEST_YEARLY, selection=dg.AssetSelection.assets(*raw_keys("year")),
                                    partitions_def=YEARLY, description="Load annual deliveries into raw.")
