"""Guards the feed to the national FDI information system (fis) and the programme indicators (kpi).

One small generated economy (every agency, 2024, no defects, so the raw rows
are the figures) is loaded once per module through the real ingestion (the
Dagster loader assets, contract checks and GX suites); dbt then builds fis,
kpi and everything they stand on (`+fis +kpi`: the risk schema is
tests/risk's business). Each test reads the warehouse and the outbox and
reconciles with raw rows, using the generator's `_truth/records.csv` to know
which enterprise a record without a tax code belongs to. The logic on
hand-made rows (allocation, linked records, each KPI status including
no_data) is in the dbt unit tests of models/fis/_fis__unit_tests.yml and
models/kpi/_kpi__unit_tests.yml, run by that same build.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from apps.fis_export import (
    ExportError,
    content_hash,
    export_period,
    fetch_rows,
    period_folder,
    refusal,
    sync_ledger,
    verify_manifest,
)
from pipelines.run import run_pipeline
from sources.synthetic.generator import GenerateOptions, generate
from sources.synthetic.truth import read_csv
from tests.helpers import dbt, fresh_warehouse

pytestmark = pytest.mark.e2e

YEAR = "2024"

# (agency, dataset) -> {(period, source_key): (the true enterprise's tax code, delivered with a tax code)}
Truth = dict[tuple[str, str], dict[tuple[str, str], tuple[str, bool]]]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A small economy with self-reports, written once for the module, its ground truth in _truth/."""
    folder = tmp_path_factory.mktemp("fis") / "landing"
    generate(GenerateOptions(out=folder, enterprises=60, years=(2024, 2024), seed=5, defects=0.0))
    return folder


@pytest.fixture(scope="module")
def built(pg_server, landing):
    """A warehouse loaded and built once for the module from that economy; yields a connection."""
    with fresh_warehouse(pg_server, landing.parent) as conn:
        outcome = run_pipeline(landing, run_dbt=False, progress=lambda _: None)
        assert outcome.failed_checks == []
        dbt("build", "--select", "+fis", "+kpi", "--indirect-selection", "cautious")
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            yield pg


@pytest.fixture(scope="module")
def truth(landing) -> Truth:
    records: Truth = defaultdict(dict)
    for r in read_csv(landing / "_truth" / "records.csv"):
        records[(r["agency"], r["dataset"])][(r["period"], r["source_key"])] = (r["enterprise_tax_code"],
                                                                                 r["has_tax_code"] == "1")
    return records


def one(db, sql, *params):
    return db.execute(sql, params).fetchone()[0]


def true_keys(truth: Truth, agency: str, dataset: str, tax_codes: set[str], *, coded_only: bool = False) -> list[str]:
    """Source keys of the records that truly belong to the enterprises (optionally: only those with a tax code)."""
    return sorted({key for (_, key), (owner, coded) in truth[(agency, dataset)].items()
                   if owner in tax_codes and (coded or not coded_only)})


def employees_avg(db, keys: list[str]) -> Decimal | None:
    """Labour, by hand: the employer's units summed per month, averaged over the months reported."""
    return one(db, """select round(avg(n), 1) from (select period, sum(employees_total) n from raw_labour.employment
                      where si_unit_code || '|' || period = any(%s) group by period) m""", keys)


def leased_area(db, lease_ids: list[str]) -> Decimal | None:
    """Land, by hand: the active leases in the December snapshot."""
    return one(db, """select sum(area_m2) from raw_land.leases l
                      join audit.deliveries d on d.delivery_id = l._delivery_id and d.period = '2024-12'
                      where l.lease_id = any(%s) and l.status = 'active'""", lease_ids)


