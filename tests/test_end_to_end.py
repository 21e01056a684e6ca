"""End to end on a generated register: generate -> fdi run -> audit and marts, against `_truth/`."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from pipelines.run import run_pipeline
from sources.synthetic.generator import GenerateOptions, generate
from sources.synthetic.truth import read_csv
from sources.synthetic.writers import VN_TZ
from tests.helpers import project_row, write_projects
from warehouse.settings import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def economy(tmp_path):
    out = tmp_path / "landing"
    generate(GenerateOptions(out=out, enterprises=60, years=(2024, 2024), seed=7, defects=0.04,
                             agencies=("registry",)))
    return out


def test_generated_register_loads_exactly_as_the_truth_says(warehouse, db, economy):
    outcome = run_pipeline(economy, progress=lambda _: None)
    assert outcome.failed_checks == [] and outcome.dbt_ran and outcome.dbt_success

    deliveries = db.execute("""select delivery_id, status, rows_in_manifest, rows_loaded, rows_quarantined
                               from audit.deliveries""").fetchall()
    manifests = {json.loads(p.read_text())["delivery_id"]: json.loads(p.read_text())
                 for p in economy.glob("registry/*/*/manifest.json")}
    assert {d[0] for d in deliveries} == set(manifests)
    # Only what landed: superseded originals of corrections wait in _replay/.
    truth = [t for t in read_csv(economy / "_truth" / "defects.csv") if t["delivery_id"] in manifests]
    rejected = {t["delivery_id"] for t in truth if t["expected"] == "rejected"}
    for delivery_id, status, rows_in, loaded, quarantined in deliveries:
        if delivery_id in rejected:
            assert status == "rejected"
            continue
        assert status == "loaded"
        assert loaded + quarantined == rows_in == sum(f["rows"] for f in manifests[delivery_id]["files"])

    expected_q = {(t["delivery_id"], int(t["row_number"])) for t in truth
                  if t["expected"] == "quarantined" and t["delivery_id"] not in rejected}
    got_q = set(db.execute("select delivery_id, row_number from audit.quarantine").fetchall())
    assert got_q == expected_q and expected_q, "quarantine must hold exactly the planted bad rows"

    expected_r = {(t["delivery_id"], int(t["row_number"])) for t in truth
                  if t["expected"] == "repaired" and t["delivery_id"] not in rejected}
    got_r = set(db.execute("select delivery_id, row_number from audit.repairs").fetchall())
    assert got_r == expected_r

    # dim_project: one row per project seen in the snapshots in force.
    n_projects = db.execute("""select count(distinct project_code) from raw_registry.projects p
        join audit.deliveries d on d.delivery_id = p._delivery_id and d.status = 'loaded'""").fetchone()[0]
    assert db.execute("select count(*) from marts.dim_project").fetchone()[0] == n_projects
    # Personal data never reaches staging in clear.
    reg_nos = {r[0] for r in db.execute("select investor_reg_no from raw_registry.investors")}
    # staging is a view: it hashes when read, with the key dbt sessions get from PGOPTIONS
    db.execute("select set_config('fdi.pseudonym_key', %s, false)", (Settings.from_env().pseudonym_key(),))
    hashed = {r[0] for r in db.execute("select investor_reg_no_hash from staging.stg_registry__investors")}
    assert reg_nos and not (reg_nos & hashed)


def test_a_correction_replaces_the_period_in_the_marts(warehouse, db, tmp_path):
    landing = tmp_path / "landing"
    rows = [project_row("1000000001"), project_row("1000000002", tax_code="0200000021")]
    write_projects(landing, "2024-06", rows, "d-june")
    run_pipeline(landing, progress=lambda _: None)
    assert db.execute("select status from marts.dim_project where project_code = '1000000002'").fetchone() == ("active",)

    corrected = [rows[0], project_row("1000000002", tax_code="0200000021", status="terminated")]
    write_projects(landing, "2024-06", corrected, "d-june-corrected",
                   extracted_at=dt.datetime(2024, 8, 1, 9, 0, tzinfo=VN_TZ))
    run_pipeline(landing, progress=lambda _: None)
    assert db.execute("select status from marts.dim_project where project_code = '1000000002'").fetchone() == ("terminated",)
    assert db.execute("select count(*) from marts.dim_project").fetchone()[0] == 2
    statuses = dict(db.execute("select delivery_id, status from audit.deliveries").fetchall())
    assert statuses == {"d-june": "superseded", "d-june-corrected": "loaded"}
