"""Carry one delivery folder from the landing folder into `raw_<agency>`.

verify manifest and files -> stream checked batches -> COPY the good rows,
quarantine the bad ones, record repairs -> audit, all in one transaction.
A delivery-level fault rolls the transaction back and audits a rejection.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sources.contract import Dataset, all_datasets
from sources.delivery import Delivery, folder_identity, read_manifest
from sources.faults import DeliveryFault
from sources.formats import read_ahead
from warehouse.bootstrap import RawTable
from warehouse.loader import DeliveryMeta, delivery_status, load_delivery, record_rejection
from warehouse.settings import Settings

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


_PERSONAL_WHEN = re.compile(r"^Personal data when (\w+) is (\w+)")


class PersonalData:
    """Personal columns leave the loader's audit tables only as keyed hashes.

    audit.quarantine.original and audit.repairs are read by every engineer, so a
    rejected row's passport number or an individual investor's name is stored as
    `<column>_hash`, the same HMAC-SHA256 with the same key as staging's
    pseudonymise(): an engineer can still join a quarantined row to its
    warehouse twin, but nobody reads the person (contracts/warehouse.md; issue #13).
    Personal are the contract's `pii` columns, and a column described as
    "Personal data when <column> is <value>" unless that column says otherwise.
    """

    def __init__(self, ds: Dataset):
        self.always = set(ds.pii_columns)
        self.when: dict[str, tuple[str, str]] = {}
        for col in ds.columns:
            match = _PERSONAL_WHEN.match(col.description or "")
            if match and not col.pii:
                self.when[col.name] = (match.group(1), match.group(2))
        self.other_values = {c.name: set(c.values) for c in ds.columns}
        self._key: bytes | None = None

    def __bool__(self) -> bool:
        return bool(self.always or self.when)

    def hash(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self._key is None:
            self._key = Settings.from_env().pseudonym_key().encode()
        return hmac.new(self._key, value.encode("utf-8", "backslashreplace"), hashlib.sha256).hexdigest()

    def _personal(self, column: str, row: dict | None) -> bool:
        if column in self.always:
            return True
        if column not in self.when:
            return False
        other, value = self.when[column]
        said = (row or {}).get(other)
        # Not personal only when the row clearly says so (an organisation).
        return not (said in self.other_values.get(other, ()) and said != value)

    def quarantined(self, rows: list) -> list:
        for q in rows:
            for column in [c for c in q.original if self._personal(c, q.original)]:
                q.original[f"{column}_hash"] = self.hash(q.original.pop(column))
        return rows

    def repairs(self, repairs: list, kinds: dict[int, dict]) -> list:
        for r in repairs:
            if self._personal(r.column, kinds.get(r.row_number)):
                r.before, r.after, r.column = self.hash(r.before), self.hash(r.after), f"{r.column}_hash"
        return repairs


def server_refusal(exc: BaseException) -> str:
    """One sentence for a delivery PostgreSQL refused although the stream checks passed it."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        where = f" ({exc.diag.context.strip().splitlines()[0]})" if exc.diag.context else ""
        return (f"PostgreSQL refused a value of this delivery: {exc.diag.message_primary}{where}; "
                "nothing of it was loaded.")
    return f"the load of this delivery failed and was rolled back: {exc}."


def _file_set(files) -> set[tuple[str, str]]:
    return {(str(f["name"]), str(f["sha256"]).lower()) for f in files}


def reuse_conflict(conn: psycopg.Connection, delivery: Delivery) -> str | None:
    """Why a delivery_id already loaded is not this delivery (other dataset, period,
    files or hashes), or None when it is the same bytes again (a no-op)."""
    m = delivery.manifest
    row = conn.execute("select agency, dataset, period, manifest, received_at from audit.deliveries "
                       "where delivery_id = %s", (m.delivery_id,)).fetchone()
    if row is None:
        return None
    agency, dataset, period, manifest, received = row
    earlier = f"the earlier delivery {m.delivery_id} of {agency}/{dataset}/{period} (received {received:%Y-%m-%d %H:%M})"
    if (agency, dataset, period) != (m.agency, m.dataset, m.period):
        return (f"delivery_id {m.delivery_id} is already used by {earlier}; a delivery of "
                f"{m.agency}/{m.dataset}/{m.period} needs its own delivery_id, so this one was not loaded.")
    before = _file_set((manifest or {}).get("files") or [])
    now = {(f.name, f.sha256) for f in m.files}
    if before != now:
        return (f"delivery_id {m.delivery_id} was already loaded as {earlier} with other files or hashes; "
                "a correction needs a new delivery_id, so this one was not loaded.")
    return None


def conflict_id(delivery: Delivery) -> str:
    """The audit id of a conflicting copy: the reused id plus a digest of its files, so each copy is audited once."""
    digest = hashlib.sha256(repr(sorted((f.name, f.sha256) for f in delivery.manifest.files)).encode()).hexdigest()
    return f"{delivery.manifest.delivery_id}:conflict:{digest[:12]}"


def _condition_values(batch, personal: PersonalData) -> dict[int, dict]:
    """Per row number, the loaded values of the columns that decide whether a column is personal."""
    columns = sorted({other for other, _ in personal.when.values()})
    if not columns or not batch.repairs:
        return {}
    good = batch.good.select([*columns, "_row_number"]).to_pylist()
    found = {row.pop("_row_number"): row for row in good}
    found.update({q.row_number: q.original for q in batch.quarantined})
    return found


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
        _log_rejection(f"delivery {agency}/{dataset}/{period} ({delivery_id})", fault)
        return IngestResult(str(folder), agency, dataset, period, delivery_id, "rejected", reason=str(fault),
                            rows_in_manifest=meta.rows_in_manifest, seconds=time.monotonic() - started)

    m = delivery.manifest
    meta = DeliveryMeta(m.delivery_id, agency, dataset, period, m.extracted_at, m.rows, str(folder), m.raw)
    result = IngestResult(str(folder), agency, dataset, period, m.delivery_id, "loaded", rows_in_manifest=m.rows)
    previous = delivery_status(conn, m.delivery_id)
    if previous in ("loaded", "superseded") and not force:
        conflict = reuse_conflict(conn, delivery)
        if conflict:
            # The same id with other content is not the same delivery: never skip it silently.
            meta = DeliveryMeta(conflict_id(delivery), agency, dataset, period, m.extracted_at, m.rows, str(folder),
                                m.raw)
            record_rejection(conn, meta, conflict)
            _log_rejection(f"delivery {agency}/{dataset}/{period} ({m.delivery_id})", conflict)
            return IngestResult(str(folder), agency, dataset, period, meta.delivery_id, "rejected", reason=conflict,
                                rows_in_manifest=m.rows, seconds=time.monotonic() - started)
        result.status = "skipped"
        log.info("delivery %s/%s/%s (%s) already %s; skipped", agency, dataset, period, m.delivery_id, previous)
        return result
    try:
        delivery.verify_files()
        logged = 0
        with load_delivery(conn, raw_table(delivery.dataset), meta) as load:
            personal = PersonalData(delivery.dataset)
            # Three stages overlap: the reader decodes block N+2, a thread checks
            # N+1 (Arrow compute, GIL released), this one encodes N for the COPY
            # that the loader's writer streams; a fault in any is raised here.
            for batch in read_ahead(delivery.batches()):
                load.copy(batch.good)
                if personal:
                    kinds = _condition_values(batch, personal)
                    personal.quarantined(batch.quarantined)
                    personal.repairs(batch.repairs, kinds)
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
    except (DeliveryFault, psycopg.DataError, psycopg.IntegrityError, TimeoutError) as exc:
        # What the stream checks let through and the server still refused inside
        # COPY ends this delivery's transaction (rolled back by load_delivery),
        # is audited with the server's own sentence, and the run goes on.
        fault = exc if isinstance(exc, DeliveryFault) else DeliveryFault(server_refusal(exc))
        record_rejection(conn, meta, str(fault), delivery.warnings)
        _log_rejection(f"delivery {agency}/{dataset}/{period} ({m.delivery_id})", fault)
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


def _log_rejection(what: str, reason: object) -> None:
    """A rejection is logged as a warning, not an error: it is the delivery's fault, not the program's, and it is
    audited with its reason, which `fdi run`'s summary, `fdi coverage` and the Dagster run tell. `fdi run` logs
    warnings only with --verbose, so without it the reason is printed once."""
    log.warning("%s rejected: %s", what, reason)


def reject_folder(conn: psycopg.Connection, folder: Path, reason: str) -> IngestResult:
    """Audit a folder that cannot be a delivery at all (unknown dataset, not a period), so `fdi summary` shows it."""
    folder = Path(folder)
    agency, dataset, period = folder_identity(folder)
    manifest = None
    try:
        manifest = read_manifest(folder)
    except DeliveryFault:
        pass
    delivery_id = f"{manifest.delivery_id}:folder:{period}" if manifest else _fallback_id(folder)
    meta = DeliveryMeta(delivery_id, agency, dataset, period, manifest.extracted_at if manifest else None,
                        manifest.rows if manifest else None, str(folder), manifest.raw if manifest else None)
    record_rejection(conn, meta, reason)
    _log_rejection(f"folder {folder}", reason)
    return IngestResult(str(folder), agency, dataset, period, delivery_id, "rejected", reason=reason,
                        rows_in_manifest=meta.rows_in_manifest)
