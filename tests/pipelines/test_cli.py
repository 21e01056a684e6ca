"""The command line explains itself and fails with one clear sentence."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.run import EXIT_BUSY, RunLock
from warehouse.settings import Settings

COMMANDS = [[], ["db"], ["db", "start"], ["db", "stop"], ["db", "status"], ["db", "url"], ["generate"], ["run"],
            ["demo"], ["summary"], ["sync-contracts"], ["ui"], ["bench"], ["docs"], ["linkage-report"], ["flags"],
            ["review"], ["evaluate"], ["export-fis"], ["kpi"], ["network"], ["dbt"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "fdi")
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output and len(result.output.splitlines()) > 3


def test_generate_help_documents_every_option():
    out = CliRunner().invoke(main, ["generate", "--help"]).output
    for option in ("--out", "--enterprises", "--years", "--seed", "--defects"):
        assert option in out


def test_bench_keep_without_dbt_says_what_it_keeps():
    # The ingest bench keeps no database: --keep alone is refused before anything runs.
    result = CliRunner().invoke(main, ["bench", "--keep"])
    assert result.exit_code == 2
    assert "--keep keeps the database of `fdi bench --dbt`" in result.output


def test_missing_landing_folder_is_one_sentence(warehouse, tmp_path):
    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.startswith("fdi: The landing folder") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_database_url_is_one_sentence(monkeypatch):
    monkeypatch.setenv("FDI_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["db", "url"])
    assert result.exit_code == 2
    assert result.output.startswith("fdi: Cannot connect to PostgreSQL at 127.0.0.1:1/none")
    assert len(result.output.strip().splitlines()) == 1


def test_embedded_start_failure_is_one_sentence(monkeypatch, tmp_path):
    home = tmp_path / "home"
    (home / "pgdata").mkdir(parents=True)
    (home / "pgdata" / "PG_VERSION").write_text("18\n")  # a data folder that is not a cluster
    monkeypatch.delenv("FDI_DATABASE_URL", raising=False)
    monkeypatch.setenv("FDI_HOME", str(home))
    result = CliRunner().invoke(main, ["db", "url"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("fdi: The embedded PostgreSQL under") and "Traceback" not in result.output


def test_contract_artifacts_are_in_sync():
    result = CliRunner().invoke(main, ["sync-contracts", "--check"])
    assert result.exit_code == 0, result.output


def test_network_before_the_warehouse_is_built_is_one_sentence(warehouse):
    result = CliRunner().invoke(main, ["network", "0200000001"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "marts.enterprise_relationships does not exist yet" in result.output


def test_fdi_dbt_runs_the_projects_dbt_on_the_warehouse_with_the_pseudonym_key(warehouse):
    """What an upgrade note asks (`fdi dbt build --full-refresh --select ...`) needs the connection and the key a
    scheduled build gives dbt; a bare `dbt` has neither. dbt's output and exit status come through."""
    fdi = str(Path(sys.executable).with_name("fdi"))
    shown = subprocess.run([fdi, "dbt", "show", "--inline",
                            "select current_setting('fdi.pseudonym_key') <> '' as has_key, current_database() as db",
                            "--output", "json"], capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    rows = json.loads(shown.stdout[shown.stdout.index("{"):shown.stdout.rindex("}") + 1])["show"]
    assert rows == [{"has_key": True, "db": warehouse.dbname}]
    failed = subprocess.run([fdi, "dbt", "run", "--select", "no_such_model_here"], capture_output=True, text=True,
                            timeout=600)
    assert "no_such_model_here" in failed.stdout + failed.stderr

    with RunLock(Settings.from_env()):  # another `fdi run` holds the warehouse
        busy = subprocess.run([fdi, "dbt", "debug"], capture_output=True, text=True, timeout=600)
    assert busy.returncode == EXIT_BUSY and "another fdi run holds the warehouse" in busy.stderr
