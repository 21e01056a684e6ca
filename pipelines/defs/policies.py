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

# Periods start where the agreement does: fiscal years from 2000 (tax.yaml,
# cit_returns.fiscal_year min 2000). A late delivery of old history (2009-12)
# is then a partition like any other, not an error (issue #13).
FIRST_MONTH = "2000-01"
TIMEZONE = "Asia/Ho_Chi_Minh"
