"""The monthly build: load last month's deliveries (last year's annual ones once due), then run dbt.

Agencies deliver within the first days of the month (the agreement's example
manifest is extracted on the 2nd), so the ingest runs on the 5th and the dbt
build two hours later.
"""

import datetime as dt

import dagster as dg

from pipelines.defs.assets.raw import raw_key
from pipelines.defs.gate import failed_blocking_checks, hold_reason
from pipelines.defs.jobs import ingest_monthly, ingest_yearly, raw_keys
from pipelines.defs.policies import TIMEZONE, annual_ingest_month
from sources.contract import all_datasets


@dg.schedule(name="monthly_ingest", cron_schedule="0 6 5 * *", execution_timezone=TIMEZONE, job=ingest_monthly,
             description="Loads last month's delivery of every monthly dataset.")
def monthly_ingest(context: dg.ScheduleEvaluationContext):
    first = context.scheduled_execution_time.date().replace(day=1)
    period = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    for key in raw_keys("month"):
        yield dg.RunRequest(run_key=f"{key.to_user_string()}/{period}", partition_key=period, asset_selection=[key])


@dg.schedule(name="yearly_ingest", cron_schedule="0 6 5 * *", execution_timezone=TIMEZONE, job=ingest_yearly,
             description="Loads last year's delivery of each annual dataset on the 5th of the month after it is "
                         "due: in January the zones and the investors' reports, in April the CIT returns and "
                         "related-party disclosures (due by the end of March).")
def yearly_ingest(context: dg.ScheduleEvaluationContext):
    when = context.scheduled_execution_time
    period = str(when.year - 1)
    due = [ds for ds in all_datasets() if ds.grain == "year" and annual_ingest_month(ds) == when.month]
    if not due:
        return dg.SkipReason(f"no annual dataset of {period} falls due in the month before this one")
    return [dg.RunRequest(run_key=f"{raw_key(ds).to_user_string()}/{period}", partition_key=period,
                          asset_selection=[raw_key(ds)]) for ds in due]


def dbt_build_job(dbt_assets: dg.AssetsDefinition):  # an asset job, resolved by the Definitions
    return dg.define_asset_job("dbt_build", selection=dg.AssetSelection.assets(dbt_assets))


def _gated_request(context: dg.ScheduleEvaluationContext, run_key: str,
                   tags: dict[str, str] | None = None) -> dg.RunRequest | dg.SkipReason:
    """The dbt build's run request, or the reason to skip while a loader's blocking check has not passed
    (the one rule, pipelines/defs/gate.py)."""
    failed = failed_blocking_checks(context.instance)
    if failed:
        return dg.SkipReason(hold_reason(failed))
    return dg.RunRequest(run_key=run_key, tags=tags or {})


def monthly_transform_schedule(dbt_assets: dg.AssetsDefinition,
                               job=None) -> dg.ScheduleDefinition:
    job = job or dbt_build_job(dbt_assets)

    @dg.schedule(name="monthly_transform", job=job, cron_schedule="0 8 5 * *", execution_timezone=TIMEZONE,
                 description="dbt build of every model, test and check after the monthly ingest; skipped while a "
                             "loader's blocking contract check has not passed (pipelines/defs/gate.py).")
    def monthly_transform(context: dg.ScheduleEvaluationContext):
        return _gated_request(context, context.scheduled_execution_time.strftime("dbt_build/%Y-%m"))

    return monthly_transform


def nightly_full_tests_schedule(dbt_assets: dg.AssetsDefinition,
                                job=None) -> dg.ScheduleDefinition:
    """Every night, the dbt build with every data test on every row and the unit tests: the monthly build's
    tests read only what it wrote (dbt_project/macros/test_scope.sql), so this is the pass that re-reads the
    whole history. With no new delivery its incremental models write nothing, so the run is the tests."""
    from pipelines.defs.assets.dbt import FULL_TESTS_TAG

    @dg.schedule(name="nightly_full_tests", job=job or dbt_build_job(dbt_assets), cron_schedule="0 2 * * *",
                 execution_timezone=TIMEZONE,
                 description="dbt build testing every row of every model, with the unit tests; skipped while a "
                             "loader's blocking contract check has not passed (pipelines/defs/gate.py).")
    def nightly_full_tests(context: dg.ScheduleEvaluationContext):
        return _gated_request(context, context.scheduled_execution_time.strftime("dbt_full_tests/%Y-%m-%d"),
                              tags={FULL_TESTS_TAG: "true"})

    return nightly_full_tests
