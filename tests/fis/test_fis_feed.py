"""Guards the feed to the national FDI information system (fis) and the programme indicators (kpi).

One small generated economy (every agency, 2024, no defects, so the raw rows
are the figures) goes through the real pipeline once per module; each test
then reads the warehouse and the outbox. The KPI logic itself is covered by
the dbt unit tests in models/kpi/_kpi__models.yml, run by that same build.
"""
from __future__ import annotations

import csv
import json
from decimal import Decimal

import psycopg
import pytest

from pipelines.fis_export import content_hash, export_period, fetch_rows, sync_ledger, verify_manifest
from pipelines.run import run_pipeline
from sources.generator import GenerateOptions, generate
from tests.helpers import fresh_warehouse

pytestmark = pytest.mark.e2e

YEAR = "2024"


@pytest.fixture(scope="module")
def built(pg_server, tmp_path_factory):
    """A warehouse built once for the module from a small economy with self-reports; yields a connection."""
    tmp = tmp_path_factory.mktemp("fis")
    with fresh_warehouse(pg_server, tmp) as conn:
        landing = tmp / "landing"
        generate(GenerateOptions(out=landing, enterprises=60, years=(2024, 2024), seed=5, defects=0.0))
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.failed_checks == []
        with psycopg.connect(conn.conninfo, autocommit=True) as pg:
            yield pg


def one(db, sql, *params):
    return db.execute(sql, params).fetchone()[0]


def single_project_enterprise(db) -> tuple[str, str]:
    """(project_code, tax_code) of a project whose enterprise has no other project, with revenue and trade."""
    row = db.execute("""
        select project_code, tax_code from fis.project_reports
        where report_period = %s and not is_allocated and revenue_vnd is not null
          and exports_usd is not null and taxes_paid_vnd is not null
        order by project_code limit 1""", (YEAR,)).fetchone()
    assert row, "the economy must hold a single-project enterprise with tax, customs and payments"
    return row


def test_a_projects_annual_figures_reconcile_with_each_agencys_raw_rows(built):
    db = built
    project, tax_code = single_project_enterprise(db)
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

    # labour: sum of the employer's units per month, averaged over the months reported
    expected_employees = one(db, """select round(avg(n), 1) from (select period, sum(employees_total) n
                                    from raw_labour.employment where tax_code = %s group by period) m""", tax_code)
    assert employees == expected_employees

    # fx: capital contributions of the year
    expected_capital = one(db, """select sum(amount) from raw_fx.capital_flows where tax_code = %s
                                  and flow_type = 'capital_contribution' and direction = 'inflow'
                                  and currency = 'USD'""", tax_code)
    assert capital == (round(expected_capital, 2) if expected_capital is not None else None)

    # land: active leases in the December snapshot
    expected_leased = one(db, """select sum(area_m2) from raw_land.leases l
                                 join audit.deliveries d on d.delivery_id = l._delivery_id and d.period = '2024-12'
                                 where l.tax_code = %s and l.status = 'active'""", tax_code)
    assert leased == (round(expected_leased, 2) if expected_leased is not None else None)

    for agency, present in (("tax", True), ("customs", True), ("registry", True),
                            ("labour", employees is not None), ("fx", capital is not None),
                            ("land", leased is not None)):
        assert (agency in sources.split(",")) == present, agency


def test_quarterly_rows_carry_no_revenue_or_profit(built):
    db = built
    counts = db.execute("""select count(*), count(revenue_vnd), count(profit_before_tax_vnd)
                           from fis.project_reports where period_kind = 'quarter'""").fetchone()
    assert counts[0] > 0 and counts[1:] == (0, 0)
    assert one(db, "select count(revenue_vnd) from fis.project_reports where report_period = %s", YEAR) > 0
    # NULL where no agency reported, never 0 for unknown
    assert one(db, """select count(*) from fis.project_reports where tax_code is null
                      and coalesce(exports_usd, revenue_vnd, taxes_paid_vnd) is not null""") == 0


def test_multi_project_enterprise_figures_are_split_by_registered_capital(built):
    db = built
    rows = db.execute("""
        select r.tax_code, r.project_code, r.allocation_share, r.is_allocated, r.taxes_paid_vnd, p.registered_capital_usd
        from fis.project_reports r
        join staging.stg_registry__projects p on p.project_code = r.project_code and p.snapshot_period = '2024-12'
        where r.report_period = %s and r.tax_code in (
            select tax_code from fis.project_reports where report_period = %s and is_allocated)
        order by 1, 2""", (YEAR, YEAR)).fetchall()
    assert rows, "the economy must hold an enterprise with several projects"
    by_enterprise: dict[str, list] = {}
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
    single = db.execute("""select distinct allocation_share from fis.project_reports
                           where not is_allocated and tax_code is not null""").fetchall()
    assert single == [(Decimal(1),)]


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
    assert one(db, "select distinct revision from fis.project_reports where report_period = %s", period) == 1

    files_before = sorted(p.name for p in folder.iterdir())
    again = export_period(db, period, outbox)
    assert again.status == "unchanged" and again.revision == 1
    assert sorted(p.name for p in folder.iterdir()) == files_before, "an unchanged export writes nothing"

    # A correction changes one project's figure, and an enterprise name arrives formula-like
    # (loaded as delivered, README defect 6).
    project = db.execute("select project_code from fis.project_reports where report_period = %s "
                         "and exports_usd is not null order by project_code limit 1", (period,)).fetchone()[0]
    db.execute("update fis.project_reports set exports_usd = exports_usd + 1000, "
               "enterprise_name = '=HYPERLINK(\"http://x\")' where project_code = %s and report_period = %s",
               (project, period))
    second = export_period(db, period, outbox)
    assert second.status == "written" and second.revision == 2
    assert second.changed == {project: ["enterprise_name", "exports_usd"]}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["previous_revision"] == 1
    assert manifest["changes"]["changed_projects"] == [project]
    assert manifest["changes"]["changed_columns"] == ["enterprise_name", "exports_usd"]
    assert verify_manifest(folder) == []
    assert (folder / "manifest_r1.json").exists() and (folder / f"project_reports_{period}_r1.csv").exists()

    with open(folder / f"project_reports_{period}_r2.csv", newline="", encoding="utf-8") as handle:
        rows = {r["project_code"]: r for r in csv.DictReader(handle)}
    assert rows[project]["enterprise_name"] == "'=HYPERLINK(\"http://x\")"
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
