"""Corrections that change what an agency said, and repairs of rejected deliveries, leave every table the
build writes equal to a full refresh (issue 18: incremental = full refresh for every incremental model).

tests/dbt/test_linked_warehouse.py follows new months and a few re-deliveries through the models one by one.
This module takes the other side: one economy (120 enterprises, 2023-2024, with the generator's planted
defects) loaded and built once, then three rounds, each followed by one ordinary `fdi run`:

1. every dataset's first period of 2023 (March, or the year) is delivered again with a later extract and
   changed content: one column's values moved down a row (the tax codes, so records change enterprise; where
   the tax code is part of the key or absent, a name or an amount; the ultimate parents of investors, so
   sister companies change; the zones' leased land), its last five rows gone; the exchange rates 1 % higher;
2. every delivery the defects got rejected is repaired: the same period, clean, from the same economy;
3. deliveries out of order: an extract of March 2023 older than the correction in force arrives late (it is
   superseded at once), and December 2022, a month before the history, arrives last.

After each round every model the build materialises as a table (incremental or rebuilt whole) must hold
exactly what `dbt run --full-refresh` then builds.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import shutil
import uuid
from pathlib import Path

import openpyxl
import psycopg
import pytest

from pipelines.lib.dbt_project import prepare_manifest
from pipelines.run import run_pipeline
from sources.contract import Dataset, dataset
from sources.synthetic.generator import GenerateOptions, generate
from sources.synthetic.writers import VN_TZ, WrittenFile, write_manifest
from tests.helpers import assert_equals_full_refresh, fresh_warehouse

pytestmark = pytest.mark.e2e

ECONOMY = {"enterprises": 120, "years": (2023, 2024), "seed": 5}
CORRECTED_PERIODS = ("2023-03", "2023")
# The column a correction changes, where it is not the tax code (part of these datasets' keys, or absent).
CHANGED_COLUMN = {("registry", "investors"): "ultimate_parent", ("tax", "cit_returns"): "taxpayer_name",
                  ("tax", "related_party"): "amount_vnd", ("tax", "payments"): "amount_paid_vnd",
                  ("fx", "central_rates"): "vnd_per_unit", ("credit", "loans"): "borrower_tax_code",
                  ("land", "zones"): "leased_land_ha"}
DROPPED_ROWS = 5


def _shifted(values: list) -> list:
    return values[1:] + values[:1]


def _correct_text(path: Path, ds: Dataset, column: str) -> int:
    compressed = path.suffix == ".gz"
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO((gzip.decompress(raw) if compressed else raw).decode("utf-8"), newline=""),
                           delimiter=";" if ds.format == "csv-vn" else ","))
    header, body = rows[0], rows[1:-DROPPED_ROWS]
    at = header.index(column)
    for row, value in zip(body, _shifted([row[at] for row in body])):
        row[at] = value
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";" if ds.format == "csv-vn" else ",", lineterminator="\n").writerows([header, *body])
    data = out.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if compressed else data)
    return len(body)


def _correct_jsonl(path: Path, column: str) -> int:
    objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if column == "vnd_per_unit":  # moved down a row, a rate would land on another currency: 1 % higher instead
        for obj in objects:
            obj[column] = f"{float(obj[column]) * 1.01:.2f}" if isinstance(obj[column], str) else round(obj[column] * 1.01, 2)
    else:
        objects = objects[:-DROPPED_ROWS]
        for obj, value in zip(objects, _shifted([obj.get(column) for obj in objects])):
            obj[column] = value
    path.write_text("".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects), encoding="utf-8")
    return len(objects)


def _correct_xlsx(path: Path, column: str) -> int:
    book = openpyxl.load_workbook(path)
    sheet = book[book.sheetnames[0]]
    sheet.delete_rows(sheet.max_row - DROPPED_ROWS + 1, DROPPED_ROWS)
    rows = list(sheet.iter_rows())
    at = [cell.value for cell in rows[0]].index(column)
    for row, value in zip(rows[1:], _shifted([row[at].value for row in rows[1:]])):
        row[at].value = value
    book.save(path)
    return len(rows) - 1


def _redeliver(folder: Path, ds: Dataset, rows: dict[str, int], extracted_at: dt.datetime) -> None:
    """A new manifest for the folder's files as they now are: a new delivery id, a later extract."""
    write_manifest(folder, ds, folder.name, str(uuid.uuid4()), extracted_at,
                   [WrittenFile(name, count) for name, count in rows.items()])


