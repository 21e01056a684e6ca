"""Run policies, applied in one place to every asset."""
from __future__ import annotations

import dagster as dg
import psycopg

# Transient database errors (a restart, a dropped connection, a deadlock with a
# concurrent backfill) deserve another try; a broken delivery does not, and is
# audited as rejected instead of raised.
DATABASE_RETRY = dg.RetryPolicy(max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
TRANSIENT_ERRORS = (psycopg.OperationalError, psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)

# Periods start here: the agreement allows fiscal years from 2000, but the
# FDI register's electronic history (and so any delivery) begins in 2010.
FIRST_MONTH = "2010-01"
TIMEZONE = "Asia/Ho_Chi_Minh"
