"""Guards the enterprise network on a generated economy run through the real pipeline.

Group and relationship ids are the same after a full rebuild and after a
re-delivery of the register; sister companies are one group of several
enterprises, never one enterprise; REL01 and NOM01 flag what the generator
planted and none of the one-sign look-alikes; `fdi network` prints a planted
nominee's neighbourhood and draws it (a changed normalisation of party names:
tests/dbt/test_normalisation_changes.py). Each relationship kind on hand-made rows
is a dbt unit test (models/marts/_marts__network_unit_tests.yml), and the
rules' thresholds are in models/risk/_risk__network_unit_tests.yml.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
import xml.etree.ElementTree as ET

import pytest

from apps.network import fetch, format_text, render_svg
from pipelines.run import run_pipeline
from sources.synthetic.score_rules import evaluate
from sources.synthetic.truth import read_csv
from tests.helpers import built_economy, dbt, edit_manifest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(pg_server, tmp_path_factory):
    """(connection, landing) of a small economy built once for the module."""
    with built_economy(pg_server, tmp_path_factory.mktemp("network"), enterprises=150, years=(2023, 2024),
                       seed=5) as (_conn, pg, landing):
        yield pg, landing


def _ids(db) -> tuple[set, set]:
    groups = set(db.execute("select group_id, enterprise_id from marts.enterprise_groups").fetchall())
    relationships = set(db.execute("select relationship_id from marts.enterprise_relationships").fetchall())
    return groups, relationships


def test_rel01_and_nom01_flag_the_planted_cases_and_no_one_sign_lookalike(built):
    db, landing = built
    scores = {s.rule: s for s in evaluate(db, landing)}
    for rule in ("REL01", "NOM01"):
        s = scores[rule]
        assert s.planted >= 2 and s.lookalikes >= 2, rule
        assert not s.missed, f"{rule} missed {s.missed}"
        assert not s.false_positives, f"{rule} flagged {s.false_positives}"


def test_sister_companies_are_one_group_of_distinct_enterprises(built):
    db, _ = built
    sisters = db.execute("""
        select g.group_id, count(distinct g.enterprise_id), count(distinct e.tax_code)
        from marts.enterprise_groups as g join marts.dim_enterprise as e using (enterprise_id)
        group by 1 having count(*) > 1""").fetchall()
    assert sisters, "the economy has no group of two enterprises"
    assert all(enterprises == codes >= 2 for _, enterprises, codes in sisters)
    # each pair of sisters is a same_group relationship both ways
    pairs = db.execute("""select count(*) from marts.enterprise_relationships as r
                          where relationship = 'same_group' and not exists (
                              select 1 from marts.enterprise_relationships as s
                              where s.relationship = 'same_group' and s.enterprise_id = r.related_enterprise_id
                                and s.related_enterprise_id = r.enterprise_id)""").fetchone()[0]
    assert pairs == 0


def test_group_and_relationship_ids_survive_a_rebuild_and_a_redelivery(built, tmp_path):
    db, landing = built
    before = _ids(db)
    links = db.execute("select count(*), md5(string_agg(enterprise_id || source_key, ',' order by agency, dataset, "
                       "source_key, period)) from marts.enterprise_links").fetchone()
    dbt("build", "--select", "int_enterprise_group_keys+", "--full-refresh", "--exclude", "resource_type:unit_test")
    assert _ids(db) == before

    # the register re-sends its last investors snapshot as a correction (new id, later extract, same rows)
    [last] = sorted((landing / "registry" / "investors").iterdir())[-1:]
    redelivery = tmp_path / "redelivery" / "registry" / "investors" / last.name
    shutil.copytree(last, redelivery)
    manifest = json.loads((redelivery / "manifest.json").read_text())
    extracted = dt.datetime.fromisoformat(manifest["extracted_at"]) + dt.timedelta(days=20)
    edit_manifest(redelivery, delivery_id=str(uuid.uuid4()), extracted_at=extracted.isoformat())
    outcome = run_pipeline(tmp_path / "redelivery", progress=lambda _: None)
    assert outcome.dbt_success
    assert db.execute("select status from audit.deliveries where delivery_id = %s",
                      (manifest["delivery_id"],)).fetchone() == ("superseded",)
    assert _ids(db) == before
    # linkage does not read the network: the links are what they were
    assert db.execute("select count(*), md5(string_agg(enterprise_id || source_key, ',' order by agency, dataset, "
                      "source_key, period)) from marts.enterprise_links").fetchone() == links


def test_fdi_network_prints_and_draws_a_planted_nominee(built):
    db, landing = built
    [code] = sorted({s["enterprise_tax_code"] for s in read_csv(landing / "_truth" / "scenarios.csv")
                     if s["rule"] == "NOM01" and s["kind"] == "planted"})[:1]
    hood = fetch(db, code)
    text = format_text(hood)
    kinds = {e.relationship for n in hood.neighbours for e in n.edges}
    assert {"foreign_manager", "lender", "trade_partner"} <= kinds
    assert code in text and "labour/work_permits" in text and "credit/loans" in text
    svg = ET.fromstring(render_svg(hood))
    labels = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert code in labels and "foreign_manager" in labels