def single_project_enterprise(db, truth: Truth) -> tuple[str, str]:
    """(project_code, tax_code) of a project whose enterprise has no other project and figures from every
    agency, and whose labour and land records came partly or wholly without a tax code (README "Known
    defects" 3), linked to it by name and address, so that the feed differs from a tax-code join."""
    candidates = db.execute("""
        select project_code, tax_code from fis.project_reports
        where report_period = %s and not is_allocated and revenue_vnd is not null and exports_usd is not null
          and taxes_paid_vnd is not null and capital_realized_usd is not null
        order by project_code""", (YEAR,)).fetchall()
    for project, tax_code in candidates:
        owner = {tax_code}
        labour, land = true_keys(truth, "labour", "employment", owner), true_keys(truth, "land", "leases", owner)
        by_name = one(db, """select count(*) from marts.enterprise_links where enterprise_id = %s
                             and match_method = 'name_address' and (agency, dataset) in
                             (('labour', 'employment'), ('land', 'leases'))""", "EN" + tax_code)
        if (by_name and employees_avg(db, labour) != employees_avg(db, true_keys(truth, "labour", "employment", owner,
                                                                              coded_only=True))
                and leased_area(db, land) != leased_area(db, true_keys(truth, "land", "leases", owner,
                                                                       coded_only=True))):
            return project, tax_code
    pytest.fail("the economy must hold a single-project enterprise with figures from every agency whose labour "
                "and land records came without a tax code")


def test_a_projects_annual_figures_reconcile_with_each_agencys_raw_rows(built, truth):
    db = built
    project, tax_code = single_project_enterprise(db, truth)
    report = db.execute("""select revenue_vnd, profit_before_tax_vnd, taxes_paid_vnd, exports_usd, imports_usd,
                                  employees_total, capital_realized_usd, leased_area_m2, sources, allocation_share
                           from fis.project_reports where project_code = %s and report_period = %s""",
                        (project, YEAR)).fetchone()
    revenue, profit, taxes, exports, imports, employees, capital, leased, sources, share = report
    assert share == 1

    # tax: the CIT return in force (highest amendment) and the year's payments
    cit = db.execute("""select revenue_vnd, profit_before_tax_vnd from raw_tax.cit_returns
                        where tax_code = %s and fiscal_year = 2024 order by amendment_no desc limit 1""",
                     (tax_code,)).fetchone()
    assert (revenue, profit) == (Decimal(cit[0]), Decimal(cit[1]))
    assert taxes == one(db, "select sum(amount_paid_vnd) from raw_tax.payments where tax_code = %s "
                            "and period like '2024-%%'", tax_code)

    # customs: invoice values at the State Bank rate of the registration day (latest published on or before)
    def trade(flow: str) -> Decimal:
        return one(db, """
            select sum(round(d.invoice_value * coalesce(cur.vnd_per_unit, 1) / usd.vnd_per_unit, 2))
            from raw_customs.declarations d
            left join lateral (select vnd_per_unit from raw_fx.central_rates r
                               where r.currency = d.invoice_currency and r.rate_date <= d.registered_on
                               order by r.rate_date desc limit 1) cur on d.invoice_currency <> 'VND'
            cross join lateral (select vnd_per_unit from raw_fx.central_rates r
                                where r.currency = 'USD' and r.rate_date <= d.registered_on
                                order by r.rate_date desc limit 1) usd
            where left(d.tax_code, 10) = %s and d.flow = %s""", tax_code, flow)
    assert abs(exports - trade("EX")) <= Decimal("0.05")  # rounding per line vs per total
    if imports is not None:
        assert abs(imports - trade("IM")) <= Decimal("0.05")

    # labour: every employer row of the enterprise, with or without a tax code (by the truth)
    units = true_keys(truth, "labour", "employment", {tax_code})
    assert set(units) > set(true_keys(truth, "labour", "employment", {tax_code}, coded_only=True))
    assert employees is not None and employees == employees_avg(db, units)

    # fx: capital contributions of the year (all in USD in this economy)
    expected_capital = one(db, """select sum(amount) from raw_fx.capital_flows where tax_code = %s
                                  and flow_type = 'capital_contribution' and direction = 'inflow'
                                  and currency = 'USD'""", tax_code)
    assert capital == round(expected_capital, 2)

    # land: every lease of the enterprise, most delivered without a tax code, as in December
    leases = true_keys(truth, "land", "leases", {tax_code})
    assert leased is not None and leased == round(leased_area(db, leases), 2)

    assert sorted(sources.split(",")) == ["customs", "fx", "labour", "land", "registry", "tax"]


