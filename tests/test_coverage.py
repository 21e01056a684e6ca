"""Guards issue 14: no partial figure passes as complete.

One small generated economy (2024, no defects) thinned by hand the way real
agencies thin it: customs March rejected (its file damaged), customs July
missing, a month of fx capital flows with nothing to report (a zero-byte
JSONL delivery of 0 rows), and the register (projects) delivered only in
January and July. The related-party disclosures of 2024 are not delivered:
the data's clock is December 2024, and they are due with the CIT
finalisation by the end of March 2025, so they are not yet due, no gap. The
warehouse must say so in marts.dataset_coverage, in
the coverage columns of fct_enterprise_year, in fis.project_reports and in
`fdi export-fis`, and `fdi run` must exit with the right status.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from apps.fis_export import ExportError, export_period
from pipelines.run import EXIT_NO_DELIVERY, EXIT_OK, EXIT_REJECTED, run_pipeline
from sources.synthetic.generator import GenerateOptions, generate
from tests.helpers import dbt, edit_manifest, empty_delivery, fresh_warehouse

pytestmark = pytest.mark.e2e

REGISTER_MONTHS = {"2024-01", "2024-07"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coverage")
    folder = root / "landing"
    generate(GenerateOptions(out=folder, enterprises=40, years=(2024, 2024), seed=11, defects=0.0))
    customs = folder / "customs" / "declarations"
    shutil.copytree(customs / "2024-03", root / "march_as_sent")  # to re-deliver it later
    with open(next((customs / "2024-03").glob("*.csv.gz")), "ab") as handle:
        handle.write(b"damaged in transit")
    shutil.rmtree(customs / "2024-07")
    empty_delivery(folder, "fx", "capital_flows", "2024-05")
    shutil.rmtree(folder / "tax" / "related_party" / "2024")
    shutil.copytree(folder / "registry" / "projects" / "2024-03", root / "register_march")
    for period in (folder / "registry" / "projects").iterdir():
        if period.name not in REGISTER_MONTHS:
            shutil.rmtree(period)
    return folder


@pytest.fixture(scope="module")
def built(pg_server, landing):
    with fresh_warehouse(pg_server, landing.parent) as conn:
        outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
        dbt("build", "--select", "+dataset_coverage", "+fct_enterprise_year", "+fis", "+kpi",
            "--indirect-selection", "cautious")
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            yield pg, outcome


def status_of(pg, agency, name, period):
    return pg.execute("select status, rows_in_force, reason from marts.dataset_coverage "
                      "where agency = %s and dataset = %s and period = %s", (agency, name, period)).fetchone()


def test_run_says_which_deliveries_were_rejected(built):
    _, outcome = built
    assert outcome.rejected == ["customs/declarations/2024-03"]
    assert outcome.exit_status == EXIT_REJECTED


def test_dataset_coverage_has_the_status_of_each_period(built):
    pg, _ = built
    status, rows, reason = status_of(pg, "customs", "declarations", "2024-03")
    assert status == "rejected" and rows is None and "sha256" in reason
    assert status_of(pg, "customs", "declarations", "2024-07") == ("missing", None, None)
    assert status_of(pg, "fx", "capital_flows", "2024-05") == ("complete", 0, None)
    assert status_of(pg, "customs", "declarations", "2024-04")[:1] == ("complete",)
    register = dict(pg.execute("select period, status from marts.dataset_coverage "
                               "where agency = 'registry' and dataset = 'projects'").fetchall())
    assert register == {f"2024-{m:02d}": "complete" if f"2024-{m:02d}" in REGISTER_MONTHS else "missing"
                        for m in range(1, 13)}
    # the annual datasets: one row for 2024, complete (the CIT returns, delivered early) or not yet due
    assert status_of(pg, "tax", "cit_returns", "2024")[:1] == ("complete",)
    assert status_of(pg, "tax", "related_party", "2024") == ("not yet due", None, "due by the end of 2025-03")
    # every other expected period of every dataset of the agreement is complete
    others = pg.execute("""select count(*) filter (where status <> 'complete'), count(*) from marts.dataset_coverage
                           where not (agency = 'customs' or (agency, dataset) = ('registry', 'projects'))
                             and (agency, dataset) <> ('tax', 'related_party')""").fetchone()
    assert others[0] == 0 and others[1] == 12 * 9 + 3  # 9 more monthly datasets; 3 annual (self_reports delivered)


def test_fct_enterprise_year_says_how_much_of_the_year_it_covers(built):
    pg, _ = built
    cols = pg.execute("""select distinct customs_months_covered, tax_payments_months_covered, labour_months_covered,
                                fx_months_covered, credit_months_covered, land_months_covered, tax_year_covered,
                                is_complete
                         from marts.fct_enterprise_year where year = 2024""").fetchall()
    # by hand: customs lacks March (rejected) and July (missing); fx May is an empty month, still covered
    assert cols == [(10, 12, 12, 12, 12, 12, True, False)]
    # the imports are the ten months' sum, and say so
    imports = pg.execute("select sum(imports_usd) from marts.fct_enterprise_year where year = 2024").fetchone()[0]
    assert imports == pg.execute("select sum(invoice_value_usd) from marts.fct_customs_lines "
                                 "where flow = 'IM' and enterprise_id is not null").fetchone()[0]


def test_kpis_built_on_incomplete_inputs_say_so(built):
    pg, _ = built
    rows = dict(pg.execute("""select indicator_code, input_gaps from kpi.programme_targets
                              where period = '2024'""").fetchall())
    # registered capital is read from the register: ten of its months are missing
    assert rows["fdi_registered_capital"] == "; ".join(
        f"registry/projects 2024-{m:02d} missing" for m in range(1, 13) if f"2024-{m:02d}" not in REGISTER_MONTHS)
    assert rows["trained_workforce_share"] is None  # labour is complete


def test_fdi_run_exit_statuses(pg_server, tmp_path):
    from pipelines.cli import main

    good = tmp_path / "good"
    generate(GenerateOptions(out=good, enterprises=3, years=(2024, 2024), seed=3, defects=0.0,
                             agencies=("tax",)))
    for period in (good / "tax" / "payments").iterdir():
        if period.name != "2024-01":
            shutil.rmtree(period)
    for name in ("cit_returns", "related_party"):
        shutil.rmtree(good / "tax" / name)
    junk = tmp_path / "junk"
    (junk / "notes").mkdir(parents=True)
    (junk / "notes" / "readme.txt").write_text("not a delivery")
    with fresh_warehouse(pg_server, tmp_path) as conn:
        runner = CliRunner()
        done = runner.invoke(main, ["run", "--landing", str(junk), "--no-dbt"])
        assert done.exit_code == EXIT_NO_DELIVERY, done.output
        assert "no delivery in" in done.output
        # a folder of a month still to come, alone: rejected (audited), which is no empty landing folder
        future = tmp_path / "future" / "tax" / "payments" / "2030-01"
        future.mkdir(parents=True)
        (future / "payments.csv").write_text("tax_code,period,tax_type,amount_paid_vnd\n")
        done = runner.invoke(main, ["run", "--landing", str(tmp_path / "future"), "--no-dbt"])
        assert done.exit_code == EXIT_REJECTED, done.output
        assert "1 folder(s) rejected" in done.output and "has not ended yet" in done.output
        done = runner.invoke(main, ["run", "--landing", str(good), "--no-dbt"])
        assert done.exit_code == EXIT_OK, done.output
        broken = good / "tax" / "payments" / "2024-02"
        shutil.copytree(good / "tax" / "payments" / "2024-01", broken)
        edit_manifest(broken, period="2024-02", delivery_id="broken-february", file_rows=999)
        # a real process, so the real logging set-up: the rejection's reason is told once, in the summary
        # (a rejection is the data's fault and a warning: the log line shows with --verbose)
        run = subprocess.run([str(Path(sys.executable).with_name("fdi")), "run", "--landing", str(good), "--no-dbt"],
                             capture_output=True, text=True, timeout=240)
        shown = run.stdout + run.stderr
        assert run.returncode == EXIT_REJECTED, shown
        assert "1 delivery rejected: tax/payments/2024-02" in run.stdout
        told = [line for line in shown.splitlines() if "rejected tax/payments/2024-02: " in line]
        assert len(told) == 1, shown
        reason = told[0].split("rejected tax/payments/2024-02: ", 1)[1]
        assert len(reason) > 20 and shown.count(reason) == 1, shown

        # January's correction arrives broken: the grid keeps ✓ (the earlier delivery is in force), and the
        # rejected correction is listed to chase
        from pipelines.cli.coverage import rejected_correction_lines

        january = good / "tax" / "payments" / "2024-01"
        in_force = json.loads((january / "manifest.json").read_text())["delivery_id"]
        shutil.rmtree(broken)
        edit_manifest(january, delivery_id="broken-january-fix", extracted_at="2024-03-01T08:00:00+07:00",
                      file_rows=999)
        assert runner.invoke(main, ["run", "--landing", str(good), "--no-dbt"]).exit_code == EXIT_REJECTED
        with psycopg.connect(conn.conninfo) as pg:
            lines = rejected_correction_lines(pg)
            assert rejected_correction_lines(pg, year=2023) == []
        assert len(lines) == 1 and lines[0].startswith("  ! tax/payments 2024-01: a correction was rejected ("), lines
        assert lines[0].endswith(f"; delivery {in_force} stays in force"), lines
        # the load summary does not call the earlier delivery a replacement of the correction that failed
        shown = runner.invoke(main, ["summary"]).output
        told = [line for line in shown.splitlines() if "rejected tax/payments/2024-01: " in line]
        assert len(told) == 1 and "since replaced" not in told[0], shown


def test_coverage_counts_the_findings_that_wait_on_each_gap(built):
    """A gap that decides cases is the one to chase first: `fdi coverage` counts, beside each gap, the possible
    findings risk.judgements_waiting holds back until it arrives. The table is a stand-in here (this module
    builds no risk rules); what CAP01, REG02 and ABS01 write into it is its dbt unit test's."""
    pg, _ = built
    from pipelines.cli import main

    pg.execute("create schema if not exists risk")
    pg.execute("""create table risk.judgements_waiting (rule_code text, enterprise_id text, tax_code text,
                  period text, agency text, dataset text, waits_on_period text, waits_on_status text)""")
    try:
        pg.execute("""insert into risk.judgements_waiting values
                      ('TP01', 'EN1', '1', '2024', 'customs', 'declarations', '2024-03', 'rejected'),
                      ('TP01', 'EN2', '2', '2024', 'customs', 'declarations', '2024-03', 'rejected'),
                      ('TP02', 'EN2', '2', '2024', 'customs', 'declarations', '2024-03', 'rejected'),
                      ('TP01', 'EN2', '2', '2024', 'customs', 'declarations', '2024-07', 'missing'),
                      ('REL01', 'EN3', '3', '2023', 'tax', 'related_party', '2023', 'quarantined'),
                      ('REL01', 'EN4', '4', '2023', 'tax', 'related_party', '2023', 'quarantined'),
                      ('REL01', 'EN5', '5', '2024', 'tax', 'related_party', '2024', 'not yet due')""")
        shown = CliRunner().invoke(main, ["coverage", "--agency", "customs"])
        tax = CliRunner().invoke(main, ["coverage", "--agency", "tax"])
        summary = CliRunner().invoke(main, ["summary"])
    finally:
        pg.execute("drop table risk.judgements_waiting")
    assert shown.exit_code == 0, shown.output
    # rows held in quarantine in a delivery in force: a period complete in the grid, listed apart with what waits
    assert "quarantine" not in shown.output, shown.output
    assert tax.exit_code == 0, tax.output
    assert ("  ! tax/related_party 2023: rows of the delivery in force held in quarantine; 2 possible findings wait "
            "on it (REL01 2)") in tax.output.splitlines(), tax.output
    lines = {line.split(":")[0].strip(): line for line in shown.output.splitlines() if line.startswith("  ")}
    rejected = lines["✗ customs/declarations 2024-03"]
    assert rejected.endswith("; 3 possible findings wait on it (TP01 2, TP02 1)") and ".;" not in rejected, rejected
    assert lines["? customs/declarations 2024-07"].endswith(
        "nothing delivered; 1 possible finding waits on it (TP01 1)"), lines
    # a year whose deadline has not come is no gap to chase, though its findings wait on it too
    assert "Not yet due" not in shown.output, shown.output
    for said in (tax.output, summary.output):
        told = said.splitlines()
        assert "  … tax/related_party 2024: not yet due (due by the end of 2025-03); 1 possible finding waits on it " \
               "(REL01 1)" in told, said
        assert not any(line.startswith("  ? tax/related_party 2024") for line in told), said
    assert "No gaps: every period due is complete." in tax.output.splitlines(), tax.output
    assert summary.exit_code == 0 and "Coverage gaps (12;" in summary.output, summary.output  # customs 2, the register 10


