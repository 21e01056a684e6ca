"""`fdi flags` output (apps/review.py formatting) fits 120 columns and names the enterprise;
`fdi flags show` prints the evidence as a table with Vietnamese figures; a bad --period or --rule is an
error, not "No flags match."; `fdi kpi` (apps/kpi.py) shows the gaps of a row's inputs. Hand-made rows,
no database."""
from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from click.testing import CliRunner

import apps.cli
import apps.review
from apps.kpi import format_table
from apps.review import format_flag, format_flags

ROW = {"flag_id": "9ae248c4d97b360f", "rule_code": "TP01", "tax_code": "0246053643", "period": "2024",
       "severity": "medium", "score": 87.25, "review_status": "open", "enterprise_id": "EN0246053643",
       "enterprise_name": "Công ty Cổ phần Shinetsu Footwear Việt Nam và những cái tên rất dài khác",
       "summary": "Năm 2024, doanh nghiệp nhập khẩu từ bên liên kết 1 mã hàng với đơn giá trên phân vị 75 " * 3}


def test_flags_list_fits_120_columns_and_shows_the_enterprise_name():
    out = format_flags([ROW, {**ROW, "enterprise_name": None, "tax_code": None}])
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "Công ty Cổ phần Shinetsu" in out and "TP01" in out
    assert out.splitlines()[1].split()[4] == "medium"  # the severity in full, not `medi`


def test_flag_show_prints_the_evidence_as_a_table():
    detail = {**ROW, "evidence": {
        "threshold": "related-party unit price above the 75th percentile",
        "shifted_value_vnd": 4359164725,
        "goods": [{"hs_code": "41079900", "median_vnd": 425754.57, "comparables": 276, "shift_share": 1.6008}]}}
    out = format_flag(detail)
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "4.359.164.725" in out  # Vietnamese thousands separators
    assert "41079900" in out  # a code is not a figure: no separators put in it
    goods = out[out.index("goods:"):].splitlines()
    assert any(line.split()[0] == "median_vnd" and line.split()[-1] == "425.755" for line in goods[1:])


def test_the_rule_codes_are_those_of_the_rule_models():
    # sources/contracts/warehouse.md, "Rule codes in use"
    expected = {*(f"TP0{i}" for i in range(1, 8)), "CAP01", "REG01", "REG02", "ABS01", "LAND01", "REL01", "NOM01"}
    assert set(apps.review.rule_codes()) == expected


@pytest.fixture
def listed(monkeypatch):
    """What `fdi flags` asks of apps.review.open_flags, with no database behind it."""
    calls = []
    monkeypatch.setattr(apps.cli, "connected", lambda error: contextlib.nullcontext(None))
    monkeypatch.setattr(apps.review, "open_flags", lambda pg, **filters: calls.append(filters) or [])
    return calls


@pytest.mark.parametrize("args, says", [
    (["--period", "2024-13"], "YYYY-MM"),
    (["--period", "24"], "YYYY"),
    (["--period", "2024-7"], "YYYY-MM"),
    (["--period", "2024-00"], "YYYY-MM"),
    (["--rule", "XX99"], "TP01"),
])
def test_a_bad_period_or_rule_is_an_error_not_no_findings(listed, args, says):
    r = CliRunner().invoke(apps.cli.flags, args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "No flags match" not in r.output
    assert listed == []


def test_rule_and_zone_match_in_any_case(listed):
    r = CliRunner().invoke(apps.cli.flags, ["--rule", "tp01", "--zone", "kcn-vsip", "--period", "2024-07"])
    assert r.exit_code == 0, r.output
    assert listed[0]["rule"] == "TP01" and listed[0]["period"] == "2024-07"
    for period in ("2024", "2024-12"):
        assert CliRunner().invoke(apps.cli.flags, ["--period", period]).exit_code == 0


def test_zone_is_upper_cased_in_the_query():
    class Recorder:
        def execute(self, query, params=()):
            self.params = params
            return self

        def fetchone(self):
            return ("risk.flags_for_review",)

        def fetchall(self):
            return []

        description = ()

    pg = Recorder()
    apps.review.open_flags(pg, zone="kcn-vsip")
    assert "KCN-VSIP" in pg.params


KPI = {"indicator_code": "fdi_registered_capital", "period": "2024", "period_kind": "year",
       "actual": Decimal("103600000"), "target_low": Decimal("2200000000"), "target_high": None, "unit": "USD",
       "status": "not_met", "as_of_year": 2024, "years_with_data": 1, "is_complete": True,
       "source": "Decision 3055/QĐ-UBND", "input_gaps": None}


def test_kpi_prints_the_gaps_of_a_rows_inputs_as_the_column_states_them():
    gap = "registry/projects 2024-12 rejected"
    rows = [{**KPI, "is_complete": False, "input_gaps": gap},
            {**KPI, "period": "2021-2025", "period_kind": "programme_period", "is_complete": False,
             "input_gaps": gap},
            {**KPI, "indicator_code": "trained_workforce_share", "unit": "pct", "actual": Decimal("47.35"),
             "target_low": Decimal("87"), "target_high": Decimal("88")}]
    out = format_table(rows)
    lines = out.splitlines()
    year_line = next(line for line in lines if line.startswith("fdi_registered_capital") and " 2024 " in line)
    assert "incomplete, input gaps" in year_line  # as the columns say: not recomputed
    assert f"fdi_registered_capital 2024: {gap}" in out
    assert f"fdi_registered_capital 2021-2025: {gap}" in out
    workforce = next(line for line in lines if line.startswith("trained_workforce_share"))
    assert "gaps" not in workforce
