"""The records behind a finding: a reviewer can check a price, capital or repatriation flag against the
agency's own declaration lines and transactions, each with a key to ask the agency about (workbench/records_behind.py)."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest

pytestmark = pytest.mark.e2e


def _flags(db, rule_code: str) -> list[tuple[str, dict]]:
    rows = db.execute("select flag_id, evidence from risk.flags where rule_code = %s order by flag_id",
                      (rule_code,)).fetchall()
    return [(flag_id, ev if isinstance(ev, dict) else json.loads(ev)) for flag_id, ev in rows]


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _flags_with_records(db, monitor, rule_code: str) -> list[tuple[str, dict, list[dict]]]:
    """Each flag of the rule, its evidence and its records as downloaded; its page links to them."""
    flags = _flags(db, rule_code)
    assert flags, f"the test economy has no {rule_code} flag to check"
    found = []
    for flag_id, evidence in flags:
        assert f'href="/flags/{flag_id}/records"' in monitor.get(f"/flags/{flag_id}").text
        found.append((flag_id, evidence, _csv(monitor.get(f"/flags/{flag_id}/records.csv"))))
    return found


@pytest.mark.parametrize("rule_code", ["TP01", "TP02"])
def test_a_price_flag_lists_every_related_line_its_rule_read(economy, monitor, rule_code):
    """Per good, the lines listed are as many as the evidence's related_lines, and the value each moved at the
    median adds up to the evidence's shifted value: the list is the finding, line by line."""
    _, db = economy
    for flag_id, evidence, lines in _flags_with_records(db, monitor, rule_code):
        for good in evidence["goods"]:
            mine = [r for r in lines if (r["hs_code"], r["unit"]) == (good["hs_code"], good["unit"])]
            assert len(mine) == good["related_lines"], (flag_id, good["hs_code"])
            moved = sum(Decimal(r["shifted_vnd"]) for r in mine)
            # at the median as the evidence rounds it (2 decimals), over the good's whole quantity
            assert abs(moved - Decimal(str(good["shifted_value_vnd"]))) <= Decimal("0.01") * Decimal(
                str(good["related_quantity"])) + len(mine), (flag_id, good["hs_code"])
            assert all(r["declaration_no"] and r["delivery_id"] for r in mine)
        assert len(lines) == sum(g["related_lines"] for g in evidence["goods"])
        # each line is the agency's: its declaration and line are in the customs lines in force, related-party
        keys = {(r["declaration_no"], int(r["line_no"])) for r in lines}
        found = db.execute("select count(*) from marts.fct_customs_lines where is_related_party "
                           "and (declaration_no, line_no) in (select * from unnest(%s::text[], %s::int[]))",
                           ([k[0] for k in keys], [k[1] for k in keys])).fetchone()[0]
        assert found == len(keys)


def test_the_records_page_shows_the_lines_that_moved_most_first_and_downloads_all(economy, monitor):
    _, db = economy
    flag_id, evidence = max(_flags(db, "TP01") + _flags(db, "TP02"),
                            key=lambda f: sum(g["related_lines"] for g in f[1]["goods"]))
    lines = _csv(monitor.get(f"/flags/{flag_id}/records.csv"))
    html = monitor.get(f"/flags/{flag_id}/records").text
    top = max(lines, key=lambda r: Decimal(r["shifted_vnd"]))
    assert top["declaration_no"] in html
    assert "Các dòng tờ khai hải quan đứng sau phát hiện" in html and "Số tờ khai" in html
    sheet = openpyxl.load_workbook(io.BytesIO(monitor.get(f"/flags/{flag_id}/records.xlsx").content)).active
    assert sheet.max_row - 1 == len(lines)
    assert [c.value for c in sheet[1]][:3] == ["hs_code", "unit", "declaration_no"]


def test_a_capital_flag_lists_the_contributions_its_rule_added_up(economy, monitor):
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "CAP01"):
        assert sum(Decimal(r["amount_usd"]) for r in rows) == Decimal(str(evidence["contributed_usd"]))
        assert {r["project_code"] for r in rows} <= {p["project_code"] for p in evidence["projects"]}
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert "Các khoản góp vốn trong thời hạn góp vốn" in html
        if rows:
            assert all(r["txn_id"] in html for r in rows)
        else:
            assert "Không có khoản góp vốn nào được ghi nhận trong thời hạn." in html


def test_a_repatriation_flag_lists_the_transfers_its_rule_counted(economy, monitor):
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP07"):
        assert len(rows) == evidence["transfers"]
        assert sum(Decimal(r["amount_usd"]) for r in rows) == Decimal(str(evidence["repatriated_usd"]))
        assert min(r["value_date"] for r in rows) == evidence["first_transfer_on"]
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert all(r["txn_id"] in html for r in rows)


def test_a_rule_without_a_list_of_records_has_no_records_page(economy, monitor):
    _, db = economy
    flag_id = db.execute("select flag_id from risk.flags where rule_code not in ('TP01', 'TP02', 'CAP01', 'TP07') "
                         "limit 1").fetchone()[0]
    assert "/records" not in monitor.get(f"/flags/{flag_id}").text
    for path in (f"/flags/{flag_id}/records", f"/flags/{flag_id}/records.csv", "/flags/0000000000000000/records"):
        assert monitor.get(path).status_code == 404, path
