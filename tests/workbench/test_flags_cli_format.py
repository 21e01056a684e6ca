"""`fdi flags` output (apps/review.py formatting) fits 120 columns and names the enterprise;
`fdi flags show` prints the evidence as a table with Vietnamese figures. Hand-made rows, no database."""
from __future__ import annotations

from apps.review import format_flag, format_flags

ROW = {"flag_id": "9ae248c4d97b360f", "rule_code": "TP01", "tax_code": "0246053643", "period": "2024",
       "severity": "medium", "score": 87.25, "review_status": "open", "enterprise_id": "EN0246053643",
       "enterprise_name": "Công ty Cổ phần Shinetsu Footwear Việt Nam và những cái tên rất dài khác",
       "summary": "Năm 2024, doanh nghiệp nhập khẩu từ bên liên kết 1 mã hàng với đơn giá trên phân vị 75 " * 3}


def test_flags_list_fits_120_columns_and_shows_the_enterprise_name():
    out = format_flags([ROW, {**ROW, "enterprise_name": None, "tax_code": None}])
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "Công ty Cổ phần Shinetsu" in out and "TP01" in out


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
