"""The dbt bench's report says what the floor under a month's build is, and stays readable for reports saved
before the vacuum and nothing-new steps existed (they print no made-up 0)."""
import json

from devtools.bench import format_dbt_report


def _build(seconds: float) -> dict:
    return {"seconds": seconds, "success": True, "load_avg_1m": [1.0, 2.0], "dbt_elapsed_s": seconds - 10,
            "nodes": 415, "slowest": [{"node": "enterprise_relationships.sql", "seconds": 10.0}],
            "node_seconds_by_folder": {"marts": 20.0, "risk": 10.0}}


def _report(**extra) -> dict:
    return {"enterprises": 5000, "years": [2023, 2024], "raw_rows": 3_690_998, "new_month": "2024-12",
            "generate_s": 35, "ingest_s": 71, "ingest_new_month_s": 10,
            "full_build": _build(250.0), "incremental_build": _build(80.0), "incremental_vs_full": 0.32,
            "customs_incremental": {"rows_written": 1, "rows_total": 2, "periods_written": ["2024-12"],
                                    "new_month_rows": 1, "only_new_month": True},
            **extra}


def test_the_floor_and_the_month_above_it_are_reported():
    text = format_dbt_report(_report(vacuum_s=7.2, nothing_new_build=_build(55.0)))
    assert "vacuum after the full build 7 s" in text
    assert "nothing new / full: 22%; the month's data costs 25.0 s above the floor (10% of the full build)" in text
    assert "node time of the nothing new build by folder" in text


def test_an_older_report_prints_without_the_steps_it_did_not_have():
    text = format_dbt_report(_report())
    assert "vacuum" not in text and "nothing new" not in text and "above the floor" not in text
    assert "incremental / full: 32%" in text


def _at(second: float) -> str:
    return f"2026-12-04T10:00:{second:06.3f}Z"


def _result(uid: str, thread: str, start: float, end: float) -> dict:
    return {"unique_id": uid, "thread_id": thread, "execution_time": end - start,
            "timing": [{"name": "compile", "started_at": _at(start), "completed_at": _at(start + 0.01)},
                       {"name": "execute", "started_at": _at(start + 0.01), "completed_at": _at(end)}]}


def test_the_longest_chain_follows_the_last_upstream_to_end_and_idle_threads_are_counted(tmp_path):
    from devtools.bench import _longest_chain, _thread_idle_seconds

    # a -> b -> d (b's test runs before d, as in dbt build); c beside b, ends earlier; d waits 1 s for a thread
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.fdi.a": {"resource_type": "model", "depends_on": {"nodes": []}},
        "model.fdi.b": {"resource_type": "model", "depends_on": {"nodes": ["model.fdi.a"]}},
        "model.fdi.c": {"resource_type": "model", "depends_on": {"nodes": ["model.fdi.a"]}},
        "test.fdi.unique_b": {"resource_type": "test", "depends_on": {"nodes": ["model.fdi.b"]}},
        "model.fdi.d": {"resource_type": "model", "depends_on": {"nodes": ["model.fdi.b", "model.fdi.c"]}},
    }}))
    results = [_result("operation.fdi.fdi-on-run-start-0", "main", 0.0, 1.0),
               _result("model.fdi.a", "Thread-1", 1.0, 3.0),
               _result("model.fdi.b", "Thread-1", 3.0, 8.0),
               _result("model.fdi.c", "Thread-2", 3.0, 4.0),
               _result("test.fdi.unique_b", "Thread-1", 8.0, 8.5),
               _result("model.fdi.d", "Thread-2", 9.5, 10.0)]
    chain = _longest_chain(results, manifest)
    assert [n["node"] for n in chain] == ["a", "b", "unique_b", "d"]
    assert chain[-1]["waited_s"] == 1.0 and chain[1]["seconds"] == 5.0
    # two threads over 1 s .. 10 s (18 s) less 2 + 5 + 1 + 0.5 + 0.5 s of work
    assert _thread_idle_seconds(results) == 9.0


def test_the_report_names_the_longest_chain_when_it_was_measured():
    chain = [{"node": "enterprise_links.sql", "seconds": 4.6, "waited_s": 0.0},
             {"node": "unique_x", "seconds": 0.1, "waited_s": 1.5},
             {"node": "enterprise_relationships.sql", "seconds": 7.3, "waited_s": 0.0}]
    month = {**_build(80.0), "longest_chain": chain, "thread_idle_s": 14.7}
    text = format_dbt_report(_report(incremental_build=month))
    assert ("longest chain of the incremental build: 3 nodes, 12.0 s of work and 1.5 s waiting for a thread, "
            "of 70.0 s; dbt's threads idle 14.7 s; its nodes of half a second or more (s): "
            "enterprise_links 4.6 > enterprise_relationships 7.3") in text
    assert "longest chain of the full build" not in text


