"""Every dataset of a generated economy, through `fdi run`, checked against `_truth/`.

For every delivery: rows_loaded + rows_quarantined equals the manifest; the
quarantined rows are exactly the planted bad rows; rejections and warnings are
exactly the planted broken deliveries; then the superseded originals of the
corrections arrive late and out of order, and change nothing downstream.
"""
from __future__ import annotations

import json

import pytest

from pipelines.run import run_pipeline
from sources.synthetic.generator import GenerateOptions, generate
from sources.synthetic.truth import read_csv

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def economy(tmp_path_factory):
    out = tmp_path_factory.mktemp("economy")
    generate(GenerateOptions(out=out, enterprises=50, years=(2023, 2024), seed=5, defects=0.04))
    return out


def _manifests(root):
    return {json.loads(p.read_text())["delivery_id"]: json.loads(p.read_text())
            for p in root.glob("*/*/*/manifest.json") if not p.parts[-4].startswith("_")}


def test_every_delivery_loads_exactly_as_planted(warehouse, db, economy):
    outcome = run_pipeline(economy, run_dbt=False, progress=lambda _: None)
    assert outcome.failed_checks == [], "a GX suite found a row the stream checks let through"

    manifests = _manifests(economy)
    audit = {r[0]: r[1:] for r in db.execute(
        "select delivery_id, status, rows_in_manifest, rows_loaded, rows_quarantined, warnings from audit.deliveries")}
    assert set(audit) == set(manifests)

    truth = [t for t in read_csv(economy / "_truth" / "defects.csv") if t["delivery_id"] in manifests]
    rejected = {t["delivery_id"] for t in truth if t["expected"] == "rejected"}
    warned = {t["delivery_id"] for t in truth if t["expected"] == "warned"}
    assert {d for d, a in audit.items() if a[0] == "rejected"} == rejected
    assert {d for d, a in audit.items() if a[4]} == warned
    for delivery_id, (status, rows_in, loaded, quarantined, _) in audit.items():
        if status != "rejected":
            assert loaded + quarantined == rows_in == sum(f["rows"] for f in manifests[delivery_id]["files"])

    expected = {(t["delivery_id"], int(t["row_number"])) for t in truth
                if t["expected"] == "quarantined" and t["delivery_id"] not in rejected}
    got = set(db.execute("select delivery_id, row_number from audit.quarantine").fetchall())
    assert expected, "the economy must plant row defects"
    assert got == expected, f"lost: {sorted(expected - got)[:5]}, let through: {sorted(got - expected)[:5]}"

    # Every quarantine reason names the check the truth says catches the defect.
    reasons = {(d, n): set(r) for d, n, r in db.execute("select delivery_id, row_number, reasons from audit.quarantine")}
    for t in truth:
        key = (t["delivery_id"], int(t["row_number"] or 0))
        if key in reasons:
            assert t["check"] in reasons[key]

    repaired = {(t["delivery_id"], int(t["row_number"])) for t in truth
                if t["expected"] == "repaired" and t["delivery_id"] not in rejected}
    assert repaired <= set(db.execute("select delivery_id, row_number from audit.repairs").fetchall())

    # Late originals of corrected periods arrive after their corrections: superseded at once.
    replay = economy / "_replay"
    if replay.exists():
        before = db.execute("select delivery_id from audit.deliveries where status = 'loaded'").fetchall()
        run_pipeline(replay, run_dbt=False, progress=lambda _: None)
        corrections = read_csv(economy / "_truth" / "corrections.csv")
        statuses = dict(db.execute("select delivery_id, status from audit.deliveries").fetchall())
        for c in corrections:
            if statuses.get(c["original_delivery_id"]) in ("loaded", "superseded"):
                assert statuses[c["original_delivery_id"]] == "superseded"
        after = db.execute("select delivery_id from audit.deliveries where status = 'loaded'").fetchall()
        assert sorted(after) == sorted(before)


def test_rerunning_everything_changes_nothing(warehouse, db, economy):
    run_pipeline(economy, run_dbt=False, progress=lambda _: None)
    snapshot = db.execute("select delivery_id, status, rows_loaded from audit.deliveries order by 1").fetchall()
    counts = db.execute("select count(*) from raw_customs.declarations").fetchone()
    run_pipeline(economy, run_dbt=False, progress=lambda _: None)
    assert db.execute("select delivery_id, status, rows_loaded from audit.deliveries order by 1").fetchall() == snapshot
    assert db.execute("select count(*) from raw_customs.declarations").fetchone() == counts