def _replace(folder: Path, source: Path, extracted_at: dt.datetime) -> None:
    """The period's folder replaced by `source`'s files, delivered again with a new id and `extracted_at`."""
    ds = dataset(folder.parent.parent.name, folder.parent.name)
    shutil.rmtree(folder)
    shutil.copytree(source, folder)
    files = json.loads((folder / "manifest.json").read_text())["files"]
    _redeliver(folder, ds, {f["name"]: f["rows"] for f in files}, extracted_at)


def correct(folder: Path) -> str:
    ds = dataset(folder.parent.parent.name, folder.parent.name)
    column = CHANGED_COLUMN.get((ds.agency, ds.name), "tax_code")
    [name] = [f["name"] for f in json.loads((folder / "manifest.json").read_text())["files"]]
    path = folder / name
    if ds.format == "jsonl":
        count = _correct_jsonl(path, column)
    elif ds.format == "xlsx":
        count = _correct_xlsx(path, column)
    else:
        count = _correct_text(path, ds, column)
    _redeliver(folder, ds, {name: count}, dt.datetime(2025, 3, 1, 9, tzinfo=VN_TZ))
    return f"{ds.agency}/{ds.name}/{folder.name}"


def built_tables() -> list[str]:
    """schema.name of every model the build materialises as a table, incremental or not."""
    manifest = json.loads(Path(prepare_manifest()).read_text())
    return sorted(f"{node['schema']}.{node['name']}" for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["config"]["materialized"] in ("table", "incremental"))


def test_corrections_and_repairs_of_every_dataset_build_what_a_full_refresh_builds(pg_server, tmp_path):
    with fresh_warehouse(pg_server, tmp_path) as warehouse, \
            psycopg.connect(warehouse.conninfo, autocommit=True) as db:
        landing = tmp_path / "landing"
        generate(GenerateOptions(out=landing, **ECONOMY))
        assert run_pipeline(landing, progress=lambda _: None).dbt_success
        tables = built_tables()
        assert {"marts.fct_customs_lines", "marts.enterprise_links", "fis.project_reports", "risk.flags"} <= set(tables)

        # -- 1. a correction of every dataset, its content changed ---------------------------------------
        corrected = [correct(folder) for folder in sorted(landing.glob("*/*/*")) if folder.name in CORRECTED_PERIODS]
        assert len(corrected) == 15, corrected  # every dataset of the agreement
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.dbt_success and not set(corrected) & set(outcome.rejected), outcome.rejected
        in_force = db.execute("select count(*) from audit.deliveries where status = 'loaded' "
                              "and extracted_at = '2025-03-01 09:00+07'").fetchone()[0]
        assert in_force == len(corrected)
        assert_equals_full_refresh(db, *tables, whole_project=True)

        # -- 2. every rejected delivery repaired ---------------------------------------------------------
        clean = tmp_path / "clean"
        generate(GenerateOptions(out=clean, defects=0.0, **ECONOMY))
        rejected = db.execute("""
            select distinct agency, dataset, period from audit.deliveries as d
            where status = 'rejected' and not exists (
                select from audit.deliveries as l
                where (l.agency, l.dataset, l.period, l.status) = (d.agency, d.dataset, d.period, 'loaded'))
            order by 1, 2, 3""").fetchall()
        assert len(rejected) >= 3, rejected  # the planted defects
        for agency, name, period in rejected:
            _replace(landing / agency / name / period, clean / agency / name / period,
                     dt.datetime(2025, 4, 1, 9, tzinfo=VN_TZ))
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.dbt_success and outcome.rejected == [], outcome.rejected
        assert_equals_full_refresh(db, *tables, whole_project=True)

        # -- 3. out of order: an older extract of a corrected month, and a month before the history ------
        before = tmp_path / "before"
        generate(GenerateOptions(out=before, enterprises=ECONOMY["enterprises"], years=(2022, 2022),
                                 seed=ECONOMY["seed"], defects=0.0))
        for folder in sorted(landing.glob("*/*/2023-03")):
            _replace(folder, clean / folder.relative_to(landing), dt.datetime(2023, 4, 1, 9, tzinfo=VN_TZ))
        for folder in sorted(before.glob("*/*/2022-12")):
            shutil.copytree(folder, landing / folder.relative_to(before))
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.dbt_success and outcome.rejected == [], outcome.rejected
        # the corrections stay in force (a full refresh would agree with a wrong choice: asserted here)
        assert db.execute("""
            select count(*) filter (where period = '2023-03' and extracted_at = '2025-03-01 09:00+07'),
                   count(*) filter (where period = '2022-12')
            from audit.deliveries where status = 'loaded'""").fetchone() == (11, 11)  # the monthly datasets
        assert_equals_full_refresh(db, *tables, whole_project=True)
