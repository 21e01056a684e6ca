"""What the operator sees of `fdi run` (issue 14): one line per dataset, one line for the dbt build, dbt's
node-by-node log only with --verbose, and never a hidden error."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from pipelines.run import EXIT_OK, DbtBuild
from sources.synthetic.generator import GenerateOptions, generate
from tests.helpers import fresh_warehouse

# dbt's node log: "12 of 431 START sql table model marts.dim_enterprise", "12 of 431 OK created ...", "PASS", ...
NODE_LINE = re.compile(r"\b\d+ of \d+ (START|OK|PASS|FAIL|ERROR|SKIP|WARN)\b")


@pytest.mark.e2e
def test_run_prints_one_line_per_dataset_and_the_dbt_build_in_one_line_unless_verbose(pg_server, tmp_path):
    from pipelines.cli import main

    landing = tmp_path / "landing"
    generate(GenerateOptions(out=landing, enterprises=3, years=(2024, 2024), seed=3, defects=0.0,
                             agencies=("tax",)))
    datasets = sorted(f"{d.parent.name}/{d.name}" for d in landing.glob("*/*")
                      if d.is_dir() and not d.parent.name.startswith("_"))
    assert datasets == ["tax/cit_returns", "tax/payments", "tax/related_party"]
    with fresh_warehouse(pg_server, tmp_path):
        quiet = CliRunner().invoke(main, ["run", "--landing", str(landing)])
        assert quiet.exit_code == EXIT_OK, quiet.output
        lines = quiet.output.splitlines()
        for name in datasets:
            mine = [line for line in lines if line.startswith(f"· {name} ")]
            assert len(mine) == 1, (name, quiet.output)
            assert re.search(r"\d+ periods? .* [\d,]+ rows +[\d,]+ quarantined +0 rejected$", mine[0]), mine[0]
        assert [line for line in lines if NODE_LINE.search(line)] == []
        assert len([line for line in lines if re.fullmatch(r"· dbt build: \d+ nodes done in \d+ s, 0 errors",
                                                           line)]) == 1, quiet.output
        assert "INFO" not in quiet.output and "Traceback" not in quiet.output

        # the same run again with --verbose: every delivery is already loaded, and dbt's node log streams
        loud = CliRunner().invoke(main, ["run", "--landing", str(landing), "--verbose"])
        assert loud.exit_code == EXIT_OK, loud.output
        assert len([line for line in loud.output.splitlines() if NODE_LINE.search(line)]) > len(datasets)
        assert "already loaded" in next(line for line in loud.output.splitlines()
                                        if line.startswith("· tax/payments "))


def test_a_failed_build_names_every_failing_node_with_dbts_message():
    """Without --verbose the node log is kept back, so the one line must never hide a failure."""
    results = {"results": [
        {"unique_id": "model.fdi.dim_enterprise", "status": "success", "message": "SELECT 120"},
        {"unique_id": "test.fdi.not_null_flags_flag_id.1a2b3c", "status": "fail",
         "message": "Got 3 results, configured to fail if != 0"},
        {"unique_id": "model.fdi.project_reports", "status": "error",
         "message": "Database Error in model project_reports\n  division by zero"},
        {"unique_id": "unit_test.fdi.project_reports.project_reports_allocation", "status": "fail", "message": "x"},
        {"unique_id": "model.fdi.self_report_discrepancies", "status": "skipped", "message": None},
    ]}
    build = DbtBuild.from_run_results("run-1", results, 84.6, ["The dbt CLI process failed"])
    assert not build.success
    assert build.lines() == [
        "dbt build: 5 nodes done in 85 s, 3 errors, 1 skipped",
        "  ✗ fail test not_null_flags_flag_id: Got 3 results, configured to fail if != 0",
        "  ✗ error model project_reports: Database Error in model project_reports division by zero",
        "  ✗ fail unit_test project_reports_allocation: x",
    ]
    # dbt stopped before any node (a compilation error): what it said is shown, not a count of 0 errors
    stopped = DbtBuild.from_run_results("run-2", None, 3.0, ["Compilation Error in model x"])
    assert not stopped.success and stopped.lines()[1:] == ["  ✗ Compilation Error in model x"]
    assert DbtBuild.from_run_results("run-3", {"results": results["results"][:1]}, 1.0, []).success
