"""What warehouse.md promises of every public model in `marts`, read from the dbt manifest and the Dagster graph.

No database: the manifest is what `dbt parse` makes of the project, so a model
added without its contract, its bilingual column docs, its tests or its
reconciliation with raw fails here before any build.
"""
from __future__ import annotations

import json
import os
import re

import dagster as dg
import pytest

# Public models without a row-count reconciliation with raw, and why.
NOT_RECONCILED = {
    # the review queue: candidate pairs the matcher produced, not records
    "enterprise_link_candidates",
    # versions seen by successive builds; its current versions equal dim_project (one_current_version test)
    "dim_project_history",
    # the enterprise network: relationships and groups between enterprises, not records of a dataset
    "enterprise_relationships",
    "enterprise_groups",
}
RECONCILIATION_TESTS = {"rows_match_raw_in_force"}
UNIQUENESS_TESTS = {"unique", "unique_combination"}
# "English / tiếng Việt", the house form of a public description
BILINGUAL = re.compile(r"\S.* / \S")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    from pipelines.lib.dbt_project import prepare_manifest
    from warehouse.settings import Settings

    home = tmp_path_factory.mktemp("home")
    settings = Settings.from_env({"FDI_HOME": str(home)})  # `dbt parse` connects nowhere
    return json.loads(prepare_manifest(settings).read_text())


def _marts_models(manifest: dict) -> dict[str, dict]:
    return {n["unique_id"]: n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["schema"] == "marts"}


def _tests_by_model(manifest: dict, models: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {uid: [] for uid in models}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        ref = ((node.get("config") or {}).get("meta") or {}).get("dagster", {}).get("ref", {}).get("name")
        target = node.get("attached_node") or next(
            (uid for uid, m in models.items() if m["name"] == ref), None)
        if target in out:
            out[target].append(node)
    return out


def test_every_public_model_has_an_enforced_contract_and_bilingual_docs(manifest):
    models = _marts_models(manifest)
    assert {"dim_enterprise", "enterprise_links", "dim_project", "fct_enterprise_year"} <= {
        m["name"] for m in models.values()}
    for model in models.values():
        name = model["name"]
        assert model["config"]["contract"]["enforced"], f"{name}: contract not enforced"
        assert "one row per" in model["description"].lower(), f"{name}: no grain stated"
        assert BILINGUAL.search(model["description"]), f"{name}: description not in English / Vietnamese"
        assert model["columns"], f"{name}: no documented columns"
        for column, spec in model["columns"].items():
            assert spec.get("data_type"), f"{name}.{column}: no data_type for the contract"
            assert BILINGUAL.search(spec.get("description") or ""), \
                f"{name}.{column}: description not in English / Vietnamese"


def test_every_public_model_has_key_tests_and_a_reconciliation_with_raw(manifest):
    models = _marts_models(manifest)
    tests = _tests_by_model(manifest, models)
    for uid, model in models.items():
        kinds = {(t.get("test_metadata") or {}).get("name") or "singular" for t in tests[uid]}
        name = model["name"]
        assert kinds & UNIQUENESS_TESTS, f"{name}: no uniqueness test"
        assert "not_null" in kinds, f"{name}: no not_null test"
        if name not in NOT_RECONCILED:
            singular = {t["name"] for t in tests[uid] if not t.get("test_metadata")}
            assert kinds & RECONCILIATION_TESTS or any("match" in s for s in singular), \
                f"{name}: no reconciliation with raw"
    kinds = {(t.get("test_metadata") or {}).get("name") for ts in tests.values() for t in ts}
    assert {"relationships", "accepted_values"} <= kinds


def test_dbt_tests_of_public_models_are_dagster_asset_checks(manifest, monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("FDI_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("FDI_HOME", str(tmp_path))
    from pipelines.definitions import defs

    checks = set(defs().resolve_asset_graph().asset_check_keys)
    models = _marts_models(manifest)
    expected = {dg.AssetCheckKey(dg.AssetKey(["marts", models[uid]["name"]]), t["name"])
                for uid, ts in _tests_by_model(manifest, models).items() for t in ts}
    assert expected and expected <= checks, sorted(str(k) for k in expected - checks)[:10]
    # the singular reconciliation of the 360° view is a check of that model, not a loose observation
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "fct_enterprise_year"]),
                            "fct_enterprise_year_totals_match_sources") in checks
