"""The dbt bench's report says what the floor under a month's build is, and stays readable for reports saved
before the vacuum and nothing-new steps existed (they print no made-up 0)."""
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
