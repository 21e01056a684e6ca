"""Peak resident memory of each kind of process while a benchmark stage runs.

`resource.getrusage` gives only the calling process's peak and the largest of its waited-for children, and
nothing of the database server, which holds most of a build's memory. So a thread samples, twice a
second, the resident set (RSS) of this process, of each of its child processes (by kind: the dbt
subprocesses Dagster starts, the generator's forked workers, anything else) and of every process of the
PostgreSQL server when it runs on this machine (found as the parent of this connection's backend). The
peak of each kind is kept per stage. A sample can miss a spike shorter than its interval; the figures are
peaks of what was sampled.

The server's processes all map its shared buffers, so the sum of their RSS counts shared memory once per
process that touched it: read `postgres_total` as an upper bound and `postgres_largest` (one backend, with
the shared pages it touched) as the other end.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import psutil
import psycopg

SAMPLE_SECONDS = 0.5


def _kind(proc: psutil.Process) -> str:
    try:
        command = " ".join(proc.cmdline()[:3])
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "other"
    if "dbt" in command:
        return "dbt"
    if "python" in command or "fdi" in command:
        return "python_children"
    return "other"


def server_processes_root(conninfo: str) -> psutil.Process | None:
    """The PostgreSQL postmaster, if it runs on this machine: the parent of this connection's backend."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as pg:  # the backend lives while connected
            backend = pg.execute("select pg_backend_pid()").fetchone()[0]
            parent = psutil.Process(backend).parent()
        return parent if parent is not None and parent.name().startswith("postgres") else None
    except (psutil.Error, psycopg.Error):
        return None  # a server elsewhere (FDI_DATABASE_URL): its memory is not ours to read


class PeakMemory:
    """Sample while a `with peaks.stage(name):` block runs; `peaks.report` holds MiB per stage and kind."""

    def __init__(self, conninfo: str | None = None):
        self.server = server_processes_root(conninfo) if conninfo else None
        self.report: dict[str, dict[str, int]] = {}

    def _sample(self, peak: dict[str, float]) -> None:
        me = psutil.Process()
        try:
            peak["bench_process"] = max(peak.get("bench_process", 0), me.memory_info().rss)
            by_kind: dict[str, float] = {}
            for child in me.children(recursive=True):
                kind = _kind(child)
                by_kind[kind] = max(by_kind.get(kind, 0), child.memory_info().rss)
            for kind, rss in by_kind.items():
                peak[kind] = max(peak.get(kind, 0), rss)
        except psutil.NoSuchProcess:
            pass  # a child ended between listing and reading it
        if self.server is not None:
            rss = []
            for proc in [self.server, *self.server.children()]:
                try:
                    rss.append(proc.memory_info().rss)
                except psutil.NoSuchProcess:
                    continue
            peak["postgres_total"] = max(peak.get("postgres_total", 0), sum(rss))
            peak["postgres_largest"] = max(peak.get("postgres_largest", 0), max(rss, default=0))

    @contextmanager
    def stage(self, name: str):
        peak: dict[str, float] = {}
        done = threading.Event()

        def run() -> None:
            while not done.is_set():
                self._sample(peak)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=run, name=f"memory-{name}", daemon=True)
        sampler.start()
        try:
            yield
        finally:
            done.set()
            sampler.join()
            self._sample(peak)
            self.report[name] = {kind: round(rss / 2**20) for kind, rss in sorted(peak.items())}
