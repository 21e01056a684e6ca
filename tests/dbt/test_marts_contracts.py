"""What warehouse.md promises of every public model (schemas `marts`, `risk`, `fis`, `kpi`), read from the dbt
manifest and the Dagster graph.

No database: the manifest is what `dbt parse` makes of the project, so a model
added without its contract, its stated grain, its bilingual column docs, its
key tests or its reconciliation with raw fails here before any build.
"""
from __future__ import annotations

import json
import os
import re

import dagster as dg
import pytest

# The public schemas of contracts/warehouse.md.
PUBLIC_SCHEMAS = ("marts", "risk", "fis", "kpi")
# Every risk rule model (found by this tag, dbt_project.yml) holds findings of its rule: judgements made on
# the marts, not records of a dataset, so none has a row count to reconcile with raw.
RULE_TAG = "risk_rule"
# Public models without a row-count reconciliation with raw, and why.
NOT_RECONCILED = {
    # the review queue: candidate pairs the matcher produced, not records
    "enterprise_link_candidates": "candidate pairs the matcher produced, not records",
    "dim_project_history": "versions seen by successive builds; its current versions equal dim_project "
                           "(one_current_version test)",
    "enterprise_relationships": "the enterprise network: relationships between enterprises, not records",
    "enterprise_groups": "the enterprise network: groups of enterprises, not records",
    "dataset_coverage": "one row per expected period, delivered or not: the grid raw is measured against",
    "flags": "the union of the rule models' findings (the rule catalogue test checks the union)",
    "flags_for_review": "risk.flags with the review decision in force: one row per flag (unique flag_id)",
    "withdrawn_flags_for_review": "risk.flag_withdrawals (kept outside dbt, not raw) with the review decision in "
                                  "force: one row per flag (unique flag_id)",
    "enterprise_scores": "one row per flagged enterprise and year, built from risk.flags",
    "judgements_waiting": "cases a rule holds back until a missing period arrives, built from the rule's own CTEs "
                          "(its dbt unit test proves them); raw holds no judgement to count against",
    "project_reports": "a report per project and period, aggregated from the marts (its unit tests prove the "
                       "sums); raw holds no report to count against",
    "self_report_discrepancies": "comparisons of self-reports with agency figures, not records",
    "indicator_fdi_registered_capital": "one figure per year, not records",
    "indicator_trained_workforce_share": "one figure per year, not records",
    "indicator_industrial_zone_occupancy": "one figure per year, not records",
    "indicator_industrial_zone_wastewater_treatment": "one figure per year, not records",
    "programme_targets": "indicators against targets per period, not records",
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


def _public_models(manifest: dict) -> dict[str, dict]:
    return {n["unique_id"]: n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["schema"] in PUBLIC_SCHEMAS}


def _is_rule(model: dict) -> bool:
    return RULE_TAG in model["tags"]


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
    models = _public_models(manifest)
    assert {"dim_enterprise", "enterprise_links", "dim_project", "fct_enterprise_year", "flags",
            "enterprise_scores", "project_reports", "programme_targets"} <= {m["name"] for m in models.values()}
    assert {m["schema"] for m in models.values()} == set(PUBLIC_SCHEMAS)
    assert sum(_is_rule(m) for m in models.values()) >= 14, "the rule models are not found by their tag"
    problems = []
    for model in models.values():
        name = model["name"]
        if not (model["config"].get("contract") or {}).get("enforced"):
            problems.append(f"{name}: contract not enforced")
        if "one row per" not in model["description"].lower():
            problems.append(f"{name}: no grain stated")
        if not BILINGUAL.search(model["description"]):
            problems.append(f"{name}: description not in English / Vietnamese")
        if not model["columns"]:
            problems.append(f"{name}: no documented columns")
        for column, spec in model["columns"].items():
            if not spec.get("data_type"):
                problems.append(f"{name}.{column}: no data_type for the contract")
            if not BILINGUAL.search(spec.get("description") or ""):
                problems.append(f"{name}.{column}: description not in English / Vietnamese")
    assert not problems, "\n".join(problems)


def test_every_public_model_has_key_tests_and_a_reconciliation_with_raw(manifest):
    models = _public_models(manifest)
    tests = _tests_by_model(manifest, models)
    problems = []
    for uid, model in models.items():
        kinds = {(t.get("test_metadata") or {}).get("name") or "singular" for t in tests[uid]}
        constrained = {c["type"] for spec in model["columns"].values() for c in spec.get("constraints") or []}
        name = model["name"]
        if not kinds & UNIQUENESS_TESTS and not constrained & {"primary_key", "unique"}:
            problems.append(f"{name}: no uniqueness test or constraint")
        if "not_null" not in kinds | constrained:
            problems.append(f"{name}: no not_null test or constraint")
        if not _is_rule(model) and name not in NOT_RECONCILED:
            singular = {t["name"] for t in tests[uid] if not t.get("test_metadata")}
            if not (kinds & RECONCILIATION_TESTS or any("match" in s for s in singular)):
                problems.append(f"{name}: no reconciliation with raw")
    assert not problems, "\n".join(problems)
    kinds = {(t.get("test_metadata") or {}).get("name") for ts in tests.values() for t in ts}
    assert {"relationships", "accepted_values"} <= kinds
    stale = set(NOT_RECONCILED) - {m["name"] for m in models.values()}
    assert not stale, f"NOT_RECONCILED names models that are not public: {sorted(stale)}"


# Data tests a contract's constraint states instead on a public table (docs/linked-warehouse.md, "incremental
# builds"): PostgreSQL checks every row it writes, where a test is a query and two Dagster events. An incremental
# table gets them from its post-hook too, when an earlier version created it (contract_rules_on_existing_table),
# and loses a NOT NULL its contract no longer has from its pre-hook (contract_relaxed_on_existing_table).
CONSTRAINT_NOT_TEST = {"not_null", "accepted_values"}


def test_public_tables_state_column_rules_as_constraints(manifest):
    models = _public_models(manifest)
    tests = _tests_by_model(manifest, models)
    problems = []
    for uid, model in models.items():
        if model["config"]["materialized"] in ("view", "view_in_place"):
            continue  # a view enforces nothing
        if model["config"]["materialized"] == "incremental" and not any(
                "contract_rules_on_existing_table" in hook["sql"] for hook in model["config"]["post-hook"]):
            problems.append(f"{model['name']}: incremental without the post-hook that adds its contract's rules")
        if model["config"]["materialized"] == "incremental" and not any(
                "contract_relaxed_on_existing_table" in hook["sql"] for hook in model["config"]["pre-hook"]):
            problems.append(f"{model['name']}: incremental without the pre-hook that drops a NOT NULL its "
                            "contract no longer has")
        for test in tests[uid]:
            kind = (test.get("test_metadata") or {}).get("name")
            if kind in CONSTRAINT_NOT_TEST:
                problems.append(f"{model['name']}.{test.get('column_name')}: {kind} test, a constraint of the "
                                "contract states it")
    assert not problems, "\n".join(problems)


def test_dbt_tests_of_public_models_are_dagster_asset_checks(manifest, monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("FDI_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("FDI_HOME", str(tmp_path))
    from pipelines.definitions import defs

    checks = set(defs().resolve_asset_graph().asset_check_keys)
    models = _public_models(manifest)
    expected = {dg.AssetCheckKey(dg.AssetKey([models[uid]["schema"], models[uid]["name"]]), t["name"])
                for uid, ts in _tests_by_model(manifest, models).items() for t in ts}
    assert expected and expected <= checks, sorted(str(k) for k in expected - checks)[:10]
    # the singular reconciliation of the 360° view is a check of that model, not a loose observation
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "fct_enterprise_year"]),
                            "fct_enterprise_year_totals_match_sources") in checks
