"""Small builders shared by tests: hand-made deliveries with known content, fresh warehouses."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from sources.contract import dataset
from sources.synthetic.writers import VN_TZ, WrittenFile, file_name, write_manifest, write_rows

# The inter-agency agreement, beside the project. Tests may read it; the project never does.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def project_row(code: str = "1234567890", tax_code: str | None = "0200000014", **overrides) -> dict:
    row = {
        "project_code": code, "irc_number": "IRC" + code, "tax_code": tax_code,
        "enterprise_name": "Công ty TNHH Hanil Electronics Việt Nam", "enterprise_name_en": "Hanil Electronics Vietnam Co., Ltd",
        "address": "Lô 5, KCN Đình Vũ", "admin_area": "Hải An", "industrial_zone_code": "KCN-DINHVU",
        "vsic_code": "26100", "registered_capital_usd": 12_000_000, "charter_capital_usd": 3_000_000,
        "foreign_ownership_pct": 100, "issued_on": dt.date(2019, 5, 2), "last_adjusted_on": None,
        "expires_on": dt.date(2069, 5, 2), "capital_deadline": dt.date(2019, 11, 2), "status": "active",
        "authority": "HEZA",
    }
    row.update(overrides)
    return row


def write_delivery(landing: Path, agency: str, name: str, period: str, rows: list[dict], delivery_id: str,
                   extracted_at: dt.datetime | None = None) -> Path:
    """A delivery folder of one dataset with a correct manifest (what was in the folder before is replaced)."""
    ds = dataset(agency, name)
    folder = landing / agency / name / period
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    file = file_name(ds, period)
    count = write_rows(folder / file, ds, ds.column_names, rows)
    when = extracted_at or dt.datetime(int(period[:4]), int(period[5:]), 28, 8, 0, tzinfo=VN_TZ)
    write_manifest(folder, ds, period, delivery_id, when, [WrittenFile(file, count)])
    return folder


def write_projects(landing: Path, period: str, rows: list[dict], delivery_id: str,
                   extracted_at: dt.datetime | None = None) -> Path:
    """A registry/projects delivery folder with a correct manifest."""
    return write_delivery(landing, "registry", "projects", period, rows, delivery_id, extracted_at)


def edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    doc = json.loads(path.read_text())
    for key, value in changes.items():
        if key.startswith("file_"):
            doc["files"][0][key[5:]] = value
        else:
            doc[key] = value
    path.write_text(json.dumps(doc))


def empty_delivery(landing: Path, agency: str, name: str, period: str,
                   extracted_at: dt.datetime | None = None) -> str:
    """Replace the delivery in `landing` of a period by one with nothing to report (0 rows, a correct manifest).

    Extracted when the replaced one was, unless `extracted_at` is later: then it is the agency's correction
    that empties a period already loaded. Returns its delivery_id.
    """
    ds = dataset(agency, name)
    folder = landing / agency / name / period
    manifest = json.loads((folder / "manifest.json").read_text())
    for old in folder.iterdir():
        old.unlink()
    path = folder / file_name(ds, period)
    count = write_rows(path, ds, ds.column_names, [])
    delivery_id = f"empty-{agency}-{name}-{period}-{uuid.uuid4().hex[:8]}"
    write_manifest(folder, ds, period, delivery_id, extracted_at or dt.datetime.fromisoformat(manifest["extracted_at"]),
                   [WrittenFile(path.name, count)])
    return delivery_id


@contextmanager
def fresh_warehouse(pg_server, folder: Path) -> Iterator:
    """A new bootstrapped database with the environment pointing at it; dropped afterwards."""
    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    conn = pg_server.for_database(name)
    try:
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            bootstrap(pg, raw_tables())
        key = folder / "pseudonym.key"
        key.write_text("test-key-not-secret")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FDI_HOME", str(folder / "home"))
            mp.setenv("FDI_DATABASE_URL", conn.url)
            mp.setenv("FDI_PSEUDONYM_KEY_FILE", str(key))
            yield conn
    finally:
        with psycopg.connect(pg_server.conninfo, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def built_economy(pg_server, folder: Path, *, enterprises: int, years: tuple[int, int], seed: int) -> Iterator:
    """A generated economy (no defects) loaded and built through the whole pipeline once, in a fresh warehouse;
    yields (connection, an open autocommit psycopg connection, the landing folder)."""
    from pipelines.run import run_pipeline
    from sources.synthetic.generator import GenerateOptions, generate

    with fresh_warehouse(pg_server, folder) as conn:
        landing = folder / "landing"
        generate(GenerateOptions(out=landing, enterprises=enterprises, years=years, seed=seed, defects=0.0))
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.failed_checks == [] and outcome.dbt_success
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            yield conn, pg, landing


def dbt(*args: str) -> None:
    """The project's dbt CLI on the warehouse the environment points at, with the environment the Dagster
    dbt resource gives it (pipelines.lib.dbt_project.dbt_env: connection and pseudonym key); a non-zero exit
    fails the test with dbt's output."""
    from pipelines.lib.dbt_project import dbt_env, dbt_executable
    from warehouse.server import connect_info
    from warehouse.settings import DBT_PROJECT_DIR, Settings

    settings = Settings.from_env()
    env = {**os.environ, **dbt_env(connect_info(settings), settings)}
    done = subprocess.run([dbt_executable(), *args], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def assert_same_rows(db, a: str, b: str) -> None:
    """Two tables hold the same rows, duplicates counted (an incremental build against a full refresh)."""
    for x, y in ((a, b), (b, a)):
        assert db.execute(f"select count(*) from (select * from {x} except all select * from {y}) d").fetchone()[0] == 0, \
            f"{x} has rows {y} lacks"


def assert_equals_full_refresh(db, *relations: str, command: str = "run", whole_project: bool = False) -> None:
    """Each table of `relations` (schema.model; incremental, or rebuilt whole) holds what its model built in
    full holds: the tables are copied, rebuilt by one `dbt <command> --full-refresh` ("build" runs their tests
    too), compared. `whole_project` rebuilds every model, not only these: replacing a table drops the staging
    views over it (the base_* tables), which only a run of the views makes again."""
    models = [relation.split(".")[1] for relation in relations]
    kept = [f"public.{model}_incremental" for model in models]
    try:
        for copy, relation in zip(kept, relations, strict=True):
            db.execute(f"create table {copy} as select * from {relation}")
        dbt(command, *([] if whole_project else ["--select", *models]), "--full-refresh")
        for copy, relation in zip(kept, relations, strict=True):
            assert_same_rows(db, copy, relation)
    finally:
        for copy in kept:
            db.execute(f"drop table if exists {copy}")
