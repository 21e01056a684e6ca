"""Each dataset is partitioned by its contract grain: monthly `YYYY-MM` or yearly `YYYY`.

Partition keys are the delivery folder's period name, so a partition, a
landing folder and an `audit.deliveries.period` are the same string.
"""
from __future__ import annotations

import dagster as dg

from pipelines.defs.policies import FIRST_MONTH, TIMEZONE
from sources.contract import Dataset

MONTHLY = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", timezone=TIMEZONE)
YEARLY = dg.TimeWindowPartitionsDefinition(start=FIRST_MONTH[:4], cron_schedule="0 0 1 1 *", fmt="%Y",
                                            timezone=TIMEZONE)


def partitions_for(ds: Dataset) -> dg.TimeWindowPartitionsDefinition:
    return YEARLY if ds.grain == "year" else MONTHLY
