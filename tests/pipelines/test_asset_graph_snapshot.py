"""Guards the Dagster asset graph against unintended change: keys, checks, groups, jobs, schedules, sensors.

The graph is compared with the committed `asset_graph.json`. An intended
change (a new model, a renamed check) is accepted by regenerating it:
`FDI_UPDATE_SNAPSHOT=1 make test-fast` (or this file alone), then reviewing the diff.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def graph_snapshot() -> dict:
    from pipelines.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitioned": node.partitions_def is not None,
        }
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    blocking = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys
                      if graph.get_check_spec(c).blocking)
    return {
        "assets": assets,
        "checks": checks,
        "blocking_checks": blocking,
        "jobs": sorted(j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted((s.name, s.cron_schedule) for s in definitions.schedules),
        "sensors": sorted(s.name for s in definitions.sensors),
    }


def test_the_asset_graph_matches_its_committed_snapshot(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("FDI_") and var != "FDI_UPDATE_SNAPSHOT":
            monkeypatch.delenv(var)
    monkeypatch.setenv("FDI_HOME", str(tmp_path))
    now = json.loads(json.dumps(graph_snapshot()))  # tuples as lists, as in the file
    if os.environ.get("FDI_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(now, indent=1, ensure_ascii=False) + "\n")
    committed = json.loads(SNAPSHOT.read_text())
    for part in ("jobs", "schedules", "sensors", "blocking_checks", "checks"):
        assert now[part] == committed[part], f"{part} changed; if intended, regenerate {SNAPSHOT.name}"
    added = sorted(set(now["assets"]) - set(committed["assets"]))
    removed = sorted(set(committed["assets"]) - set(now["assets"]))
    assert not added and not removed, f"assets added {added}, removed {removed}; if intended, regenerate"
    changed = [k for k in now["assets"] if now["assets"][k] != committed["assets"][k]]
    assert not changed, f"group, deps or partitioning changed for {changed}; if intended, regenerate"
