"""A sensor on the landing folder: a new or replaced delivery launches a run for its partition."""

import json
from pathlib import Path

import dagster as dg

from pipelines.defs.assets.raw import raw_key
from pipelines.defs.jobs import ingest_job_name, ingest_monthly, ingest_yearly
from pipelines.defs.partitions import partitions_for, period_problem
from sources.contract import all_datasets
from sources.delivery import folder_identity
from warehouse.settings import Settings

_DATASETS = {(ds.agency, ds.name): ds for ds in all_datasets()}


def delivery_fingerprint(folder: Path) -> str:
    """What identifies a delivery's content: its manifest (id, hashes) as it stands on disk."""
    manifest = folder / "manifest.json"
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        return f"{doc.get('delivery_id')}:{manifest.stat().st_mtime_ns}"
    except (OSError, ValueError):
        # A broken manifest is still a delivery to audit (it will be rejected).
        return f"unreadable:{manifest.stat().st_mtime_ns if manifest.exists() else 0}"


def pending_deliveries(landing: Path, seen: dict[str, str]) -> list[tuple[Path, str]]:
    """Delivery folders whose fingerprint differs from the one seen last."""
    pending = []
    for manifest in sorted(Path(landing).glob("*/*/*/manifest.json")):
        folder = manifest.parent
        if folder.parent.parent.name.startswith("_"):
            continue
        fingerprint = delivery_fingerprint(folder)
        if seen.get(str(folder)) != fingerprint:
            pending.append((folder, fingerprint))
    return pending


@dg.sensor(
    name="landing_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    jobs=[ingest_monthly, ingest_yearly],
    description="Launches a load of exactly the partitions whose delivery folder is new or was replaced.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    landing = Settings.from_env().landing
    if not landing.is_dir():
        return dg.SkipReason(f"landing folder {landing} does not exist yet")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    pending = pending_deliveries(landing, seen)
    for folder, fingerprint in pending:
        agency, dataset, period = folder_identity(folder)
        ds = _DATASETS.get((agency, dataset))
        problem = None if ds is None else period_problem(
            ds, period, set(partitions_for(ds).get_partition_keys(dynamic_partitions_store=context.instance)))
        if ds is None:
            context.log.warning(f"{folder}: no dataset {agency}/{dataset} in the agreement; ignored")
        elif problem:
            # A run request for a key that is no partition fails the whole tick, and every later
            # tick with it: one bad folder would stop every new delivery (issue #13). `fdi run` audits it.
            context.log.warning(f"{agency}/{dataset}/{period}: {problem}")
        else:
            requests.append(dg.RunRequest(
                job_name=ingest_job_name(ds),
                run_key=f"{agency}/{dataset}/{period}/{fingerprint}",
                partition_key=period,
                asset_selection=[raw_key(ds)],
                tags={"fdi/delivery_folder": str(folder)},
            ))
        seen[str(folder)] = fingerprint
    if not pending:
        return dg.SkipReason("no new deliveries")
    if not requests:
        # the folders were all ignored, each with its warning above: the cursor still moves, so a
        # folder is warned about once, not again every minute until someone moves it
        return dg.SensorResult(skip_reason=f"{len(pending)} folder(s) ignored, no new deliveries",
                               cursor=json.dumps(seen, sort_keys=True))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
