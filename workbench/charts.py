"""A small inline SVG per good of a price rule (TP01/TP02): the comparables'
range (min-max line, 35th-75th percentile bar, median tick) with the
enterprise's related-party price on it, and, where the rule could not prove
the shift at the median's 95 % confidence bound (TP01/TP02 1.3, a rare good),
that interval as a bracket under the median: the reviewer sees how little a
median of few comparables pins down. Rendered as data for the template, so
every label passes through Jinja2's escaping."""
from __future__ import annotations

from workbench import i18n

WIDTH, LEFT, RIGHT = 560, 20, 20
PRICE_RULES = ("TP01", "TP02")


def price_ranges(rule_code: str, evidence: dict, lang: str) -> list[dict]:
    if rule_code not in PRICE_RULES:
        return []
    charts = []
    for good in evidence.get("goods") or []:
        try:
            points = {k: float(good[k]) for k in ("comparable_min_vnd", "range_p35_vnd", "median_vnd",
                                                  "range_p75_vnd", "comparable_max_vnd", "related_unit_price_vnd")}
        except (KeyError, TypeError, ValueError):
            continue  # a good without the full range: the table still shows what there is
        interval = _median_interval(good)
        if interval:
            points["median_ci_low_vnd"], points["median_ci_high_vnd"] = interval
        low = min(points.values())
        high = max(points.values())
        span = (high - low) or 1.0

        def x(v: float, low: float = low, span: float = span) -> float:  # this good's scale
            return round(LEFT + (v - low) / span * (WIDTH - LEFT - RIGHT), 1)

        charts.append({
            "title": f"HS {good.get('hs_code', '')} · {good.get('unit', '')}",
            "width": WIDTH,
            "min_x": x(points["comparable_min_vnd"]), "max_x": x(points["comparable_max_vnd"]),
            "p35_x": x(points["range_p35_vnd"]), "p75_x": x(points["range_p75_vnd"]),
            "median_x": x(points["median_vnd"]), "price_x": x(points["related_unit_price_vnd"]),
            "ci_low_x": x(interval[0]) if interval else None, "ci_high_x": x(interval[1]) if interval else None,
            "labels": {k: i18n.number(v, lang) for k, v in points.items()},
        })
    return charts


def _median_interval(good: dict) -> tuple[float, float] | None:
    """The median's confidence bounds, only where the evidence gives both (a flag
    proven at the bound, or written before 1.3, has none)."""
    try:
        low, high = float(good["median_ci_low_vnd"]), float(good["median_ci_high_vnd"])
    except (KeyError, TypeError, ValueError):
        return None
    return (low, high) if low <= high else None
