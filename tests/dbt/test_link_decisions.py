"""A person decides what entity resolution left to them (`fdi links`, `fdi link`; linkage.decisions), and the
next build links the records of the group as decided, equal to a full refresh; the decision outlives any rebuild.

The economy is built once for the module; then one month of work permits arrives with an employer written without
a tax code under a name two enterprises both show with their codes (the second under the first's name, as a
renamed or sister company would), so the rules cannot tell them apart and the group waits for a person.
"""
from __future__ import annotations

import csv
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from apps.linkage import LinkageError, pending_groups, record_link_decision
from pipelines.cli import main
from pipelines.run import run_pipeline
from tests.helpers import assert_equals_full_refresh, built_economy, dbt, write_delivery

pytestmark = pytest.mark.e2e

PERIOD = "2025-01"
# the tables a decision changes, the incremental ones first, and the queue
DECIDED_TABLES = ("intermediate.int_name_candidates_scored", "marts.enterprise_links",
                  "marts.enterprise_link_candidates")


def _links_of(pg, delivery_id: str) -> dict[int, tuple]:
    return {row: (enterprise, method) for row, enterprise, method in pg.execute(
        "select row_number, enterprise_id, match_method from marts.enterprise_links where delivery_id = %s",
        (delivery_id,))}


@pytest.fixture(scope="module")
def queue(pg_server, tmp_path_factory):
    """The built warehouse with one group in the queue: (pg, the two enterprises, the work permits' delivery)."""
    with built_economy(pg_server, tmp_path_factory.mktemp("link_decisions"), enterprises=60, years=(2023, 2024),
                       seed=11) as (_conn, pg, landing):
        (first, name), (second, _) = pg.execute(
            "select enterprise_id, name_vi from marts.dim_enterprise where name_vi is not null "
            "order by enterprise_id limit 2").fetchall()
        template = next(csv.DictReader(next((landing / "labour" / "work_permits").glob("*/*.csv")).open()))
        rows = [template | {"permit_no": f"WP-DECIDE-{n}", "tax_code": code, "employer_name": name,
                            "issued_on": "2025-01-15", "expires_on": "2027-01-14", "status": "issued"}
                for n, code in enumerate((first[2:], second[2:], ""))]
        delivery_id = f"work-permits-{uuid.uuid4().hex[:8]}"
        write_delivery(landing, "labour", "work_permits", PERIOD, rows, delivery_id)
        outcome = run_pipeline(landing, progress=lambda _: None)
        assert outcome.failed_checks == [] and outcome.dbt_success
        yield pg, first, second, delivery_id, landing


def test_a_name_two_enterprises_show_waits_for_a_person(queue):
    pg, first, second, delivery_id, _ = queue
    assert _links_of(pg, delivery_id) == {1: (first, "tax_code"), 2: (second, "tax_code"), 3: (None, "unmatched")}
    groups = pending_groups(pg)
    waiting = [g for g in groups if {c["candidate_enterprise_id"] for c in g["candidates"]} >= {first, second}]
    assert len(waiting) == 1 and waiting[0]["decision"] == "pending", groups
    # the summary an engineer reads after each run says the queue is waiting, and where
    said = CliRunner().invoke(main, ["summary"])
    assert said.exit_code == 0 and f"{len(groups)} name group(s)" in said.output and "`fdi links`" in said.output


def test_a_decision_links_the_group_and_equals_a_full_refresh(queue):
    pg, first, second, delivery_id, landing = queue
    group = next(g for g in pending_groups(pg) if {c["candidate_enterprise_id"] for c in g["candidates"]} >= {first, second})
    with pytest.raises(LinkageError, match="is not a candidate"):
        record_link_decision(pg, group["name_group_id"], "EN0100000000", "Trần Thị B")
    # by the command line, as an engineer would, with the tax code rather than the id
    done = CliRunner().invoke(main, ["link", group["name_group_id"], "--enterprise", second[2:],
                                    "--reviewer", "Trần Thị B", "--note", "the permit's employer is the sister"])
    assert done.exit_code == 0, done.output
    assert "the next build links its records" in done.output
    stored = pg.execute("select enterprise_id, reviewer, decided_by, delivered_name, candidate_score "
                        "from linkage.decisions where name_group_id = %s", (group["name_group_id"],)).fetchall()
    assert len(stored) == 1 and stored[0][:2] == (second, "Trần Thị B")
    assert stored[0][2] and stored[0][3] and stored[0][4] == 1  # the server's login, the queue's name, the score

    outcome = run_pipeline(landing, progress=lambda _: None)
    assert outcome.failed_checks == [] and outcome.dbt_success
    assert _links_of(pg, delivery_id)[3] == (second, "name_address")
    assert pg.execute("select distinct decision, decided_enterprise_id from marts.enterprise_link_candidates "
                      "where name_group_id = %s", (group["name_group_id"],)).fetchall() == [("linked", second)]
    assert group["name_group_id"] not in {g["name_group_id"] for g in pending_groups(pg)}
    if not pending_groups(pg):
        assert "name group(s)" not in CliRunner().invoke(main, ["summary"]).output
    assert_equals_full_refresh(pg, *DECIDED_TABLES)


def test_the_latest_decision_is_in_force_and_outlives_a_full_refresh(queue):
    pg, first, second, delivery_id, landing = queue
    group = next(g["name_group_id"] for g in pending_groups(pg, "all")
                 if {c["candidate_enterprise_id"] for c in g["candidates"]} >= {first, second})
    record_link_decision(pg, group, None, "Lê Văn C", "neither: the permit names a third firm")
    dbt("build", "--full-refresh")
    assert pg.execute("select count(*) from linkage.decisions where name_group_id = %s", (group,)).fetchone()[0] == 2
    assert _links_of(pg, delivery_id)[3] == (None, "unmatched")
    assert pg.execute("select distinct decision from marts.enterprise_link_candidates where name_group_id = %s",
                      (group,)).fetchall() == [("none",)]
    # decided again: the first enterprise; the ordinary build after the full refresh re-links the group
    record_link_decision(pg, group, first, "Lê Văn C")
    outcome = run_pipeline(landing, progress=lambda _: None)
    assert outcome.failed_checks == [] and outcome.dbt_success
    assert _links_of(pg, delivery_id)[3] == (first, "name_address")


def test_the_decision_log_is_append_only(queue):
    pg = queue[0]
    for statement in ("update linkage.decisions set enterprise_id = null", "delete from linkage.decisions",
                      "truncate linkage.decisions"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            pg.execute(statement)  # even the superuser the embedded server runs as
