"""The Dagster definitions load without any secret or server, and their graph is stable."""
from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg


def test_import_has_no_side_effects():
    # Importing the module must not read settings, connect or run dbt.
    code = ("import os, pipelines.definitions as d; "
            "assert not any(k.startswith('FDI_PG') for k in os.environ); print('ok')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FDI_")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_definitions_load_without_secrets(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("FDI_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("FDI_HOME", str(tmp_path))  # never started: nothing connects
    from pipelines.definitions import defs

    definitions = defs()
    dg.Definitions.validate_loadable(definitions)  # jobs, schedules and sensors resolve, as the UI needs
    graph = definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    raw = {k for k in keys if k.startswith("raw_")}
    assert raw == {
        "raw_registry/projects", "raw_registry/investors", "raw_tax/cit_returns", "raw_tax/related_party",
        "raw_tax/payments", "raw_customs/declarations", "raw_land/leases", "raw_land/zones",
        "raw_labour/employment", "raw_labour/work_permits", "raw_labour/stoppages", "raw_credit/loans",
        "raw_fx/capital_flows", "raw_fx/central_rates",
        "raw_registry/self_reports",  # optional dataset of ours (contract `optional: true`)
    }
    assert {"marts/dim_project", "marts/dim_enterprise", "staging/stg_registry__projects"} <= keys
    # dbt sources resolve to the loader assets: lineage is explicit.
    stg = graph.get(dg.AssetKey(["staging", "stg_registry__projects"]))
    assert dg.AssetKey(["raw_registry", "projects"]) in stg.parent_keys
    # Each loader carries its blocking GX suite check.
    checks = {c.to_user_string() for c in graph.asset_check_keys}
    assert "raw_customs/declarations:contract_suite" in checks
    # One naming rule: the Dagster group of a loader is its agency, of a model its schema.
    assert graph.get(dg.AssetKey(["raw_land", "zones"])).group_name == "land"
    assert graph.get(dg.AssetKey(["marts", "dim_project"])).group_name == "marts"


def test_the_dbt_resource_starts_dbt_once_per_command(monkeypatch, tmp_path):
    # dagster-dbt ran `dbt --version` (a whole dbt start-up, about 4 s) and built a dbt adapter in the
    # Dagster process before every build; neither serves this project. The command itself still runs.
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dbt.version import __version__ as dbt_core_version

    from pipelines.defs.assets.dbt import dbt_resource
    from pipelines.lib.dbt_project import prepare_manifest, profile_env
    from warehouse.server import static_connection
    from warehouse.settings import Settings

    monkeypatch.setenv("FDI_HOME", str(tmp_path))
    monkeypatch.delenv("FDI_DATABASE_URL", raising=False)
    settings = Settings.from_env()
    prepare_manifest(settings)
    for name, value in profile_env(static_connection(settings)).items():
        monkeypatch.setenv(name, value)
    started: list[list[str]] = []

    def no_version_probe(args, *a, **kw):
        started.append(list(args))
        raise AssertionError(f"dbt started only to learn its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_version_probe)
    dbt = dbt_resource()
    assert str(dbt._cli_version) == dbt_core_version
    invocation = dbt.cli(["ls", "--select", "stg_audit__deliveries", "--output", "name", "--quiet"],
                         target_path=tmp_path / "target")
    lines = [e.raw_event["info"]["msg"] for e in invocation.stream_raw_events()]
    assert invocation.is_successful() and "stg_audit__deliveries" in lines
    assert invocation.adapter is None
    assert started == []
