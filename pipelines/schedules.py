"""The monthly build: load last month's (and in January last year's) deliveries, then run dbt.

Agencies deliver within the first days of the month (the agreement's example
manifest is extracted on the 2nd), so the ingest runs on the 5th and the dbt
build two hours later.
"""

import datetime as dt

import dagster as dg

from sources.lib.contract import all_datasets
from pipelines.assets.raw import raw_key
from pipelines.policies import TIMEZONE


def _previous_periods(when: dt.datetime) -> tuple[str, str]:
    first = when.date().replace(day=1)
    last_month = first - dt.timedelta(days=1)
    return last_month.strftime("%Y-%m"), str(first.year - 1)


@dg.schedule(
    name="monthly_ingest",
    cron_schedule="0 6 5 * *",
    execution_timezone=TIMEZONE,
    target=dg.AssetSelection.assets(*[raw_key(ds) for ds in all_datasets()]),
    description="Loads last month's deliveries of every monthly dataset (and last year's of annual ones in January).",
)
def monthly_ingest(context: dg.ScheduleEvaluationContext):
    month, year = _previous_periods(context.scheduled_execution_time)
    for ds in all_datasets():
        if ds.grain == "year" and context.scheduled_execution_time.month != 1:
            continue
        period = year if ds.grain == "year" else month
        yield dg.RunRequest(run_key=f"{ds.qualified}/{period}", partition_key=period, asset_selection=[raw_key(ds)])


def monthly_transform_schedule(dbt_assets: dg.AssetsDefinition) -> dg.ScheduleDefinition:
    job = dg.define_asset_job("dbt_build", selection=dg.AssetSelection.assets(dbt_assets))
    return dg.ScheduleDefinition(name="monthly_transform", job=job, cron_schedule="0 8 5 * *",
                                 execution_timezone=TIMEZONE,
                                 description="dbt build of every model, test and check after the monthly ingest.")