def test_fis_feed_carries_the_register_forward_and_exports_an_incomplete_quarter_only_when_told(built, landing,
                                                                                                  tmp_path):
    """Runs last: it delivers the missing March (customs re-sent, the register's own) into the module's warehouse."""
    pg, _ = built
    quarters = dict(pg.execute("""select report_period, count(*) from fis.project_reports
                                  where period_kind = 'quarter' group by 1""").fetchall())
    assert set(quarters) == {"2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"}
    # Q2 has no register snapshot of its own: January's carries forward, and its age is stated
    assert pg.execute("""select distinct register_snapshot_period, register_snapshot_age_months
                         from fis.project_reports where report_period = '2024-Q2'""").fetchall() == [("2024-01", 5)]
    assert quarters["2024-Q2"] == quarters["2024-Q1"]
    missing = "customs/declarations 2024-03 rejected; registry/projects 2024-03 missing"
    assert pg.execute("""select distinct is_complete, missing_inputs from fis.project_reports
                         where report_period = '2024-Q1'""").fetchall() == [(False, missing)]

    outbox = tmp_path / "outbox"
    with pytest.raises(ExportError, match="2024-Q1 is incomplete.*customs/declarations 2024-03 rejected"):
        export_period(pg, "2024-Q1", outbox)
    assert not (outbox / "fis" / "2024-Q1").exists()
    first = export_period(pg, "2024-Q1", outbox, allow_incomplete=True)
    manifest = json.loads((first.folder / "manifest.json").read_text())
    assert (first.revision, manifest["complete"], manifest["missing_inputs"]) == (1, False, missing.split("; "))
    imports_before = pg.execute("select sum(imports_usd) from fis.project_reports "
                                "where report_period = '2024-Q1'").fetchone()[0]

    # The agencies deliver what was missing: customs re-sends March, the register's March arrives late.
    march = landing / "customs" / "declarations" / "2024-03"
    shutil.rmtree(march)
    shutil.copytree(landing.parent / "march_as_sent", march)
    edit_manifest(march, delivery_id="customs-march-resent", extracted_at="2024-05-02T08:00:00+07:00")
    shutil.copytree(landing.parent / "register_march", landing / "registry" / "projects" / "2024-03")
    outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
    assert outcome.rejected == []
    dbt("build", "--select", "+fis", "--indirect-selection", "cautious")

    assert pg.execute("""select distinct is_complete, missing_inputs from fis.project_reports
                         where report_period = '2024-Q1'""").fetchall() == [(True, None)]
    imports_after = pg.execute("select sum(imports_usd) from fis.project_reports "
                               "where report_period = '2024-Q1'").fetchone()[0]
    assert imports_after > imports_before  # March's imports were short in revision 1
    second = export_period(pg, "2024-Q1", outbox)
    manifest = json.loads((second.folder / "manifest.json").read_text())
    assert (second.status, second.revision, manifest["complete"], manifest["missing_inputs"]) == \
        ("written", 2, True, [])

    # the load summary keeps March's rejection, and says it has been replaced
    from pipelines.cli import main

    shown = CliRunner().invoke(main, ["summary"])
    assert shown.exit_code == 0, shown.output
    told = [line for line in shown.output.splitlines() if "rejected customs/declarations/2024-03: " in line]
    assert len(told) == 1 and told[0].endswith("(since replaced: delivery customs-march-resent is in force)"), told
