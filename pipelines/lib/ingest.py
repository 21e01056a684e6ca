"""Carry one delivery folder from the landing folder into `raw_<agency>`.

verify manifest and files -> stream checked batches -> COPY the good rows,
quarantine the bad ones, record repairs -> audit, all in one transaction.
A delivery-level fault rolls the transaction back and audits a rejection.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sources.contract import Dataset, all_datasets
from sources.delivery import Delivery, folder_identity, read_manifest
from sources.faults import DeliveryFault
from warehouse.bootstrap import RawTable
from warehouse.loader import DeliveryMeta, delivery_status, load_delivery, record_rejection

log = logging.getLogger("fdi.ingest")


def raw_table(ds: Dataset) -> RawTable:
    return RawTable(ds.raw_schema, ds.name, tuple((c.name, c.type) for c in ds.columns))


def raw_tables() -> list[RawTable]:
    return [raw_table(ds) for ds in all_datasets()]


@dataclass
class IngestResult:
    folder: str
    agency: str
    dataset: str
    period: str
    delivery_id: str
    status: str  # loaded | superseded | rejected | skipped
    rows_in_manifest: int | None = None
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_repaired: int = 0
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    check_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.status == "rejected":
            return f"{self.agency}/{self.dataset}/{self.period} ({self.delivery_id}) REJECTED: {self.reason}"
        if self.status == "skipped":
            return f"{self.agency}/{self.dataset}/{self.period} ({self.delivery_id}) already loaded; nothing to do"
        return (f"{self.agency}/{self.dataset}/{self.period} ({self.delivery_id}) {self.status}: "
                f"{self.rows_loaded} loaded, {self.rows_quarantined} quarantined, {self.rows_repaired} repaired "
                f"of {self.rows_in_manifest} in {self.seconds:.1f}s")


def _fallback_id(folder: Path) -> str:
    """A stable id for a delivery whose manifest cannot be read, so its rejection is audited once."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
            digest.update(str(path.stat().st_mtime_ns).encode())
    agency, dataset, period = folder_identity(folder)
    return f"unreadable:{agency}/{dataset}/{period}:{digest.hexdigest()[:12]}"


def ingest_delivery(conn: psycopg.Connection, folder: Path, *, force: bool = False) -> IngestResult:
    """Load one delivery folder; idempotent per delivery_id unless `force`."""
    started = time.monotonic()
    folder = Path(folder)
    agency, dataset, period = folder_identity(folder)
    try:
        delivery = Delivery.open(folder)
    except DeliveryFault as fault:
        manifest = None
        try:
            manifest = read_manifest(folder)
        except DeliveryFault:
            pass
        delivery_id = manifest.delivery_id if manifest else _fallback_id(folder)
        meta = DeliveryMeta(delivery_id, agency, dataset, period, manifest.extracted_at if manifest else None,
                            manifest.rows if manifest else None, str(folder), manifest.raw if manifest else None)
        record_rejection(conn, meta, str(fault))
        log.error("delivery %s/%s/%s (%s) rejected: %s", agency, dataset, period, delivery_id, fault)
        return IngestResult(str(folder), agency, dataset, period, delivery_id, "rejected", reason=str(fault),
                            rows_in_manifest=meta.rows_in_manifest, seconds=time.monotonic() - started)

    m = delivery.manifest
    meta = DeliveryMeta(m.delivery_id, agency, dataset, period, m.extracted_at, m.rows, str(folder), m.raw)
    result = IngestResult(str(folder), agency, dataset, period, m.delivery_id, "loaded", rows_in_manifest=m.rows)
    previous = delivery_status(conn, m.delivery_id)
    if previous in ("loaded", "superseded") and not force:
        result.status = "skipped"
        log.info("delivery %s/%s/%s (%s) already %s; skipped", agency, dataset, period, m.delivery_id, previous)
        return result
    try:
        delivery.verify_files()
        logged = 0
        with load_delivery(conn, raw_table(delivery.dataset), meta) as load:
            for batch in delivery.batches():
                load.copy(batch.good)
                load.quarantine(batch.quarantined)
                load.repairs(batch.repairs)
                for q in batch.quarantined:
                    for reason in q.reasons:
                        result.check_counts[reason] = result.check_counts.get(reason, 0) + 1
                    if logged < 20:  # the rest are in audit.quarantine
                        logged += 1
                        log.warning("delivery %s row %d quarantined: %s", m.delivery_id, q.row_number,
                                    ", ".join(q.reasons))
            counts = load.finish(delivery.warnings)
    except DeliveryFault as fault:
        record_rejection(conn, meta, str(fault), delivery.warnings)
        log.error("delivery %s/%s/%s (%s) rejected: %s", agency, dataset, period, m.delivery_id, fault)
        result.status, result.reason = "rejected", str(fault)
        result.check_counts = {}
        result.seconds = time.monotonic() - started
        return result
    result.status = counts.status
    result.rows_loaded = counts.rows_loaded
    result.rows_quarantined = counts.rows_quarantined
    result.rows_repaired = counts.rows_repaired
    result.warnings = counts.warnings
    result.seconds = time.monotonic() - started
    log.info(result.summary())
    return result
