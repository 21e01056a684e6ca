"""risk.flags.evidence (JSON) as rows a reviewer can read: labelled, numbers formatted."""
from __future__ import annotations

from workbench import i18n

# Labels of the evidence keys the rules write (models/risk/rules/*.sql); an
# unknown key is shown as it is, never dropped.
LABELS: dict[str, tuple[str, str]] = {
    "threshold": ("Ngưỡng bị vượt", "Threshold crossed"),
    "goods": ("Mặt hàng", "Goods"),
    "hs_code": ("Mã HS", "HS code"),
    "unit": ("Đơn vị tính", "Unit"),
    "comparables": ("Số giao dịch độc lập so sánh", "Comparable transactions"),
    "median_vnd": ("Trung vị (VND/đơn vị)", "Median (VND/unit)"),
    "range_p35_vnd": ("Phân vị 35 (VND/đơn vị)", "35th percentile (VND/unit)"),
    "range_p75_vnd": ("Phân vị 75 (VND/đơn vị)", "75th percentile (VND/unit)"),
    "comparable_min_vnd": ("Giá thấp nhất so sánh (VND/đơn vị)", "Lowest comparable (VND/unit)"),
    "comparable_max_vnd": ("Giá cao nhất so sánh (VND/đơn vị)", "Highest comparable (VND/unit)"),
    "related_unit_price_vnd": ("Đơn giá giao dịch liên kết (VND/đơn vị)", "Related-party unit price (VND/unit)"),
    "related_lines": ("Số dòng hàng liên kết", "Related-party lines"),
    "related_partners": ("Bên liên kết", "Related parties"),
    "related_quantity": ("Lượng liên kết", "Related-party quantity"),
    "related_value_vnd": ("Trị giá liên kết (VND)", "Related-party value (VND)"),
    "shifted_value_vnd": ("Giá trị ước tính chuyển ra (VND)", "Estimated shifted value (VND)"),
    "shift_share": ("Tỷ lệ chênh lệch so với trung vị", "Share above/below the median"),
}


def _label(key: str, lang: str) -> str:
    return i18n.pick(LABELS[key], lang) if key in LABELS else key.replace("_", " ")


def _value(value, lang: str) -> str:
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
    if isinstance(value, int):
        return i18n.number(value, lang)
    if isinstance(value, float):
        return i18n.number(value, lang, decimals=0 if abs(value) >= 1000 else (2 if abs(value) >= 1 else 4))
    if value is None:
        return "—"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(_value(v, lang) for v in value)
    return str(value)


def evidence_rows(evidence: dict, lang: str) -> dict:
    """{'fields': [(label, value)], 'tables': [(label, header, rows)]}: scalars first, lists of objects as tables."""
    fields, tables = [], []
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for item in value for k in item))
            tables.append((_label(key, lang), [_label(k, lang) for k in keys],
                           [[_value(item.get(k), lang) for k in keys] for item in value]))
        elif isinstance(value, dict):
            for k, v in value.items():
                fields.append((f"{_label(key, lang)} · {_label(k, lang)}", _value(v, lang)))
        else:
            fields.append((_label(key, lang), _value(value, lang)))
    return {"fields": fields, "tables": tables}
