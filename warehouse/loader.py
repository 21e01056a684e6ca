"""The one bulk loader every dataset uses: COPY, one transaction per delivery.

    with load_delivery(conn, table, meta) as load:
        for batch in batches:
            load.copy(batch.good)            # Arrow table of canonical text
            load.quarantine(batch.quarantined)
            load.repairs(batch.repairs)
        load.finish(warnings)

Nothing is visible to other sessions until `finish` commits: a crash, a kill
or a `DeliveryFault` raised mid-stream leaves no partial delivery, and the next
run loads it from scratch. `_delivery_id` is stamped by a column default that
reads a transaction-local setting; `_row_number` travels with each batch.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import queue
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from warehouse.bootstrap import RawTable
from warehouse.build_lock import hold_off_builds

_WRITE = pacsv.WriteOptions(include_header=False, quoting_style="needed")


@dataclass(frozen=True)
class DeliveryMeta:
    delivery_id: str
    agency: str
    dataset: str
    period: str
    extracted_at: dt.datetime | None
    rows_in_manifest: int | None
    folder: str
    manifest: dict | None


@dataclass
class LoadCounts:
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_repaired: int = 0
    status: str = "loaded"
    warnings: list[str] = field(default_factory=list)


def delivery_status(conn: psycopg.Connection, delivery_id: str) -> str | None:
    row = conn.execute("select status from audit.deliveries where delivery_id = %s", (delivery_id,)).fetchone()
    return row[0] if row else None


class _Load:
    """The open load of one delivery.

    Raw rows stream through ONE `COPY` that a writer thread feeds from a small
    bounded queue, so the database ingests batch N while the caller parses and
    checks batch N+1 (two cores: client and server work overlap). Quarantined
    rows and repairs are spooled to temporary files (in memory up to a few MB)
    and copied after the raw rows, so memory stays bounded however many rows
    fail.
    """

    _QUEUE_BATCHES = 3
    _SPOOL_BYTES = 8 << 20
    # The longest the caller waits for the writer thread: far above the COPY of
    # one 4 MiB block on a loaded server, far below "the run never returns".
    _WAIT_SECONDS = 600

    def __init__(self, conn: psycopg.Connection, table: RawTable, meta: DeliveryMeta,
                 target: sql.Composable | None = None, attach: sql.Composable | None = None):
        self.conn = conn
        self.table = table
        self.meta = meta
        self.counts = LoadCounts()
        self._attach = attach  # the statement that makes a new partition part of its table, run by finish()
        self._copy_sql = sql.SQL("copy {} ({}) from stdin (format csv)").format(
            target or table.ident,
            sql.SQL(", ").join(sql.Identifier(c) for c, _ in table.columns + (("_row_number", ""),)),
        )
        self._columns = [c for c, _ in table.columns] + ["_row_number"]
        self._queue: queue.Queue = queue.Queue(maxsize=self._QUEUE_BATCHES)
        self._writer: threading.Thread | None = None
        self._writer_error: BaseException | None = None
        self._quarantine = tempfile.SpooledTemporaryFile(self._SPOOL_BYTES, mode="w+", newline="", encoding="utf-8")
        self._repairs = tempfile.SpooledTemporaryFile(self._SPOOL_BYTES, mode="w+", newline="", encoding="utf-8")
        self._quarantine_csv = csv.writer(self._quarantine, lineterminator="\n")
        self._repairs_csv = csv.writer(self._repairs, lineterminator="\n")
        self._stamp = (meta.delivery_id, meta.agency, meta.dataset)
        self._repaired_rows: set[int] = set()

    def _write_raw(self) -> None:
        ended = False  # the producer's end-of-stream sentinel has been taken
        try:
            with self.conn.cursor() as cur, cur.copy(self._copy_sql) as copy:
                while (chunk := self._queue.get()) is not None:
                    copy.write(chunk)
                ended = True
                # The server's verdict on the rows (a value it refuses) comes
                # when the COPY ends, i.e. here, after the sentinel: waiting for
                # a second sentinel then was the hang of issue #13.
        except BaseException as exc:  # surfaced to the caller's thread
            self._writer_error = exc
            while not ended and self._queue.get() is not None:  # drain so the producer never blocks
                pass

    def copy(self, good: pa.Table) -> None:
        """Queue one batch for the raw table (text COPY; PostgreSQL types it)."""
        if self._writer_error:
            raise self._writer_error
        if good.num_rows == 0:
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_raw, name=f"copy-{self.meta.delivery_id}", daemon=True)
            self._writer.start()
        buffer = io.BytesIO()
        pacsv.write_csv(good.select(self._columns), buffer, _WRITE)
        # Bounded: a writer that died drains the queue, so this put returns.
        self._queue.put(buffer.getbuffer(), timeout=self._WAIT_SECONDS)
        self.counts.rows_loaded += good.num_rows

    def _join(self) -> None:
        """Wait for the writer, with a bound: no code path waits forever (issue #13)."""
        assert self._writer is not None
        self._writer.join(self._WAIT_SECONDS)
        if self._writer.is_alive():
            self._writer_error = self._writer_error or TimeoutError(
                f"the COPY of delivery {self.meta.delivery_id} did not end within {self._WAIT_SECONDS} s")
        self._writer = None

    def quarantine(self, rows: Iterable) -> None:
        for q in rows:
            # None is written as an unquoted empty field: NULL to COPY's CSV.
            self._quarantine_csv.writerow((*self._stamp, q.row_number, "{" + ",".join(q.reasons) + "}",
                                           q.original_json()))
            self.counts.rows_quarantined += 1

    def repairs(self, repairs: Iterable) -> None:
        for r in repairs:
            self._repairs_csv.writerow((*self._stamp, r.row_number, r.column, r.before, r.after, r.rule))
            self._repaired_rows.add(r.row_number)
        self.counts.rows_repaired = len(self._repaired_rows)

    def close_stream(self) -> None:
        """End the raw COPY and wait for it; re-raise what the writer met."""
        if self._writer is not None:
            self._queue.put(None, timeout=self._WAIT_SECONDS)
            self._join()
        if self._writer_error:
            raise self._writer_error

    def _copy_spool(self, spool, columns: str, target: str) -> None:
        spool.seek(0)
        statement = sql.SQL("copy {} (delivery_id, agency, dataset, {}) from stdin (format csv)").format(
            sql.SQL(target), sql.SQL(columns))
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            while chunk := spool.read(1 << 20):
                copy.write(chunk)

    def finish(self, warnings: list[str] | None = None) -> LoadCounts:
        self.close_stream()
        if self._attach is not None:
            self.conn.execute(self._attach)
        self._copy_spool(self._quarantine, "row_number, reasons, original", "audit.quarantine")
        self._copy_spool(self._repairs, "row_number, column_name, value_before, value_after, rule", "audit.repairs")
        m = self.meta
        self.counts.warnings = list(warnings or [])
        self.conn.execute(
            """
            insert into audit.deliveries (delivery_id, agency, dataset, period, extracted_at, status,
                rows_in_manifest, rows_loaded, rows_quarantined, rows_repaired, reason, warnings,
                folder, manifest, loaded_at)
            values (%s, %s, %s, %s, %s, 'loaded', %s, %s, %s, %s, null, %s, %s, %s, now())
            on conflict (delivery_id) do update set
                status = 'loaded', extracted_at = excluded.extracted_at,
                rows_in_manifest = excluded.rows_in_manifest, rows_loaded = excluded.rows_loaded,
                rows_quarantined = excluded.rows_quarantined, rows_repaired = excluded.rows_repaired,
                reason = null, warnings = excluded.warnings, folder = excluded.folder,
                manifest = excluded.manifest, loaded_at = now(), validated_at = null
            """,
            (m.delivery_id, m.agency, m.dataset, m.period, m.extracted_at, m.rows_in_manifest,
             self.counts.rows_loaded, self.counts.rows_quarantined, self.counts.rows_repaired,
             self.counts.warnings, m.folder, json.dumps(m.manifest) if m.manifest is not None else None),
        )
        self.counts.status = resolve_period(self.conn, m.agency, m.dataset, m.period, m.delivery_id)
        return self.counts

    def abort(self) -> None:
        """Stop the writer after a failure; the transaction is rolled back by the caller."""
        if self._writer is not None:
            try:
                self._queue.put(None, timeout=self._WAIT_SECONDS)
            except queue.Full:  # the writer is stuck on the server; the rollback ends it
                pass
            self._join()
        self._quarantine.close()
        self._repairs.close()


def resolve_period(conn: psycopg.Connection, agency: str, dataset: str, period: str, delivery_id: str) -> str:
    """The latest extract of a period is `loaded`; every earlier one `superseded`.

    README "Delivery semantics": a later delivery replaces the earlier one for
    its period; deliveries may arrive out of order, so "later" is `extracted_at`
    (then arrival), never the order of loading.
    """
    conn.execute(
        """
        with ranked as (
            select delivery_id,
                   row_number() over (order by extracted_at desc nulls last, received_at desc, delivery_id desc) as rn
            from audit.deliveries
            where agency = %s and dataset = %s and period = %s and status in ('loaded', 'superseded')
        )
        update audit.deliveries d
        set status = case when r.rn = 1 then 'loaded' else 'superseded' end
        from ranked r
        where d.delivery_id = r.delivery_id
        """,
        (agency, dataset, period),
    )
    return delivery_status(conn, delivery_id) or "loaded"


@contextmanager
def load_delivery(conn: psycopg.Connection, table: RawTable, meta: DeliveryMeta) -> Iterator[_Load]:
    """One delivery in one transaction; any exception rolls all of it back."""
    with conn.transaction():
        hold_off_builds(conn, f"{meta.agency}/{meta.dataset}/{meta.period}")  # never lands during a dbt build
        # One loader per dataset and period at a time (parallel runs, sensor + backfill),
        # waiting with a bound: past it the load fails as transient and is retried.
        conn.execute("select set_config('lock_timeout', %s, true)", (f"{_Load._WAIT_SECONDS}s",))
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"{meta.agency}/{meta.dataset}/{meta.period}",))
        conn.execute("select set_config('fdi.delivery_id', %s, true)", (meta.delivery_id,))
        # A forced reload replaces the delivery's own rows; other deliveries stay.
        conn.execute(sql.SQL("delete from {} where _delivery_id = %s").format(table.ident), (meta.delivery_id,))
        conn.execute("delete from audit.quarantine where delivery_id = %s", (meta.delivery_id,))
        conn.execute("delete from audit.repairs where delivery_id = %s", (meta.delivery_id,))
        load = _Load(conn, table, meta, *(_new_partition(conn, table, meta.delivery_id) if table.partitioned else ()))
        try:
            yield load
        except BaseException:
            load.abort()
            raise


