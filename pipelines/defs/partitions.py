"""Each dataset is partitioned by its contract grain: monthly `YYYY-MM` or yearly `YYYY`.

Partition keys are the delivery folder's period name, so a partition, a
landing folder and an `audit.deliveries.period` are the same string.
"""
from __future__ import annotations

import re

import dagster as dg

from pipelines.defs.policies import FIRST_MONTH, TIMEZONE
from sources.contract import Dataset

MONTHLY = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", timezone=TIMEZONE)
YEARLY = dg.TimeWindowPartitionsDefinition(start=FIRST_MONTH[:4], cron_schedule="0 0 1 1 *", fmt="%Y",
                                            timezone=TIMEZONE)


def partitions_for(ds: Dataset) -> dg.TimeWindowPartitionsDefinition:
    return YEARLY if ds.grain == "year" else MONTHLY


def period_problem(ds: Dataset, period: str, partition_keys: set[str]) -> str | None:
    """Why a folder under a dataset is not one of its delivery periods, or None."""
    shape = "YYYY" if ds.grain == "year" else "YYYY-MM"
    if not re.match(ds.period_pattern(), period):
        return f"the folder {period!r} is not a {ds.grain}ly period of {ds.qualified} ({shape}); nothing in it was read."
    if period not in partition_keys:
        first = min(partition_keys)
        if period < first:
            return (f"the folder {period!r} lies before {first}, the first period of the agreement; "
                    "nothing in it was read.")
        return (f"the folder {period!r} is a period that has not ended yet (the last complete one is "
                f"{max(partition_keys)}); a delivery cannot report the future, so nothing in it was read.")
    return None
