"""The dbt project as the library knows it: its one cached `DbtProject`, prepared once per process, and the
environment of a dbt process (connection and pseudonym key). The Dagster assets (`pipelines.defs.assets.dbt`),
`fdi docs`, the benchmark and the tests all reach dbt through here."""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from warehouse.bootstrap import BUILDER
from warehouse.server import Connection, static_connection
from warehouse.settings import DBT_PROJECT_DIR, Settings


def profile_env(conn: Connection) -> dict[str, str]:
    """The variables `dbt_project/profiles.yml` reads: the connection, and the role dbt acts as.

    dbt acts as fdi_builder (profiles.yml `role`): it owns the schemas it builds and cannot touch the
    review log or the export ledger (warehouse/roles.yaml, owners). The same values at parse and at build
    keep dbt's partial parsing valid: its state check hashes the profile's connection keys."""
    return {**conn.dbt_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR), "FDI_PGROLE": BUILDER}


def dbt_env(conn: Connection, settings: Settings) -> dict[str, str]:
    """Environment of a dbt process: the profile's connection plus the pseudonym key.

    The key travels as a server setting in PGOPTIONS, read in SQL with
    current_setting('fdi.pseudonym_key'), so it never appears in compiled SQL,
    dbt logs or the repository.
    """
    key = settings.pseudonym_key(create=settings.embedded)
    return {**profile_env(conn), "PGOPTIONS": f"-c fdi.pseudonym_key={key}"}


def dbt_executable() -> str:
    """The dbt installed beside this Python: .venv/bin need not be on PATH (CI, cron)."""
    return str(Path(sys.executable).with_name("dbt"))


# Builds whose target folders are kept (about 20 MB each: compiled SQL, manifest, run_results.json), so a
# nightly and a monthly build do not fill the disk with a folder per run forever.
KEPT_RUN_TARGETS = 20


def run_target(run_id: str) -> Path:
    """The target folder of the dbt build of one Dagster run: its run_results.json says what each node did."""
    return DBT_PROJECT_DIR / "target" / f"run-{run_id}"


def prune_run_targets(keep: int = KEPT_RUN_TARGETS, target: Path = DBT_PROJECT_DIR / "target") -> list[Path]:
    """Remove all but the `keep` newest builds' target folders; returns what it removed."""
    import shutil

    folders = sorted(target.glob("run-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = [p for p in folders[keep:] if p.is_dir()]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


@cache
def dbt_project() -> DbtProject:
    """The one DbtProject of the process. Creating it parses nothing; `prepare_manifest` does, once."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    """os.environ with `extra` for the duration: dagster-dbt hands its own environment to the dbt it starts."""
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_prepared = threading.Lock()
_manifest: list[Path] = []  # the manifest, once this process has prepared it


def prepare_manifest(settings: Settings | None = None) -> Path:
    """The project's manifest, prepared once per process by the DbtProject's own preparer (`dbt parse`).

    dbt's partial parsing re-reads only the files changed since the last parse, so an unchanged project
    costs a few seconds, not a full parse. `dbt parse` connects nowhere; the profile still needs the
    connection's variables (`settings`, default the environment's), and the dbt beside this Python."""
    with _prepared:
        if not _manifest:
            settings = settings or Settings.from_env()
            project = dbt_project()
            path = os.pathsep.join([str(Path(dbt_executable()).parent), os.environ.get("PATH", "")])
            with _environ({**profile_env(static_connection(settings)), "PATH": path}):
                project.preparer.prepare(project)
            _manifest.append(project.manifest_path)
        return _manifest[0]
