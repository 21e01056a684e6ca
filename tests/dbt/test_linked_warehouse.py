"""The linked warehouse (issue 5, task 7.4) end to end on a small generated economy.

One scenario, built once for the module (every check needs the pipeline to
have run): a first load with part of the economy held back, then the rest
arriving as new deliveries together with a re-delivery (correction) of two
loaded periods. The tests below each read that warehouse; those that rebuild
a model (--full-refresh) come last. They guard the linkage targets, the look-alikes, ids that survive a
re-delivery, the SCD2 project history, the incremental customs fact equal to
a full refresh and building only what changed, the same for the compared
name pairs of entity resolution, NULL-not-zero in
fct_enterprise_year, row-count reconciliation with raw and `fdi docs`. Rule
logic on hand-made rows is in dbt unit tests
(models/intermediate/_intermediate__unit_tests.yml), which tests/dbt/test_unit_tests.py runs.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from devtools.bench import customs_rows_written, transaction_marker
from pipelines.lib.docs import build_docs
from pipelines.run import run_pipeline
from sources.synthetic.generator import GenerateOptions, generate
from sources.synthetic.score_links import LinkageReport, Score, format_report, score_links
from sources.synthetic.truth import read_csv
from tests.helpers import assert_equals_full_refresh, assert_same_rows, dbt, edit_manifest, empty_delivery, fresh_warehouse

pytestmark = pytest.mark.e2e

# Held back from the first load and delivered afterwards: the second half of
# 2024 of every monthly dataset, and the 2024 related-party disclosures (so
# customs months already built must be rebuilt for their new inputs).
HELD_BACK_MONTHS = [f"2024-{m:02d}" for m in range(7, 13)]
# Re-delivered with the second load (their first 2023 period loaded): the
# same content under a new delivery_id and a later extract, as an agency's
# correction of a closed period arrives. Land leases carry records without a
# tax code (linked by name).
REDELIVERED = [("land", "leases"), ("customs", "declarations")]
# The models built a customs year at a time, on their months' fingerprints (macros/customs.sql).
CUSTOMS_BY_YEAR = ("int_customs_price_deviations", "int_customs_partner_years")
# The models incremental by delivery (docs/linked-warehouse.md, "Incremental builds").
INCREMENTAL_BY_DELIVERY = ["intermediate.int_source_records_unioned", "intermediate.int_delivery_identities_counted",
                           "marts.enterprise_links"]


def _split(full: Path, first: Path) -> list[Path]:
    """Copy `full` to `first` without the held-back periods; return the held-back folders."""
    shutil.copytree(full, first, ignore=shutil.ignore_patterns("_truth", "_replay"))
    held = []
    for folder in sorted(first.glob("*/*/*")):
        agency, dataset, period = folder.relative_to(first).parts
        if period in HELD_BACK_MONTHS or (agency, dataset, period) == ("tax", "related_party", "2024"):
            held.append(full / agency / dataset / period)
            shutil.rmtree(folder)
    return held


@dataclass
class TwoLoads:
    """The warehouse after both loads, and what the first load left, for the tests to compare."""
    db: psycopg.Connection
    conninfo: str
    full: Path
    links_before: dict
    enterprises_before: dict
    projects_before: int
    customs_periods_before: dict
    redelivered_before: dict
    redelivered_customs: str
    before_second_build: int


@pytest.fixture(scope="module")
def loads(pg_server, tmp_path_factory) -> TwoLoads:
    tmp_path = tmp_path_factory.mktemp("linked")
    with fresh_warehouse(pg_server, tmp_path) as warehouse, \
            psycopg.connect(warehouse.conninfo, autocommit=True) as db:
        full = tmp_path / "economy"
        generate(GenerateOptions(out=full, enterprises=120, years=(2023, 2024), seed=5))
        landing = tmp_path / "landing"
        held_back = _split(full, landing)
        assert held_back

        # -- first load ----------------------------------------------------------------
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.failed_checks == [] and outcome.dbt_success
        links_before = dict(((a, d, p, k), e) for a, d, p, k, e in db.execute(
            "select agency, dataset, period, source_key, enterprise_id from marts.enterprise_links"))
        enterprises_before = dict(db.execute("select enterprise_id, tax_code from marts.dim_enterprise").fetchall())
        projects_before = db.execute("select count(*) from marts.dim_project_history").fetchone()[0]
        customs_periods_before = dict(db.execute(
            "select period, min(inputs_fingerprint) from marts.fct_customs_lines group by 1").fetchall())

        redelivered_before = {}
        for agency, dataset in REDELIVERED:
            period, delivery_id = db.execute(
                "select period, delivery_id from audit.deliveries where agency = %s and dataset = %s "
                "and status = 'loaded' and period like '2023-%%' order by period limit 1", (agency, dataset)).fetchone()
            redelivered_before[(agency, dataset, period)] = delivery_id
        redelivered_customs = next(p for (a, _, p) in redelivered_before if a == "customs")

        # -- the rest arrives, with a re-delivery of two closed periods ----------------------
        for folder in held_back:
            shutil.copytree(folder, landing / folder.relative_to(full))
        for agency, dataset, period in redelivered_before:
            edit_manifest(landing / agency / dataset / period, delivery_id=str(uuid.uuid4()),
                          extracted_at=dt.datetime(2025, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))).isoformat())
        before_second_build = transaction_marker(warehouse.conninfo)
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.failed_checks == [] and outcome.dbt_success
        yield TwoLoads(db, warehouse.conninfo, full, links_before, enterprises_before, projects_before,
                       customs_periods_before, redelivered_before, redelivered_customs, before_second_build)


def test_linkage_meets_the_targets_and_never_links_look_alikes(loads):
    db = loads.db
    # Linkage targets of task 7.4 on the whole economy, and no link across look-alikes.
    report = score_links(loads.conninfo, loads.full)
    assert report.overall.precision >= 0.995, format_report(report)
    assert report.overall.recall >= 0.97, format_report(report)
    assert report.no_tax_code.records > 0 and report.no_tax_code.recall >= 0.90, format_report(report)
    assert report.lookalike_links == 0, format_report(report)
    assert report.meets_targets()
    assert report.links_without_truth == 0, "every link is scored: truth names records by their key as delivered"
    # the key as delivered (contracts/warehouse.md): a tax code the loader repaired keeps, in the key, the
    # value the agency wrote, which audit.repairs holds
    repaired_keys = db.execute("""
        select count(*), count(*) filter (where split_part(l.source_key, '|', 1) = r.value_before)
        from marts.enterprise_links as l
        join audit.repairs as r on r.delivery_id = l.delivery_id and r.row_number = l.row_number
         and r.agency = l.agency and r.dataset = l.dataset and r.column_name = 'tax_code'
        where l.agency = 'tax'""").fetchone()
    assert repaired_keys[0] > 0 and repaired_keys[1] == repaired_keys[0], repaired_keys
    methods = {s.label for s in report.by_method}
    assert {"tax_code", "tax_code_repaired", "branch_code", "name_address"} <= methods
    # The look-alikes were at risk: planted of every kind, and some of them are
    # linked by name, where a look-alike could have been taken for them.
    pairs = read_csv(loads.full / "_truth" / "lookalikes.csv")
    assert {p["kind"] for p in pairs} == {"similar_name", "same_stem_other_industry", "tax_code_prefix"}
    lookalike_ids = ["EN" + p[k] for p in pairs for k in ("tax_code_a", "tax_code_b")]
    assert db.execute("""select count(*) from marts.enterprise_links
                         where match_method = 'name_address' and enterprise_id = any(%s)""",
                      (lookalike_ids,)).fetchone()[0] > 0


def test_ids_and_links_survive_new_deliveries_and_a_correction(loads):
    db = loads.db
    # Ids are stable: every enterprise and every link of the first load is unchanged.
    enterprises_after = dict(db.execute("select enterprise_id, tax_code from marts.dim_enterprise").fetchall())
    assert loads.enterprises_before.items() <= enterprises_after.items()
    links_after = dict(((a, d, p, k), e) for a, d, p, k, e in db.execute(
        "select agency, dataset, period, source_key, enterprise_id from marts.enterprise_links"))
    changed = [key for key, enterprise in loads.links_before.items() if key in links_after and links_after[key] != enterprise
               and enterprise is not None]
    assert changed == []
    # ... including the records of the re-delivered periods, now read from the correction.
    for (agency, dataset, period), original in loads.redelivered_before.items():
        rows = db.execute("""select l.delivery_id, d.status from marts.enterprise_links l
                             join audit.deliveries d on d.delivery_id = %s
                             where l.agency = %s and l.dataset = %s and l.period = %s""",
                          (original, agency, dataset, period)).fetchall()
        assert rows and {status for _, status in rows} == {"superseded"}
        assert original not in {delivery for delivery, _ in rows}
        kept = [k for k in loads.links_before if k[:3] == (agency, dataset, period)]
        assert kept and all(links_after[k] == loads.links_before[k] for k in kept)


def test_one_link_and_one_fact_row_per_raw_row_in_force(loads):
    db = loads.db
    # Row-count reconciliation: one link per raw row of the deliveries in force.
    raw = db.execute("""select count(*) from raw_customs.declarations s join audit.deliveries d
                        on d.delivery_id = s._delivery_id and d.status = 'loaded'""").fetchone()[0]
    assert db.execute("select count(*) from marts.enterprise_links where dataset = 'declarations'").fetchone()[0] == raw
    assert db.execute("select count(*) from marts.fct_customs_lines").fetchone()[0] == raw


def test_scd2_history_keeps_a_version_per_change(loads):
    db = loads.db
    # SCD2: the first build saw the register of June 2024, the second of
    # December; every project whose tracked attributes changed has two versions.
    changed_projects = db.execute("""
        with s as (select * from staging.stg_registry__projects)
        select count(*) from s as a join s as b using (project_code)
        where a.snapshot_period = (select max(snapshot_period) from s where snapshot_period < '2024-07')
          and b.snapshot_period = (select max(snapshot_period) from s)
          and (a.registered_capital_usd, a.charter_capital_usd, a.status, a.expires_on, a.last_adjusted_on)
              is distinct from (b.registered_capital_usd, b.charter_capital_usd, b.status, b.expires_on, b.last_adjusted_on)
    """).fetchone()[0]
    history = db.execute("""select count(*), count(*) filter (where is_current), count(distinct project_code)
                            from marts.dim_project_history""").fetchone()
    assert history[1] == history[2] == db.execute("select count(*) from marts.dim_project").fetchone()[0]
    assert history[0] - loads.projects_before >= changed_projects
    if changed_projects:
        assert db.execute("select count(*) from marts.dim_project_history where not is_current").fetchone()[0] > 0


def test_measures_are_null_exactly_where_no_agency_reported(loads):
    db = loads.db
    # NULL, never 0, where no agency reported: an enterprise-year without customs
    # lines has NULL trade, one without employment NULL employees.
    # Each measure is NULL exactly when its agency has no record of the
    # enterprise in the year: a value needs a source row, a source row gives a value.
    sources = {
        "revenue_vnd": "select enterprise_id, fiscal_year as year from marts.fct_tax_returns",
        # within customs' records of the enterprise, a flow it declared none of is 0, not NULL
        "imports_usd": "select enterprise_id, extract(year from registered_on)::int as year "
                       "from marts.fct_customs_lines",
        "exports_usd": "select enterprise_id, extract(year from registered_on)::int as year "
                       "from marts.fct_customs_lines",
        "employees_avg": "select enterprise_id, left(period, 4)::int as year from marts.fct_employment",
        "loans_outstanding_usd": "select enterprise_id, left(snapshot_period, 4)::int as year from marts.fct_loans",
    }
    for measure, source in sources.items():
        mismatched, nulls = db.execute(f"""
            select count(*) filter (where (f.{measure} is null) = (s.enterprise_id is not null)),
                   count(*) filter (where f.{measure} is null)
            from marts.fct_enterprise_year as f
            left join (select distinct enterprise_id, year from ({source}) as x) as s using (enterprise_id, year)
        """).fetchone()
        assert mismatched == 0, f"{measure}: NULL where the agency reported, or a value where it did not"
        if measure in ("imports_usd", "employees_avg", "loans_outstanding_usd"):
            assert nulls > 0, f"{measure}: a generated economy has enterprise-years its agency never reports on"


def test_personal_data_never_reaches_marts_in_clear(loads):
    db = loads.db
    # Personal data never reaches marts in clear.
    passports = {r[0] for r in db.execute("select worker_passport from raw_labour.work_permits")}
    marts_text = db.execute("""select string_agg(column_name, ',') from information_schema.columns
                               where table_schema = 'marts'""").fetchone()[0]
    assert "passport" not in marts_text and "worker_name" not in marts_text and passports


def test_the_contracts_column_rules_are_in_the_database_and_refuse_a_bad_row(loads):
    """Public tables rebuilt whole state not_null and closed value lists as constraints, not data tests
    (docs/linked-warehouse.md): each must reach PostgreSQL, which then refuses what a test would have caught."""
    from pipelines.lib.dbt_project import prepare_manifest

    db = loads.db
    manifest = json.loads(prepare_manifest().read_text())
    nullable = {(s, t, c) for s, t, c in db.execute(
        "select table_schema, table_name, column_name from information_schema.columns where is_nullable = 'YES'")}
    checks = dict(db.execute("select conrelid::regclass::text, count(*) from pg_constraint where contype = 'c' "
                             "group by 1").fetchall())
    missing, stated = [], 0
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"]["materialized"] != "table" \
                or not node["config"].get("contract", {}).get("enforced"):
            continue
        schema, table = node["schema"], node["alias"]
        kinds = [(column, c["type"]) for column, spec in node["columns"].items() for c in spec.get("constraints") or []]
        stated += len(kinds)
        missing += [f"{schema}.{table}.{column} not null" for column, kind in kinds
                    if kind == "not_null" and (schema, table, column) in nullable]
        if checks.get(f"{schema}.{table}", 0) < sum(kind == "check" for _, kind in kinds):
            missing.append(f"{schema}.{table}: {checks.get(f'{schema}.{table}', 0)} check constraints")
    assert stated > 150 and not missing, missing

    flag = "insert into risk.flag_tp01_import_overpricing (flag_id, enterprise_id, period, severity) values (%s, %s, %s, %s)"
    with pytest.raises(psycopg.errors.NotNullViolation, match="enterprise_id"):
        db.execute(flag, ("probe-null", None, "2024", "low"))
    with pytest.raises(psycopg.errors.CheckViolation, match="severity"):
        db.execute(flag, ("probe-check", "EN0000000000", "2024", "urgent"))
    assert db.execute("select count(*) from risk.flag_tp01_import_overpricing where flag_id like 'probe-%'"
                      ).fetchone()[0] == 0


def test_fdi_docs_builds_a_site_with_the_bilingual_docs(loads):
    # `fdi docs`: the site's catalogue read the warehouse, its manifest carries the bilingual docs.
    site = build_docs()
    assert site.index.is_file() and site.static_index.stat().st_size > 0
    catalog = json.loads((site.index.parent / "catalog.json").read_text(encoding="utf-8"))
    assert "enterprise_id" in catalog["nodes"]["model.fdi.enterprise_links"]["columns"]
    manifest = json.loads((site.index.parent / "manifest.json").read_text(encoding="utf-8"))
    assert "Mã định danh doanh nghiệp ổn định" in \
        manifest["nodes"]["model.fdi.dim_enterprise"]["columns"]["enterprise_id"]["description"]
    # Nothing is reported to dbt Labs: the page reads this flag to load its tracker from a CDN,
    # and dbt itself to send each invocation (dbt_project.yml `flags`; the network is closed).
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_incremental_links_wrote_only_new_and_corrected_deliveries_and_equal_a_full_refresh(loads):
    db = loads.db
    # The second build linked the records of the deliveries it had not seen
    # (the held-back months and the two corrections) and kept every other
    # record's row as it was: the rows it wrote are exactly those deliveries'
    # records, plus the records of name groups whose decision changed.
    # The deliveries the second load brought: written to the audit after the marker, still in force.
    new_deliveries = {d for (d,) in db.execute(
        "select delivery_id from audit.deliveries where status = 'loaded' and xmin::text::bigint >= %s",
        (loads.before_second_build,))}
    assert {d for (d,) in db.execute("select delivery_id from audit.deliveries where status = 'superseded'")}
    for model in INCREMENTAL_BY_DELIVERY:
        written = {d for (d,) in db.execute(
            f"select distinct delivery_id from {model} where xmin::text::bigint >= %s", (loads.before_second_build,))}
        assert written and new_deliveries <= written | _deliveries_without_records(db, model), model
        if model != "marts.enterprise_links":
            assert written <= new_deliveries, "only new deliveries' records are read"
        kept = db.execute(f"select count(*) from {model} where xmin::text::bigint < %s",
                          (loads.before_second_build,)).fetchone()[0]
        assert kept > 0, f"{model} was rewritten as a whole"
    # No row of a superseded delivery is left.
    for model in INCREMENTAL_BY_DELIVERY:
        assert db.execute(f"""select count(*) from {model} m join audit.deliveries d using (delivery_id)
                              where d.status <> 'loaded'""").fetchone()[0] == 0
    # ... and each equals a full refresh.
    assert_equals_full_refresh(db, *INCREMENTAL_BY_DELIVERY)


def _deliveries_without_records(db, model: str) -> set[str]:
    """Deliveries in force that have no row in the model (datasets naming no enterprise, empty periods)."""
    return {d for (d,) in db.execute(
        f"select delivery_id from audit.deliveries d where status = 'loaded' "
        f"and not exists (select 1 from {model} m where m.delivery_id = d.delivery_id)")}


def test_a_name_group_whose_decision_changed_is_linked_again_and_nothing_else(loads):
    # The other path of enterprise_links' incremental build: a record keeps its link until the name
    # evidence it was linked on changes. The two loads change no group's decision, so the stored
    # links of one name-linked group are set back as if linked on other evidence (unmatched, score 0):
    # the next build must find the group changed, link its records again (its own delivery is not
    # new) and write nothing else, and the table must equal a full refresh.
    db = loads.db
    group, enterprise, rows = db.execute("""
        select name_group_id, enterprise_id, count(*) from marts.enterprise_links
        where match_method = 'name_address' and dataset <> 'investors'
        group by 1, 2 order by count(*) desc, 1 limit 1""").fetchone()
    db.execute("""update marts.enterprise_links set enterprise_id = null, match_method = 'unmatched', match_score = 0
                  where name_group_id = %s""", (group,))
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "enterprise_links")
    relinked = db.execute("""select name_group_id, enterprise_id, match_method, count(*) from marts.enterprise_links
                             where xmin::text::bigint >= %s and dataset <> 'investors' group by 1, 2, 3""",
                          (marker,)).fetchall()
    assert relinked == [(group, enterprise, "name_address", rows)], relinked
    db.execute("create table public.enterprise_links_relinked as select * from marts.enterprise_links")
    dbt("run", "--select", "enterprise_links", "--full-refresh")
    assert_same_rows(db, "public.enterprise_links_relinked", "marts.enterprise_links")


def test_a_build_tests_the_deliveries_it_brought_and_the_full_pass_tests_every_row(loads):
    db = loads.db
    # A wrong value in a record of an old delivery (one the last build had already tested) ...
    delivery_id, row_number, score = db.execute(
        "select l.delivery_id, l.row_number, l.match_score from marts.enterprise_links l "
        "join audit.deliveries d using (delivery_id) "
        "where d.xmin::text::bigint < %s and l.dataset = 'payments' limit 1", (loads.before_second_build,)).fetchone()
    record = (delivery_id, row_number)
    db.execute("update marts.enterprise_links set match_score = 2 where delivery_id = %s and row_number = %s", record)
    build = ("build", "--select", "enterprise_links", "--exclude-resource-type", "unit_test")
    failed = "FAIL 1 linked_iff_method_enterprise_links"
    try:
        # ... is not read by a build that brings no new delivery: its tests read what it wrote;
        code, out = _dbt_status(*build)
        assert code == 0, out
        # the full pass (the nightly schedule, `fdi run --full-tests`) reads every row and fails on it;
        code, out = _dbt_status(*build, "--vars", '{"fdi_full_tests": true}')
        assert code != 0 and failed in out, out
        # and `dbt test` on its own always reads every row.
        assert _dbt_status("test", "--select", "enterprise_links")[0] != 0
        # Delivered again (a later load time), the record is in the next build's scope and its test fails.
        db.execute("update audit.deliveries set loaded_at = now() where delivery_id = %s", (delivery_id,))
        code, out = _dbt_status(*build)
        assert code != 0 and failed in out, out
    finally:
        db.execute("update marts.enterprise_links set match_score = %s where delivery_id = %s and row_number = %s",
                   (score, *record))
    code, out = _dbt_status(*build)
    assert code == 0, out


def test_a_staging_views_tests_read_the_deliveries_the_build_brought(loads):
    db = loads.db
    # A key delivered twice in an old tax payments delivery (one the last build had already tested) ...
    delivery_id, row_number = db.execute(
        "select s._delivery_id, s._row_number from raw_tax.payments s join audit.deliveries d "
        "on d.delivery_id = s._delivery_id where d.status = 'loaded' and d.xmin::text::bigint < %s limit 1",
        (loads.before_second_build,)).fetchone()
    db.execute("insert into raw_tax.payments select tax_code, period, tax_type, amount_paid_vnd, _delivery_id, "
               "-_row_number from raw_tax.payments where _delivery_id = %s and _row_number = %s",
               (delivery_id, row_number))
    # the view's own tests (cautious: not those of the models that read it too, such as totals it now inflates)
    build = ("build", "--select", "stg_tax__payments", "--indirect-selection", "cautious",
             "--exclude-resource-type", "unit_test")
    try:
        # ... is not read by a build that brings no new delivery; the full pass reads every delivery in
        # force and fails on it; delivered again, the delivery is in the next build's scope.
        _only_the_full_pass_and_a_new_delivery_fail(db, build, "contract_grain_stg_tax__payments_tax__payments",
                                                     delivery_id)
    finally:
        db.execute("delete from raw_tax.payments where _delivery_id = %s and _row_number = %s",
                   (delivery_id, -row_number))
    code, out = _dbt_status(*build)
    assert code == 0, out


def test_the_reconciliation_of_an_incremental_model_counts_the_builds_deliveries_and_the_full_pass_all(loads):
    db = loads.db
    # A link lost from an old delivery (one the last build had already reconciled) ...
    delivery_id, row_number = db.execute(
        "select l.delivery_id, l.row_number from marts.enterprise_links l join audit.deliveries d using (delivery_id) "
        "where d.xmin::text::bigint < %s and l.dataset = 'payments' limit 1", (loads.before_second_build,)).fetchone()
    db.execute("create table public.lost_link as select * from marts.enterprise_links "
               "where delivery_id = %s and row_number = %s", (delivery_id, row_number))
    db.execute("delete from marts.enterprise_links where delivery_id = %s and row_number = %s", (delivery_id, row_number))
    build = ("build", "--select", "enterprise_links", "--exclude-resource-type", "unit_test",
             "--exclude", "tag:full_pass_only")
    try:
        # ... is not counted by a build that brings no new delivery (it reconciles its own deliveries);
        # the full pass counts every delivery in force and names the one short of a row; once the
        # delivery is in a build's scope (loaded again), that build's count fails too.
        _only_the_full_pass_and_a_new_delivery_fail(db, build, "rows_match_raw_in_force_enterprise_links", delivery_id)
    finally:
        db.execute("insert into marts.enterprise_links select * from public.lost_link")
        db.execute("drop table public.lost_link")
    code, out = _dbt_status(*build)
    assert code == 0, out


def test_an_incremental_table_an_earlier_version_made_gets_its_contracts_rules(loads):
    db = loads.db
    # The two incremental public tables as an earlier version made them, before their rules were
    # constraints (dbt writes a contract's constraints only into the DDL of a table it creates) ...
    db.execute("alter table marts.fct_customs_lines alter column period drop not null, "
               "drop constraint fct_customs_lines_flow_check")
    db.execute("alter table marts.enterprise_links alter column match_score drop not null, "
               "drop constraint enterprise_links_match_method_check")
    dbt("run", "--select", "fct_customs_lines", "enterprise_links")
    # ... have them after the next build (their post-hook), and refuse a row that breaks them.
    nullable = {(t, c) for t, c in db.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name in ('fct_customs_lines', 'enterprise_links') and is_nullable = 'YES'")}
    assert ("fct_customs_lines", "period") not in nullable and ("enterprise_links", "match_score") not in nullable
    assert ("enterprise_links", "name_group_id") in nullable  # a column the contract leaves nullable stays so
    with pytest.raises(psycopg.errors.CheckViolation, match="fct_customs_lines_flow_check"):
        db.execute("update marts.fct_customs_lines set flow = 'XX' where ctid = (select min(ctid) from marts.fct_customs_lines)")
    with pytest.raises(psycopg.errors.CheckViolation, match="enterprise_links_match_method_check"):
        db.execute("update marts.enterprise_links set match_method = 'guessed' "
                   "where ctid = (select min(ctid) from marts.enterprise_links)")
    with pytest.raises(psycopg.errors.NotNullViolation, match="period"):
        db.execute("update marts.fct_customs_lines set period = null where ctid = (select min(ctid) from marts.fct_customs_lines)")


def test_an_incremental_table_an_earlier_version_made_loses_a_rule_its_contract_dropped(loads):
    db = loads.db
    # Since 2026-12-07 the related-party marks of a line are NULL when not known (an investor row held in
    # quarantine may name the partner): the contract no longer has them NOT NULL, and a table built since
    # has none.
    nullable = {c for (c,) in db.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'fct_customs_lines' and is_nullable = 'YES'")}
    assert {"partner_is_investor", "is_related_party"} <= nullable
    # A table an earlier version made has such a rule still. Made so on a column the contract leaves
    # nullable and no row has NULL in (no row rewritten: the tests after this one read which rows each
    # build wrote) ...
    counts = db.execute("select " + ", ".join(f"count({c})" for c in sorted(nullable)) + ", count(*) "
                        "from marts.fct_customs_lines").fetchone()
    full = [c for c, n in zip(sorted(nullable), counts) if n == counts[-1]]
    assert full, "no nullable column of the lines without a NULL to make NOT NULL"
    db.execute(f"alter table marts.fct_customs_lines alter column {full[0]} set not null")
    # ... the next build's pre-hook drops it before its insert, which would otherwise fail on a NULL
    dbt("run", "--select", "fct_customs_lines")
    after = {c for (c,) in db.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'fct_customs_lines' and is_nullable = 'YES'")}
    assert after == nullable  # that rule gone, and every rule the contract keeps (period, ...) kept


def _only_the_full_pass_and_a_new_delivery_fail(db, build: tuple[str, ...], test: str, delivery_id: str) -> None:
    """A fault planted in an old delivery: `build` passes `test` (it reads what the build brought), the full
    pass fails it, and so does the build once the delivery is loaded again (a later load time)."""
    code, out = _dbt_status(*build)
    assert code == 0 and f"PASS {test}" in out, out
    code, out = _dbt_status(*build, "--vars", '{"fdi_full_tests": true}')
    assert code != 0 and f"FAIL 1 {test}" in out, out
    db.execute("update audit.deliveries set loaded_at = now() where delivery_id = %s", (delivery_id,))
    code, out = _dbt_status(*build)
    assert code != 0 and f"FAIL 1 {test}" in out, out


def _dbt_status(*args: str) -> tuple[int, str]:
    """dbt's exit status and its output (tests.helpers.dbt asserts success; here failure is an expected
    outcome too)."""
    import os
    import subprocess

    from pipelines.lib.dbt_project import dbt_env, dbt_executable
    from warehouse.server import connect_info
    from warehouse.settings import DBT_PROJECT_DIR, Settings

    settings = Settings.from_env()
    env = {**os.environ, **dbt_env(connect_info(settings), settings)}
    done = subprocess.run([dbt_executable(), *args], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout


def test_customs_aggregates_follow_the_lines_months_and_equal_a_full_refresh(loads):
    db = loads.db
    # The aggregate the whole-history readers use holds the lines' months with the lines' fingerprints ...
    lines = dict(db.execute("select period, min(inputs_fingerprint) from marts.fct_customs_lines group by 1").fetchall())
    months = dict(db.execute(
        "select period, min(inputs_fingerprint) from intermediate.int_customs_partner_months group by 1").fetchall())
    assert months == lines
    # ... the second build rewrote exactly the months the lines' table rewrote ...
    rebuilt = set(customs_rows_written(loads.conninfo, loads.before_second_build)["periods_written"])
    written = customs_rows_written(loads.conninfo, loads.before_second_build, "intermediate.int_customs_partner_months")
    assert rebuilt and set(written["periods_written"]) == rebuilt
    # ... its totals are the lines' ...
    assert db.execute("""
        select (select (count(*), sum(customs_value_vnd), sum(invoice_value_usd)) from marts.fct_customs_lines)
             = (select (sum(lines)::bigint, sum(customs_value_vnd), sum(invoice_value_usd))
                from intermediate.int_customs_partner_months)""").fetchone()[0]
    # ... the models built a year at a time (TP01/TP02's price deviations, the network's trade partners)
    # rebuilt the years of those months (here both: a 2023 month was delivered again), and no other ...
    for model in CUSTOMS_BY_YEAR:
        years = dict(db.execute(f"""
            select fiscal_year, bool_or(xmin::text::bigint >= %s) from intermediate.{model}
            group by 1""", (loads.before_second_build,)).fetchall())
        assert {year for year, rewritten in years.items() if rewritten} == {p[:4] for p in rebuilt}, model
    # ... a build with nothing new rewrites none of them, and keeps their planner statistics (it analyzes
    # only what it wrote, macros/statistics.sql; autovacuum, which would analyze them too, is held off) ...
    models = ("int_customs_partner_months", *CUSTOMS_BY_YEAR)

    def analyzed_since(model: str, since: int) -> bool:
        return db.execute("select max(xmin::text::bigint) >= %s from pg_statistic where starelid = %s::regclass",
                          (since, f"intermediate.{model}")).fetchone()[0]

    for model in models:
        assert analyzed_since(model, loads.before_second_build), model
        db.execute(f"alter table intermediate.{model} set (autovacuum_enabled = false)")
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", *models)
    for model in models:
        assert db.execute(f"select count(*) from intermediate.{model} where xmin::text::bigint >= %s",
                          (marker,)).fetchone()[0] == 0, model
        assert not analyzed_since(model, marker), model
    # ... and each equals a full refresh exactly.
    assert_equals_full_refresh(db, *(f"intermediate.{model}" for model in models))


def test_the_trade_partners_are_rebuilt_whole_when_their_inputs_change_and_kept_otherwise(loads):
    db = loads.db

    def rewritten_since(marker: int) -> int:
        return db.execute("select count(*) from intermediate.int_trade_partners_combined "
                          "where xmin::text::bigint >= %s", (marker,)).fetchone()[0]

    rows = db.execute("select count(*) from intermediate.int_trade_partners_combined").fetchone()[0]
    # The second build's new customs months changed their years: every row was rebuilt ...
    assert rows and rewritten_since(loads.before_second_build) == rows
    # ... a build with nothing new keeps the table as it is ...
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "int_trade_partners_combined")
    assert rewritten_since(marker) == 0
    # ... a partner whose name becomes an enterprise's (the names it reads, changed in place) rebuilds it
    # whole, that partner now the enterprise, and it equals a full refresh.
    party, enterprise = db.execute("""
        select t.related_party, (select min(enterprise_id) from marts.dim_enterprise)
        from intermediate.int_trade_partners_combined t
        where t.related_enterprise_id is null order by t.related_party limit 1""").fetchone()
    try:
        db.execute("insert into intermediate.int_enterprise_party_names (party, enterprise_id) values (%s, %s)",
                   (party, enterprise))
        marker = transaction_marker(loads.conninfo)
        dbt("run", "--select", "int_trade_partners_combined")
        assert rewritten_since(marker) == rows
        assert {e for (e,) in db.execute("select distinct related_enterprise_id from "
                                         "intermediate.int_trade_partners_combined where related_party = %s",
                                         (party,))} == {enterprise}
        assert_equals_full_refresh(db, "intermediate.int_trade_partners_combined")
    finally:
        dbt("run", "--select", "int_enterprise_party_names", "int_trade_partners_combined")


def test_project_reports_rebuild_the_periods_whose_inputs_changed_and_equal_a_full_refresh(loads):
    db = loads.db

    def rewritten_since(marker: int) -> set[str]:
        return {p for (p,) in db.execute("select distinct report_period from fis.project_reports "
                                         "where xmin::text::bigint >= %s", (marker,))}

    # The second build (six new months, a 2023 month of land and customs delivered again) rebuilt the
    # periods those reach, 2023's too (the land snapshot carries forward) ...
    assert {"2023-Q1", "2023", "2024-Q3", "2024-Q4", "2024"} <= rewritten_since(loads.before_second_build)
    # ... a build with nothing new rewrites nothing ...
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "project_reports")
    assert rewritten_since(marker) == set()
    # ... and a record linked by name, linked again with no new delivery (entity resolution changed its
    # mind), rewrites the periods that read its month: its quarter and its year.
    with _a_may_2024_record_linked_again_by_name(db):
        marker = transaction_marker(loads.conninfo)
        dbt("run", "--select", "project_reports")
        assert rewritten_since(marker) == {"2024-Q2", "2024"}
        # Built a period at a time, the table equals a full refresh.
        assert_equals_full_refresh(db, "fis.project_reports")
    dbt("run", "--select", "project_reports")


def test_the_networks_years_rebuild_the_years_whose_inputs_changed_and_equal_a_full_refresh(loads):
    db = loads.db

    def rewritten_since(marker: int) -> set[str]:
        return {y for (y,) in db.execute("select distinct year from intermediate.int_relationship_years "
                                         "where xmin::text::bigint >= %s", (marker,))}

    # The second build (six new months of 2024, a 2023 month of land delivered again) rebuilt both years ...
    assert rewritten_since(loads.before_second_build) == {"2023", "2024"}
    # ... a build with nothing new rewrites nothing ...
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "int_relationship_years")
    assert rewritten_since(marker) == set()
    # ... a record linked by name, linked again with no new delivery, rewrites its year and no other ...
    with _a_may_2024_record_linked_again_by_name(db):
        marker = transaction_marker(loads.conninfo)
        dbt("run", "--select", "int_relationship_years")
        assert rewritten_since(marker) == {"2024"}
        # ... and built a year at a time, the table equals a full refresh.
        assert_equals_full_refresh(db, "intermediate.int_relationship_years")
    dbt("run", "--select", "int_relationship_years")


@contextmanager
def _a_may_2024_record_linked_again_by_name(db) -> Iterator[None]:
    """A labour record of May 2024 linked by name and address, linked to another enterprise with no new
    delivery (entity resolution changed its mind) while the block runs; its own link is put back after."""
    delivery_id, row_number, linked_to = db.execute("""
        select l.delivery_id, l.row_number, l.enterprise_id from marts.enterprise_links l
        where l.dataset = 'employment' and l.period = '2024-05' and l.match_method = 'name_address'
        order by l.row_number limit 1""").fetchone()
    other = db.execute("select min(enterprise_id) from marts.dim_project where enterprise_id <> %s",
                       (linked_to,)).fetchone()[0]
    relink = "update marts.enterprise_links set enterprise_id = %s where delivery_id = %s and row_number = %s"
    db.execute(relink, (other, delivery_id, row_number))
    try:
        yield
    finally:
        db.execute(relink, (linked_to, delivery_id, row_number))


def test_incremental_name_pairs_compare_only_new_pairs_and_equal_a_full_refresh(loads):
    db = loads.db
    # Incremental name matching: the second build compared only the pairs the
    # new deliveries brought, and the compared pairs (those of groups gone
    # with the corrections deleted) and the candidates equal a full refresh.
    pairs_total, pairs_written = db.execute(
        "select count(*), count(*) filter (where xmin::text::bigint >= %s) from intermediate.int_name_pairs_compared",
        (loads.before_second_build,)).fetchone()
    assert 0 < pairs_written < pairs_total
    # The candidates re-weighed only the groups whose pairs or identities changed, by their fingerprint.
    groups_total, groups_written = db.execute("""
        select count(distinct name_group_id), count(distinct name_group_id) filter (where xmin::text::bigint >= %s)
        from intermediate.int_name_candidates_scored""", (loads.before_second_build,)).fetchone()
    assert 0 < groups_written < groups_total
    # A build with nothing new re-weighs nothing.
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "int_name_candidates_scored")
    assert db.execute("select count(*) from intermediate.int_name_candidates_scored where xmin::text::bigint >= %s",
                      (marker,)).fetchone()[0] == 0
    # A group that has gone (a correction renamed its records) takes its pairs and candidates with it; an
    # identity whose enterprise changed (here: shown by one more enterprise) re-weighs its groups.
    gone = db.execute("select name_group_id from intermediate.int_name_candidates_scored limit 1").fetchone()[0]
    db.execute("delete from intermediate.int_unlinked_names_grouped where name_group_id = %s", (gone,))
    shared = db.execute("""select identity_key, enterprise_id from intermediate.int_enterprise_names_collected
                           where identity_key in (select identity_key from intermediate.int_name_pairs_compared
                                                  where name_group_id <> %s)
                           limit 1""", (gone,)).fetchone()
    db.execute("""insert into intermediate.int_enterprise_names_collected
                  select 'EN0299999999', identity_key, '0299999999', name_normalised, legal_form, name_suffix,
                         address_normalised, area_key, industrial_zone_code, name_block, records
                  from intermediate.int_enterprise_names_collected where identity_key = %s and enterprise_id = %s""",
               shared)
    # An identity that has gone (its enterprise's names corrected) takes its pairs with it, and its groups
    # are re-weighed on the pairs they have left.
    gone_identity = db.execute("""select identity_key from intermediate.int_name_pairs_compared
                                  where identity_key <> %s and name_group_id <> %s limit 1""",
                               (shared[0], gone)).fetchone()[0]
    groups_of_gone_identity = {g for (g,) in db.execute(
        "select distinct name_group_id from intermediate.int_name_pairs_compared where identity_key = %s",
        (gone_identity,))}
    db.execute("delete from intermediate.int_enterprise_names_collected where identity_key = %s", (gone_identity,))
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", "int_name_pairs_compared", "int_name_candidates_scored")
    for model in ("int_name_pairs_compared", "int_name_candidates_scored"):
        assert db.execute(f"select count(*) from intermediate.{model} where name_group_id = %s",
                          (gone,)).fetchone()[0] == 0, model
    assert db.execute("select count(*) from intermediate.int_name_pairs_compared where identity_key = %s",
                      (gone_identity,)).fetchone()[0] == 0
    reweighed = {g for (g,) in db.execute(
        "select distinct name_group_id from intermediate.int_name_candidates_scored where xmin::text::bigint >= %s",
        (marker,))}
    blocked_with = {g for (g,) in db.execute(
        "select distinct name_group_id from intermediate.int_name_pairs_compared where identity_key = %s",
        (shared[0],))}
    left_with_pairs = {g for (g,) in db.execute(
        "select distinct name_group_id from intermediate.int_name_pairs_compared where name_group_id = any(%s)",
        (list(groups_of_gone_identity),))}
    assert groups_of_gone_identity - {gone} and reweighed == blocked_with | (left_with_pairs - {gone})
    for model in ("int_name_pairs_compared", "int_name_candidates_scored"):
        db.execute(f"create table public.{model} as select * from intermediate.{model}")
    dbt("run", "--select", "int_name_pairs_compared", "int_name_candidates_scored", "--full-refresh")
    for model in ("int_name_pairs_compared", "int_name_candidates_scored"):
        assert_same_rows(db, f"public.{model}", f"intermediate.{model}")


def test_report_formats_every_slice_and_says_whether_targets_are_met():
    report = LinkageReport(overall=Score("all", 1000, 990, 960), by_agency=[Score("land", 10, 9, 9)],
                           by_method=[Score("name_address", 9, 9, 9)], no_tax_code=Score("no tax code", 10, 9, 9),
                           lookalike_links=0)
    text = format_report(report)
    assert "96.00%" in text and "land" in text and "name_address" in text and "NOT met" in text
    assert not report.meets_targets()


def test_incremental_customs_wrote_only_changed_months_and_equals_a_full_refresh(loads):
    db = loads.db
    # Incremental customs: the new months were added, the months of 2024 rebuilt
    # for the late related-party disclosure, 2023 left alone ...
    customs_periods_after = dict(db.execute(
        "select period, min(inputs_fingerprint) from marts.fct_customs_lines group by 1").fetchall())
    assert set(HELD_BACK_MONTHS) & set(customs_periods_after)
    for period, fingerprint in loads.customs_periods_before.items():
        if period.startswith("2023") and period != loads.redelivered_customs:
            assert customs_periods_after[period] == fingerprint
        else:
            assert customs_periods_after[period] != fingerprint
    # ... and the second build wrote exactly those months' rows, read from the rows' xmin.
    written = customs_rows_written(loads.conninfo, loads.before_second_build)
    rebuilt = {p for p in customs_periods_after if p.startswith("2024") or p == loads.redelivered_customs}
    assert set(written["periods_written"]) == rebuilt
    assert all(written["periods_written"][p] == written["rows_by_period"][p] for p in rebuilt)
    # ... and the table equals a full refresh exactly.
    assert_equals_full_refresh(db, "marts.fct_customs_lines", command="build")
    assert db.execute("select count(*) from marts.fct_customs_lines where is_related_party").fetchone()[0] > 0


def test_a_correction_with_nothing_to_report_empties_its_month_everywhere(loads):
    # Last: it changes the warehouse. The agency corrects a customs month to "nothing to report" (0 rows): the
    # month's rows leave the lines, their per-partner months and the links, though no new row of the month
    # arrives to replace them (delete+insert by period alone would keep them), and each equals a full refresh.
    db = loads.db
    landing = loads.full.parent / "landing"
    period = db.execute("""select period from marts.fct_customs_lines where period like '2024-%%'
                           group by 1 order by count(*) desc limit 1""").fetchone()[0]
    empty = empty_delivery(landing, "customs", "declarations", period,
                           extracted_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    outcome = run_pipeline(landing, progress=lambda _: None)
    assert outcome.failed_checks == [] and outcome.dbt_success
    assert db.execute("select status, rows_loaded from audit.deliveries where delivery_id = %s",
                      (empty,)).fetchone() == ("loaded", 0)
    for table in ("marts.fct_customs_lines", "intermediate.int_customs_partner_months", "marts.enterprise_links"):
        extra = " and agency = 'customs'" if table == "marts.enterprise_links" else ""
        assert db.execute(f"select count(*) from {table} where period = %s{extra}", (period,)).fetchone()[0] == 0, table
    models = ("fct_customs_lines", "int_customs_partner_months", *CUSTOMS_BY_YEAR)
    for model in models:
        schema = "marts" if model.startswith("fct") else "intermediate"
        db.execute(f"create table public.{model}_after_empty as select * from {schema}.{model}")
    dbt("run", "--select", *models, "--full-refresh")
    for model in models:
        schema = "marts" if model.startswith("fct") else "intermediate"
        assert_same_rows(db, f"public.{model}_after_empty", f"{schema}.{model}")


def test_names_and_addresses_are_normalised_once_and_equal_a_full_refresh(loads):
    db = loads.db
    caches = {"int_names_normalised": "name_key", "int_addresses_normalised": "place_key"}
    def written_since(model: str, marker: int) -> int:
        return db.execute(f"select count(*) from intermediate.{model} where xmin::text::bigint >= %s",
                          (marker,)).fetchone()[0]

    # The second build normalised only the strings its deliveries brought (new names; this economy's
    # later months bring no new address), never all of them again ...
    for model in caches:
        total = db.execute(f"select count(*) from intermediate.{model}").fetchone()[0]
        assert written_since(model, loads.before_second_build) < total, model
    assert written_since("int_names_normalised", loads.before_second_build) > 0
    # ... a build with nothing new writes nothing, and one missing string exactly that string ...
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", *caches)
    assert [written_since(model, marker) for model in caches] == [0, 0]
    missing = {model: db.execute(f"delete from intermediate.{model} where ctid = (select min(ctid) "
                                 f"from intermediate.{model}) returning {key}").fetchone()[0]
               for model, key in caches.items()}
    marker = transaction_marker(loads.conninfo)
    dbt("run", "--select", *caches)
    for model, key in caches.items():
        assert [k for (k,) in db.execute(f"select {key} from intermediate.{model} where xmin::text::bigint >= %s",
                                         (marker,))] == [missing[model]], model
    # ... a string no record shows any more (its delivery corrected away) is deleted ...
    db.execute("""insert into intermediate.int_names_normalised (name_key, name, name_normalised, legal_form, name_suffix)
                  values (md5('Cty TNHH Không Còn Ai'), 'Cty TNHH Không Còn Ai', 'khong con ai', 'limited', '')""")
    db.execute("""insert into intermediate.int_addresses_normalised
                  (place_key, address, admin_area, address_normalised, area_key)
                  values (md5(row('Số 1 Ngõ Cụt, Hải Phòng'::text, null::text)::text), 'Số 1 Ngõ Cụt, Hải Phòng', null,
                          'so 1 ngo cut hai phong', null)""")
    dbt("run", "--select", *caches)
    assert db.execute("select count(*) from intermediate.int_names_normalised "
                      "where name = 'Cty TNHH Không Còn Ai'").fetchone()[0] == 0
    assert db.execute("select count(*) from intermediate.int_addresses_normalised "
                      "where address = 'Số 1 Ngõ Cụt, Hải Phòng'").fetchone()[0] == 0
    # ... and both, and the identities and groups read from them, equal a full refresh.
    readers = ["int_enterprise_names_collected", "int_unlinked_names_grouped"]
    for model in [*caches, *readers]:
        db.execute(f"create table public.{model} as select * from intermediate.{model}")
    dbt("run", "--select", *caches, *readers, "--full-refresh")
    for model in [*caches, *readers]:
        assert_same_rows(db, f"public.{model}", f"intermediate.{model}")


def test_rates_delivered_again_rebuild_the_customs_months_they_convert_and_equal_a_full_refresh(loads):
    db = loads.db
    # The State Bank rates of 2024-05 delivered again (a correction, USD 1 % higher), as the loader
    # records one: a new delivery in force, the earlier one superseded ...
    old_id = db.execute("select delivery_id from audit.deliveries where agency = 'fx' and dataset = 'central_rates' "
                        "and period = '2024-05' and status = 'loaded'").fetchone()[0]
    new_id = str(uuid.uuid4())
    db.execute("""insert into audit.deliveries
                  select (jsonb_populate_record(null::audit.deliveries, to_jsonb(d)
                          || jsonb_build_object('delivery_id', %s::text, 'loaded_at', now()))).*
                  from audit.deliveries as d where delivery_id = %s""", (new_id, old_id))
    db.execute("update audit.deliveries set status = 'superseded' where delivery_id = %s", (old_id,))
    db.execute("""insert into raw_fx.central_rates (rate_date, currency, vnd_per_unit, _delivery_id, _row_number)
                  select rate_date, currency, case when currency = 'USD' then vnd_per_unit * 1.01 else vnd_per_unit end,
                         %s, _row_number from raw_fx.central_rates where _delivery_id = %s""", (new_id, old_id))
    # the daily rates are a table: rebuilt, it takes the views over it along (dbt drops the old one with
    # cascade), so those are built again too
    rates_and_lines = ("base_fx__central_rates_daily", "base_fx__central_rates_daily+,config.materialized:view",
                       "fct_customs_lines")
    try:
        # ... rebuilds the customs months whose lines those rates convert: May, and every month after it
        # (a day takes the latest rate published on or before it) ...
        # (a month an earlier test emptied, "nothing to report", has no lines to convert)
        with_lines = {p for (p,) in db.execute("select distinct period from marts.fct_customs_lines "
                                               "where period between '2024-05' and '2024-12'")}
        assert len(with_lines) >= 7, with_lines
        marker = transaction_marker(loads.conninfo)
        dbt("run", "--select", *rates_and_lines)
        assert set(customs_rows_written(loads.conninfo, marker)["periods_written"]) == with_lines
        # ... and the lines equal a full refresh.
        assert_equals_full_refresh(db, "marts.fct_customs_lines")
    finally:
        db.execute("delete from raw_fx.central_rates where _delivery_id = %s", (new_id,))
        db.execute("delete from audit.deliveries where delivery_id = %s", (new_id,))
        db.execute("update audit.deliveries set status = 'loaded' where delivery_id = %s", (old_id,))
    dbt("run", "--select", *rates_and_lines)
