"""Run policies, applied in one place to every asset."""
from __future__ import annotations

import psycopg

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

# Periods start here: the agreement allows fiscal years from 2000, but the
# FDI register's electronic history (and so any delivery) begins in 2010.
FIRST_MONTH = "2010-01"
TIMEZONE = "Asia/Ho_Chi_Minh"
