"""The price chart of a TP01/TP02 flag: the comparables' range, the median, the
enterprise's price and, where the evidence gives it, the median's confidence
interval (a good whose shift the rule could not prove at the bound)."""
from __future__ import annotations

import re

from workbench import i18n
from workbench.app import _templates
from workbench.charts import price_ranges

GOOD = {"hs_code": "85423100", "unit": "PCE", "comparable_min_vnd": 100.0, "range_p35_vnd": 180.0,
        "median_vnd": 200.0, "range_p75_vnd": 240.0, "comparable_max_vnd": 300.0,
        "related_unit_price_vnd": 260.0}
UNPROVEN = {**GOOD, "median_ci_low_vnd": 160.0, "median_ci_high_vnd": 250.0, "median_bound_shift_share": 0.03}


def render(charts: list[dict], lang: str = "vi") -> str:
    return _templates().get_template("price_chart.html").render(charts=charts, t=lambda k: i18n.t(k, lang))


def test_a_good_with_its_medians_interval_draws_it_between_the_bounds():
    [chart] = price_ranges("TP02", {"goods": [UNPROVEN]}, "vi")
    # the scale runs from the least comparable (x 20) to the greatest (x 540): 2.6 px a VND here
    assert (chart["min_x"], chart["max_x"]) == (20.0, 540.0)
    assert (chart["ci_low_x"], chart["ci_high_x"]) == (176.0, 410.0)  # 20 + 60 × 2.6, 20 + 150 × 2.6
    assert chart["ci_low_x"] < chart["median_x"] < chart["ci_high_x"]

    html = render([chart])
    bracket = re.search(r'<g class="median-ci"><title>([^<]*)</title>\s*<path d="([^"]*)"/>', html)
    assert bracket, html
    assert bracket.group(1) == "Khoảng tin cậy 95 % của trung vị: 160 – 250"
    assert bracket.group(2) == f"M{chart['ci_low_x']} 44 V49 H{chart['ci_high_x']} V44"
    assert i18n.t("chart_legend_ci", "vi") in html


def test_a_good_proven_at_its_bound_draws_no_interval_and_says_none():
    [chart] = price_ranges("TP01", {"goods": [GOOD]}, "en")
    assert chart["ci_low_x"] is None and chart["ci_high_x"] is None
    html = render([chart], "en")
    assert "median-ci" not in html and i18n.t("chart_legend_ci", "en") not in html
    assert 'class="price"' in html  # the rest of the chart is still drawn


def test_an_interval_the_evidence_gives_half_of_or_reversed_is_not_drawn():
    half = {k: v for k, v in UNPROVEN.items() if k != "median_ci_high_vnd"}
    reversed_ = {**UNPROVEN, "median_ci_low_vnd": 250.0, "median_ci_high_vnd": 160.0}
    charts = price_ranges("TP02", {"goods": [half, reversed_]}, "vi")
    assert [c["ci_low_x"] for c in charts] == [None, None]


def test_each_good_of_a_flag_has_its_own_chart_and_other_rules_none():
    charts = price_ranges("TP02", {"goods": [GOOD, UNPROVEN]}, "vi")
    assert [c["ci_low_x"] is None for c in charts] == [True, False]
    assert render(charts).count("<figure") == 2
    assert price_ranges("CAP01", {"goods": [UNPROVEN]}, "vi") == []