def test_the_month_is_split_by_what_each_node_pays_for():
    from devtools.bench import month_by_what_it_pays

    full = {"model.fdi.fct_customs_lines": 31.3, "model.fdi.int_customs_price_deviations": 8.0,
            "model.fdi.flag_tp01": 0.6, "model.fdi.stg_tax__payments": 0.1, "test.fdi.unique_x": 0.5,
            "operation.fdi.fdi-on-run-start-0": 8.4}
    month = {"model.fdi.fct_customs_lines": 3.1, "model.fdi.int_customs_price_deviations": 5.1,
             "model.fdi.flag_tp01": 0.7, "model.fdi.stg_tax__payments": 0.1, "test.fdi.unique_x": 0.1,
             "operation.fdi.fdi-on-run-start-0": 2.4}
    floor = {"model.fdi.fct_customs_lines": 0.4, "model.fdi.int_customs_price_deviations": 0.1,
             "model.fdi.flag_tp01": 0.6, "model.fdi.stg_tax__payments": 0.1, "test.fdi.unique_x": 0.05,
             "operation.fdi.fdi-on-run-start-0": 0.03}
    rows = {r["kind"]: r for r in month_by_what_it_pays(full, month, floor)}
    # the rule costs what it costs with nothing new (0.1 s more): the floor, however its full build compares
    assert rows["floor"]["nodes"] == 2 and rows["floor"]["month_s"] == 0.8
    assert rows["month"]["models"] == ["fct_customs_lines"] and rows["month"]["full_s"] == 31.3
    assert rows["year"]["models"] == ["int_customs_price_deviations"] and rows["year"]["month_s"] == 5.1
    assert rows["tests"]["nodes"] == 1 and rows["other"]["month_s"] == 2.4

    runs = {name: {**_build(seconds), "node_seconds": nodes}
            for name, seconds, nodes in [("full_build", 250.0, full), ("incremental_build", 80.0, month),
                                         ("nothing_new_build", 55.0, floor)]}
    text = format_dbt_report(_report(**runs))
    assert ("  models whose month is more (a year or the whole table rebuilt), 1: 8.0 / 5.1 (64% of full) / 0.1: "
            "int_customs_price_deviations") in text
    # a report saved before each node's time was kept prints without the split
    assert "by what it pays for" not in format_dbt_report(_report(nothing_new_build=_build(55.0)))


def _event(name: str, thread: str, **data) -> str:
    return json.dumps({"info": {"name": name, "thread": thread}, "data": data})


def test_dbt_s_own_work_outside_the_sql_is_read_from_its_log_node_by_node(tmp_path):
    """A node's statements are those sent on its thread while it runs: the rest of its time is dbt's own."""
    from devtools.bench import outside_sql, sql_seconds_by_node

    log = tmp_path / "dbt.log"
    model, test = "model.fdi.flags", "test.fdi.unique_flags_flag_id"
    log.write_text("\n".join([
        _event("SQLQueryStatus", "ThreadPoolExecutor-0_0", elapsed=5.0),  # the cache, before any node
        _event("NodeStart", "Thread-1", node_info={"unique_id": model}),
        _event("NodeStart", "Thread-2", node_info={"unique_id": test}),
        _event("SQLQueryStatus", "Thread-1", elapsed=0.25),
        _event("SQLQueryStatus", "Thread-2", elapsed=0.01),
        _event("SQLQueryStatus", "Thread-1", elapsed=0.5),
        "not json: a line dbt wrote as text",
        _event("NodeFinished", "Thread-1", node_info={"unique_id": model}),
        _event("SQLQueryStatus", "Thread-1", elapsed=9.0),  # after its node: nobody's
        _event("NodeFinished", "Thread-2", node_info={"unique_id": test}),
    ]) + "\n")
    sql = sql_seconds_by_node(log)
    assert sql == {model: 0.75, test: 0.01}
    out = outside_sql([{"unique_id": model, "execution_time": 1.0}, {"unique_id": test, "execution_time": 0.05}],
                      sql)
    assert out == {"node_s": 1.05, "sql_s": 0.76, "models": 1, "models_outside_sql_s": 0.25, "tests": 1,
                   "tests_outside_sql_s": 0.04}
    assert sql_seconds_by_node(tmp_path / "absent.log") == {} and outside_sql([], {}) is None
    text = format_dbt_report(_report(incremental_build={**_build(80.0), "outside_sql": out}))
    assert ("outside SQL in the incremental build (dbt's own work around the statements): 0.3 s of 1.1 s of node "
            "time; 0.25 s a model (1), 0.04 s a data test (1)") in text
    assert "outside SQL in the full build" not in text