def test_quarterly_rows_carry_no_revenue_or_profit(built):
    db = built
    counts = db.execute("""select count(*), count(revenue_vnd), count(profit_before_tax_vnd)
                           from fis.project_reports where period_kind = 'quarter'""").fetchone()
    assert counts[0] > 0 and counts[1:] == (0, 0)
    assert one(db, "select count(revenue_vnd) from fis.project_reports where report_period = %s", YEAR) > 0
    # NULL where no agency reported, never 0 for unknown
    assert one(db, """select count(*) from fis.project_reports where tax_code is null
                      and coalesce(exports_usd, revenue_vnd, taxes_paid_vnd) is not null""") == 0


def test_multi_project_enterprise_figures_are_split_by_registered_capital(built, truth):
    db = built
    rows = db.execute("""
        select r.tax_code, r.project_code, r.allocation_share, r.is_allocated, r.taxes_paid_vnd, p.registered_capital_usd,
               r.leased_area_m2
        from fis.project_reports r
        join staging.stg_registry__projects p on p.project_code = r.project_code and p.snapshot_period = '2024-12'
        where r.report_period = %s and r.tax_code in (
            select tax_code from fis.project_reports where report_period = %s and is_allocated)
        order by 1, 2""", (YEAR, YEAR)).fetchall()
    assert rows, "the economy must hold an enterprise with several projects"
    by_enterprise: dict[str, list] = {}
    leased_split = 0
    for row in rows:
        by_enterprise.setdefault(row[0], []).append(row)
    for tax_code, projects in by_enterprise.items():
        assert len(projects) > 1 and all(p[3] for p in projects)
        total_capital = sum(p[5] for p in projects)
        for p in projects:
            assert abs(p[2] - p[5] / total_capital) < Decimal("0.000001")
        assert abs(sum(p[2] for p in projects) - 1) < Decimal("0.00001")
        paid = one(db, "select sum(amount_paid_vnd) from raw_tax.payments where tax_code = %s "
                       "and period like '2024-%%'", tax_code)
        if paid is not None:  # the shares add back to the enterprise's figure, to rounding
            assert abs(sum(p[4] for p in projects) - paid) <= len(projects)
        leased = leased_area(db, true_keys(truth, "land", "leases", {tax_code}))
        if leased is not None:  # so do figures of records linked by name (leases, mostly without a tax code)
            leased_split += 1
            assert all(p[6] is not None for p in projects)
            assert abs(sum(p[6] for p in projects) - leased) <= Decimal("0.01") * len(projects)
    assert leased_split, "an enterprise with several projects must lease land"
    single = db.execute("""select distinct allocation_share from fis.project_reports
                           where not is_allocated and tax_code is not null""").fetchall()
    assert single == [(Decimal(1),)]


