"""Run policies, applied in one place to every asset."""
from __future__ import annotations

import datetime as dt

import dagster as dg
import psycopg

from sources.contract import Dataset
from warehouse.server import WarehouseUnavailable

# Transient database errors (a restart, a dropped connection, a deadlock with a
# concurrent backfill) deserve another try; a broken delivery does not (it is
# audited as rejected, not raised), nor does a failing dbt test. So loaders ask
# for a retry on exactly these errors instead of retrying every failure.
TRANSIENT_ERRORS = (
    WarehouseUnavailable,
    psycopg.OperationalError,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)
MAX_RETRIES = 3
RETRY_SECONDS = 20

# Periods start where the agreement does: fiscal years from 2000 (tax.yaml,
# cit_returns.fiscal_year min 2000). A late delivery of old history (2009-12)
# is then a partition like any other, not an error (issue #13).
FIRST_MONTH = "2000-01"
TIMEZONE = "Asia/Ho_Chi_Minh"


def freshness_for(ds: Dataset) -> dg.FreshnessPolicy:
    """A loader that has not loaded by its ingest schedule's tick shows as late in the UI, so a late agency is seen.

    The ingest schedules run on the 5th of each month (monthly datasets), and an annual dataset's on the 5th of
    the month after its year is due (local rule `due_months_after_year_end`: January for the zones, April for
    the CIT returns and related-party disclosures, due by the end of March), after the agencies' deliveries of
    the first days (pipelines/defs/schedules.py); a loader is fresh when it materialised in the period before
    that tick (28 days: Dagster caps the window at the shortest month).
    """
    if ds.grain == "year":
        return dg.FreshnessPolicy.cron(deadline_cron=f"0 6 5 {annual_ingest_month(ds)} *",
                                       lower_bound_delta=dt.timedelta(days=365), timezone=TIMEZONE)
    return dg.FreshnessPolicy.cron(deadline_cron="0 6 5 * *", lower_bound_delta=dt.timedelta(days=28),
                                   timezone=TIMEZONE)


def annual_ingest_month(ds: Dataset) -> int:
    """The month (1-12) of the year after an annual dataset's period in which its ingest runs: the one after the
    month it is due with (December, or the local rule's deadline, at most eleven months later)."""
    return 1 + ds.due_months_after_year_end