def _new_partition(conn: psycopg.Connection, table: RawTable, delivery_id: str) -> tuple[sql.Composable, ...]:
    """(COPY target, attach statement) of a delivery's partition not made yet; () when it exists (a forced
    reload: its rows were deleted above, and the COPY goes through the table to it).

    The partition is made as a table of its own and attached when its rows are in: the attach takes a lock
    that lets the build read the table meanwhile (creating it `partition of` the table would lock every
    reader out until the load commits), and its check constraint spares the attach a scan of the rows."""
    name = table.partition_name(delivery_id)
    exists = conn.execute("select to_regclass(format('%%I.%%I', %s::text, %s::text))",
                          (table.schema, name)).fetchone()[0]
    if exists is not None:
        return ()
    partition, value = sql.Identifier(table.schema, name), sql.Literal(delivery_id)
    conn.execute(sql.SQL("create table {} (like {} including defaults, constraint one_delivery check "
                         "(_delivery_id = {}))").format(partition, table.ident, value))
    return partition, sql.SQL("alter table {} attach partition {} for values in ({})").format(
        table.ident, partition, value)


def record_rejection(conn: psycopg.Connection, meta: DeliveryMeta, reason: str, warnings: list[str] | None = None) -> None:
    """Audit a delivery rejected as a whole. A loaded delivery is never downgraded."""
    with conn.transaction():
        hold_off_builds(conn, f"{meta.agency}/{meta.dataset}/{meta.period}")  # coverage changes: not during a build
        conn.execute(
            """
            insert into audit.deliveries (delivery_id, agency, dataset, period, extracted_at, status,
                rows_in_manifest, rows_loaded, rows_quarantined, rows_repaired, reason, warnings, folder, manifest)
            values (%s, %s, %s, %s, %s, 'rejected', %s, 0, 0, 0, %s, %s, %s, %s)
            on conflict (delivery_id) do update set
                reason = excluded.reason, warnings = excluded.warnings, received_at = now(),
                rows_in_manifest = excluded.rows_in_manifest, manifest = excluded.manifest
            where audit.deliveries.status = 'rejected'
            """,
            (meta.delivery_id, meta.agency, meta.dataset, meta.period, meta.extracted_at, meta.rows_in_manifest,
             reason, list(warnings or []), meta.folder, json.dumps(meta.manifest) if meta.manifest is not None else None),
        )