def test_an_incomplete_period_is_refused_with_what_to_chase_summed_per_dataset():
    # seed 2049's 2021-Q3 was refused with its first ten of 434 items, seven of them one project's quarantined
    # customs line each: the gaps to ask for were there, the size of the quarantine was not
    missing = ["fx/capital_flows 2021-07 missing", "land/leases 2021-09 rejected",
               "project 1129411175: customs/declarations 2021-09: 1 record of this enterprise quarantined",
               "project 1140918115: customs/declarations 2021-08: 2 records of this enterprise quarantined",
               "project 1140918115: customs/declarations 2021-09: 1 record of this enterprise quarantined",
               "project 1142678529: tax/payments 2021-09: 1 record of this enterprise quarantined"]
    text = refusal("2021-Q3", missing, 918)
    assert text.startswith("2021-Q3 is incomplete, its figures would be short. Not in force for the period (ask the "
                           "agency to deliver it; `fdi coverage` gives each rejection's reason): fx/capital_flows "
                           "2021-07 missing; land/leases 2021-09 rejected. ")
    assert ("customs/declarations 2021-08 to 2021-09, 4 records of 2 of the 918 projects; "
            "tax/payments 2021-09, 1 record of 1 of the 918 projects.") in text
    assert text.endswith("lists all 6 missing inputs (fis.project_reports.missing_inputs).")
    assert "project 1140918115" not in text
    # nothing quarantined: no quarantine sentence; nothing period-wide: no delivery to ask for
    assert "quarantine" not in refusal("2021-Q3", missing[:2], 918)
    assert "ask the agency" not in refusal("2021-Q3", missing[2:], 918)