def test_the_sql_s_time_is_read_across_the_parts_dbt_rotated_its_log_into(tmp_path):
    """dbt rotates its log at 10 MB (dbt.log.2 older than dbt.log.1, older than dbt.log): a full build's
    statements are in every part, and a node started in one part may send its statements in the next."""
    from devtools.bench import sql_seconds_by_node

    model, test = "model.fdi.flags", "test.fdi.unique_flags_flag_id"
    parts = {
        "dbt.log.2": [_event("NodeStart", "Thread-1", node_info={"unique_id": model}),
                      _event("SQLQueryStatus", "Thread-1", elapsed=1.0)],
        "dbt.log.1": [_event("SQLQueryStatus", "Thread-1", elapsed=2.0),
                      _event("NodeFinished", "Thread-1", node_info={"unique_id": model}),
                      _event("NodeStart", "Thread-1", node_info={"unique_id": test})],
        "dbt.log": [_event("SQLQueryStatus", "Thread-1", elapsed=0.5),
                    _event("NodeFinished", "Thread-1", node_info={"unique_id": test})],
        "dbt.log.old": [_event("SQLQueryStatus", "Thread-1", elapsed=99.0)],  # not one of dbt's parts
    }
    for name, lines in parts.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    assert sql_seconds_by_node(tmp_path / "dbt.log") == {model: 3.0, test: 0.5}


def _deliver(landing, *folders: str) -> None:
    for folder in folders:
        (landing / folder).mkdir(parents=True)
        (landing / folder / "manifest.json").write_text("{}")


def test_the_month_is_held_back_and_its_year_s_annual_deliveries_are_not_due(tmp_path):
    from devtools.bench import hold_back_last_month

    landing = tmp_path / "economy"
    _deliver(landing, "customs/declarations/2024-11", "customs/declarations/2024-12", "tax/payments/2024-12",
             "tax/cit_returns/2023", "tax/cit_returns/2024", "land/zones/2024", "registry/self_reports/2023")
    month, not_due = hold_back_last_month(landing, tmp_path / "held", tmp_path / "not_due")
    assert month == "2024-12"
    assert not_due == ["land/zones/2024", "tax/cit_returns/2024"]
    assert sorted(p.relative_to(landing).as_posix() for p in landing.glob("*/*/*")) == [
        "customs/declarations/2024-11", "registry/self_reports/2023", "tax/cit_returns/2023"]
    assert sorted(p.relative_to(tmp_path / "held").as_posix() for p in (tmp_path / "held").glob("*/*/*")) == [
        "customs/declarations/2024-12", "tax/payments/2024-12"]
    assert (tmp_path / "not_due/tax/cit_returns/2024/manifest.json").exists()


def test_the_report_names_the_annual_deliveries_not_due():
    text = format_dbt_report(_report(annual_not_due=["tax/cit_returns/2024", "tax/related_party/2024"]))
    assert "new month 2024-12; not delivered (annual, due after the year): tax/cit_returns/2024, tax/related_party/2024" in text
    assert "not delivered" not in format_dbt_report(_report())


def test_several_runs_are_listed_with_their_median_ratios():
    from devtools.bench import build_ratios

    def run(full: float, month: float, floor: float) -> dict:
        return build_ratios(_report(full_build=_build(full), incremental_build=_build(month),
                                    nothing_new_build=_build(floor)))

    ratios = [run(250.0, 50.0, 30.0), run(270.0, 81.0, 54.0), run(200.0, 50.0, 40.0)]
    assert ratios[1]["month_vs_full"] == 0.3 and ratios[1]["floor_vs_full"] == 0.2
    text = format_dbt_report(_report(nothing_new_build=_build(40.0), run_ratios=ratios))
    assert "run 2: full 270.0 s, the month 81.0 s, nothing new 54.0 s; incremental / full 30%, nothing new / full 20%" \
        in text
    # the medians: month 20 %, 30 %, 25 % -> 25 %; dbt's own (s - 10): 16.7 %, 27.3 %, 21.1 % -> 21 %;
    # floor 12 %, 20 %, 20 % -> 20 %
    assert "median of 3 runs: incremental / full 25% (dbt's own elapsed: 21%), nothing new / full 20%; " \
           "range 20%–30%" in text
    assert "median of" not in format_dbt_report(_report(run_ratios=ratios[:1]))
