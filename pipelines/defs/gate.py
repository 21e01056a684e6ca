"""The one rule that holds dbt back: every loader's latest blocking check must have passed.

A loader asset's `contract_suite` check (GX on the rows it loaded) is
blocking: when it fails, a stream check let something through, and nothing
built on those rows may be trusted. Both paths that build dbt ask this module
and nothing else: the `monthly_transform` schedule skips its tick with the
names of the failed checks, and `fdi run` (pipelines.run) skips its dbt build.
A check whose latest execution did not succeed (failed, or started and never
finished because the run died) holds dbt back until a run of that loader
passes it; a loader never run has nothing to hold back.

Why a schedule that asks, rather than an automation condition on the dbt
assets: the build is one `dbt build` over every model, and it must be held
back as a whole (not model by model), on the cron, whatever a loader upstream
of only some models says; one function read by both paths says exactly that
and is tested without a daemon (tests/pipelines/test_gate.py).
"""
from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pipelines.defs.assets.raw import SUITE_CHECK, raw_key
from sources.contract import all_datasets


def blocking_check_keys() -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(raw_key(ds), SUITE_CHECK) for ds in all_datasets()]


def failed_blocking_checks(instance: dg.DagsterInstance,
                           keys: Iterable[dg.AssetCheckKey] | None = None) -> list[str]:
    """Loader assets (`raw_x/y`) whose latest blocking check did not succeed, sorted; empty means dbt may build."""
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys or blocking_check_keys()))
    return sorted(key.asset_key.to_user_string() for key, record in latest.items()
                  if record.status != AssetCheckExecutionRecordStatus.SUCCEEDED)


def hold_reason(failed: list[str]) -> str:
    return (f"dbt build held back: the blocking contract check of {', '.join(failed)} did not pass; "
            "repair the delivery (see `fdi summary`) and re-run that loader, then the build goes ahead")