def test_export_revisions_manifest_and_spreadsheet_safety(built, tmp_path):
    db = built
    outbox = tmp_path / "outbox"
    period = f"{YEAR}-Q3"
    first = export_period(db, period, outbox)
    assert first.status == "written" and first.revision == 1
    folder = outbox / "fis" / period
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schema_version"] and manifest["revision"] == 1 and manifest["rows"] == first.rows
    assert verify_manifest(folder) == []
    # The ledger has the revision at once, written by its owner (no UPDATE of a dbt table);
    # fis.project_reports reads it when dbt builds it next.
    assert db.execute("select revision, content_sha256 from fis.export_revisions where report_period = %s",
                      (period,)).fetchall() == [(1, manifest["content_sha256"])]
    assert one(db, "select distinct revision from fis.project_reports where report_period = %s", period) == 0
    dbt("build", "--select", "stg_fis_exports__export_revisions", "project_reports")
    assert one(db, "select distinct revision from fis.project_reports where report_period = %s", period) == 1

    files_before = sorted(p.name for p in folder.iterdir())
    again = export_period(db, period, outbox)
    assert again.status == "unchanged" and again.revision == 1
    assert sorted(p.name for p in folder.iterdir()) == files_before, "an unchanged export writes nothing"

    # A correction changes one project's figure, and enterprise names arrive formula-like
    # (loaded as delivered, README defect 6).
    project, other = [r[0] for r in db.execute(
        "select project_code from fis.project_reports where report_period = %s "
        "and exports_usd is not null order by project_code limit 2", (period,)).fetchall()]
    db.execute("update fis.project_reports set exports_usd = exports_usd + 1000, "
               "enterprise_name = '=HYPERLINK(\"http://x\")' where project_code = %s and report_period = %s",
               (project, period))
    db.execute("update fis.project_reports set enterprise_name = '@SUM(1+1)*cmd' "
               "where project_code = %s and report_period = %s", (other, period))
    second = export_period(db, period, outbox)
    assert second.status == "written" and second.revision == 2
    assert second.changed == {project: ["enterprise_name", "exports_usd"], other: ["enterprise_name"]}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["previous_revision"] == 1
    assert manifest["changes"]["changed_projects"] == sorted([project, other])
    assert manifest["changes"]["changed_columns"] == ["enterprise_name", "exports_usd"]
    assert verify_manifest(folder) == []
    # the manifest's hashes and row counts, checked by hand
    assert [f["name"] for f in manifest["files"]] == [f"project_reports_{period}_r2.csv",
                                                      f"project_reports_{period}_r2.json"]
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        rows_in_file = (len(data.decode().splitlines()) - 1 if entry["name"].endswith(".csv")
                        else len(json.loads(data)["rows"]))
        assert entry["rows"] == rows_in_file == manifest["rows"] == second.rows
    assert (folder / "manifest_r1.json").exists() and (folder / f"project_reports_{period}_r1.csv").exists()

    with open(folder / f"project_reports_{period}_r2.csv", newline="", encoding="utf-8") as handle:
        rows = {r["project_code"]: r for r in csv.DictReader(handle)}
    assert rows[project]["enterprise_name"] == "'=HYPERLINK(\"http://x\")"
    assert rows[other]["enterprise_name"] == "'@SUM(1+1)*cmd"
    assert all(r["revision"] == "2" for r in rows.values())
    assert not any(v.startswith(("=", "+", "@")) for r in rows.values() for v in r.values())
    # a tampered file no longer verifies
    with open(folder / f"project_reports_{period}_r2.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    assert verify_manifest(folder)

    # The history survives a rebuild: an empty ledger is refilled from the outbox manifests,
    # and numbering continues from there.
    db.execute("truncate fis.export_revisions")
    sync_ledger(db, outbox)
    assert one(db, "select max(revision) from fis.export_revisions where report_period = %s", period) == 2
    assert content_hash(fetch_rows(db, period)) == manifest["content_sha256"]


def test_an_outbox_without_the_periods_latest_revision_gets_no_revision(built, tmp_path):
    """The ledger knows a revision an outbox does not hold (a new outbox, the wrong --out, a lost one): the
    export is refused, naming the outbox that holds it, and writes nothing, whether the rows equal that
    revision's or not; no manifest anywhere contradicts itself (revision 2 with no previous revision)."""
    db = built
    period = f"{YEAR}-Q2"
    sent, other = tmp_path / "sent", tmp_path / "new"
    assert export_period(db, period, sent).revision == 1

    def refused(outbox: Path, match: str, ledger: int) -> None:
        with pytest.raises(ExportError, match=match):
            export_period(db, period, outbox)
        assert one(db, "select max(revision) from fis.export_revisions where report_period = %s", period) == ledger

    elsewhere = (f"^revision 1 of {period} \\(fis.export_revisions\\) is in the outbox {re.escape(str(sent))}, "
                 f"not in {re.escape(str(other))}, which holds none of it: export with --out {re.escape(str(sent))}$")
    refused(other, elsewhere, 1)  # the same rows
    assert not other.exists(), "a refused export writes nothing"

    project = one(db, "select min(project_code) from fis.project_reports where report_period = %s "
                      "and exports_usd is not null", period)
    db.execute("update fis.project_reports set exports_usd = exports_usd + 1000 "
               "where project_code = %s and report_period = %s", (project, period))
    try:
        refused(other, elsewhere, 1)  # changed rows
        assert not other.exists()
        second = export_period(db, period, sent)
        assert (second.status, second.revision, second.changed) == ("written", 2, {project: ["exports_usd"]})

        # The outbox that received revision 2 is lost (moved away): refused until it is back.
        shutil.move(sent, tmp_path / "moved")
        refused(other, f"revision 2 of {period} .* was written to the outbox {re.escape(str(sent))}, which no "
                       f"longer holds it .*: restore .* from a backup and export with --out {re.escape(str(sent))}$", 2)
        shutil.move(tmp_path / "moved", sent)
        assert export_period(db, period, sent).status == "unchanged"
    finally:
        db.execute("update fis.project_reports set exports_usd = exports_usd - 1000 "
                   "where project_code = %s and report_period = %s", (project, period))

    for path in tmp_path.rglob("manifest*.json"):
        manifest = json.loads(path.read_text())
        assert manifest["previous_revision"] == (manifest["revision"] - 1 or None), path


def test_an_outbox_whose_fis_folder_is_a_file_is_refused_in_one_sentence(built, tmp_path):
    from pipelines.cli import main

    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "fis").write_text("not a folder")
    with pytest.raises(ExportError, match=f"^{re.escape(str(outbox / 'fis'))} is a file, not a folder"):
        export_period(built, f"{YEAR}-Q4", outbox)
    done = CliRunner().invoke(main, ["export-fis", "--period", f"{YEAR}-Q4", "--out", str(outbox)])
    assert done.exit_code == 2 and f"Error: {outbox / 'fis'} is a file, not a folder" in done.output, done.output
    (outbox / "fis").unlink()
    (outbox / "fis").mkdir()
    (outbox / "fis" / f"{YEAR}-Q4").write_text("not a folder")
    with pytest.raises(ExportError, match=f"^{re.escape(str(outbox / 'fis' / f'{YEAR}-Q4'))} is a file"):
        export_period(built, f"{YEAR}-Q4", outbox)


def test_a_damaged_manifest_in_the_outbox_is_refused_in_one_sentence_naming_it(built, tmp_path):
    """The outbox is the record of what was sent: a manifest cut short or emptied by hand stops the export with
    the file's name and what to do, not a traceback, and nothing is written over it."""
    from pipelines.cli import main

    period, outbox = f"{YEAR}-Q1", tmp_path / "outbox"
    assert export_period(built, period, outbox).revision == 1
    manifest = period_folder(outbox, period) / "manifest_r1.json"
    sent = manifest.read_text()

    manifest.write_text(sent[: len(sent) // 2])  # cut short
    with pytest.raises(ExportError, match=f"^{re.escape(str(manifest))} cannot be read as a manifest .*: restore"):
        export_period(built, period, outbox)
    done = CliRunner().invoke(main, ["export-fis", "--period", period, "--out", str(outbox)])
    assert done.exit_code == 2 and f"Error: {manifest} cannot be read as a manifest" in done.output, done.output
    assert "Traceback" not in done.output

    manifest.write_text('{"revision": 1}')
    with pytest.raises(ExportError, match=f"^{re.escape(str(manifest))} is not a whole manifest "
                                          r"\(no report_period, exported_at, rows, content_sha256, files\)"):
        export_period(built, period, outbox)
    assert manifest.read_text() == '{"revision": 1}', "a refused export writes nothing over it"

    latest = manifest.with_name("manifest.json")
    latest.write_text("")
    with pytest.raises(ExportError, match=f"^{re.escape(str(latest))} cannot be read as a manifest"):
        verify_manifest(latest.parent)

    manifest.write_text(sent)
    latest.write_text(sent)
    assert verify_manifest(latest.parent) == []
    assert export_period(built, period, outbox).status == "unchanged"


def test_self_report_discrepancies_flag_beyond_the_seed_tolerance(built):
    db = built
    tolerance = one(db, "select value from seeds.fis_settings where setting = 'discrepancy_relative_tolerance'")
    assert one(db, "select count(*) from staging.stg_registry__self_reports") > 0
    rows = db.execute("""select relative_difference, is_flagged, relative_tolerance, abs(difference)
                         from fis.self_report_discrepancies where figure = 'revenue_vnd'""").fetchall()
    assert rows and any(r[1] for r in rows) and not all(r[1] for r in rows)
    floor = one(db, "select value from seeds.fis_settings where setting = 'discrepancy_min_abs_difference_vnd'")
    for rel, flagged, applied, diff in rows:
        assert applied == tolerance
        assert flagged == (diff > floor and abs(rel) > tolerance)


# the datasets each compared figure stands on, as fis.project_reports.missing_inputs names them
FIGURE_INPUTS = {"capital_realized_usd": "fx/capital_flows", "revenue_vnd": "tax/cit_returns",
                 "profit_before_tax_vnd": "tax/cit_returns", "exports_usd": "customs/declarations",
                 "imports_usd": "customs/declarations", "employees_total": "labour/employment",
                 "employees_foreign": "labour/employment", "taxes_paid_vnd": "tax/payments"}
SUMS_OF_NON_NEGATIVE_AMOUNTS = {"capital_realized_usd", "exports_usd", "imports_usd", "taxes_paid_vnd"}


def test_self_report_discrepancies_say_whether_the_agency_figure_is_complete(built):
    """Each figure's completeness is that of its own dataset in the period's missing_inputs, and a partial
    figure is flagged only below even its partial sum (the rule on partial rows: the dbt unit test
    discrepancies_on_partial_agency_figures)."""
    db = built
    tolerance = one(db, "select value from seeds.fis_settings where setting = 'discrepancy_relative_tolerance'")
    rows = db.execute("""select d.figure, d.self_reported, d.agency_value, abs(d.difference), d.relative_difference,
                                d.is_flagged, d.agency_value_is_complete, d.agency_missing_inputs, p.missing_inputs,
                                case d.unit when 'VND' then v.value when 'USD' then u.value else n.value end
                         from fis.self_report_discrepancies as d
                         join fis.project_reports as p using (project_code, report_period)
                         cross join (select value from seeds.fis_settings
                                     where setting = 'discrepancy_min_abs_difference_vnd') as v
                         cross join (select value from seeds.fis_settings
                                     where setting = 'discrepancy_min_abs_difference_usd') as u
                         cross join (select value from seeds.fis_settings
                                     where setting = 'discrepancy_min_abs_difference_persons') as n""").fetchall()
    assert {r[0] for r in rows} >= {"revenue_vnd", "exports_usd", "employees_total"}
    for figure, reported, agency, diff, rel, flagged, complete, missing, period_missing, floor in rows:
        own = [e for e in (period_missing or "").split("; ") if e.split(" ")[0] == FIGURE_INPUTS[figure]]
        assert missing == ("; ".join(own) or None)
        assert complete == (missing is None)
        beyond = diff > floor and (rel is None or abs(rel) > tolerance)
        evidence = complete or (figure in SUMS_OF_NON_NEGATIVE_AMOUNTS and reported < agency)
        assert flagged == (beyond and evidence), (figure, reported, agency, missing)


def test_programme_targets_cover_every_indicator_and_period(built):
    db = built
    rows = db.execute("""select indicator_code, status, source from kpi.programme_targets
                         where period_kind = 'programme_period' order by 1""").fetchall()
    assert {r[0] for r in rows} == {"fdi_registered_capital", "trained_workforce_share",
                                    "industrial_zone_occupancy", "industrial_zone_wastewater_treatment"}
    assert all("3055/QĐ-UBND" in r[2] for r in rows)
    # 2026-2030 has no data in a 2024 economy; 2021-2025 does
    assert one(db, "select count(*) from kpi.programme_targets where period = '2026-2030' "
                   "and status <> 'no_data'") == 0
    assert one(db, "select count(*) from kpi.programme_targets where period = '2021-2025' "
                   "and status = 'no_data'") == 0
    assert one(db, "select status from kpi.programme_targets where indicator_code = 'fdi_registered_capital' "
                   "and period = '2023'") == "no_data"


def test_trained_share_counts_fdi_employers_linked_without_a_tax_code(built, truth):
    """The KPI stands on every labour record of an FDI employer, including those delivered with a name and
    address only (linked by entity resolution), reconciled by hand with the raw rows via the truth."""
    db = built
    fdi = {r[0] for r in db.execute("select tax_code from marts.dim_enterprise where is_fdi")}

    def sums(keys: list[str]) -> tuple[Decimal, Decimal]:
        return db.execute("""select sum(employees_trained), sum(employees_total) from raw_labour.employment
                             where si_unit_code || '|' || period = any(%s)""", (keys,)).fetchone()

    trained, total = sums(true_keys(truth, "labour", "employment", fdi))
    # what a tax-code join sees is less: some FDI employers came without their code
    assert sums(true_keys(truth, "labour", "employment", fdi, coded_only=True))[1] < total
    row = db.execute("""select actual, numerator, denominator, status from kpi.programme_targets
                        where indicator_code = 'trained_workforce_share' and period = %s""", (YEAR,)).fetchone()
    share = round(Decimal(100) * trained / total, 2)
    assert row[:3] == (share, trained, total)
    assert row[3] == ("met" if share >= one(db, """select target_low from seeds.kpi_targets
                                                   where indicator_code = 'trained_workforce_share'
                                                     and period_start = 2021""") else "not_met")
