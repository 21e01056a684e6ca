"""TP01 and TP02: the related-party customs lines of each good in the evidence, the very lines the rule read
(marts.fct_customs_lines: the delivery in force of each month of the fiscal year, the enterprise's own tax code,
quantity and customs value above 0; see intermediate.int_customs_price_deviations), each with its unit price and
the value it moved at the comparables' median. Their count per good is the evidence's `related_lines`, and their
moved values add up to its `shifted_value_vnd` (at the median as the evidence rounds it)."""
from __future__ import annotations

import json

from workbench.records_behind.model import Behind, Group, fetch

PRICE_RULES = {"TP01": "IM", "TP02": "EX"}  # the customs flow each price rule judges
CUSTOMS_COLUMNS = ("hs_code", "unit", "declaration_no", "line_no", "registered_on", "period", "partner_name",
                   "partner_country", "quantity", "customs_value_vnd", "unit_price_vnd", "outside_range",
                   "shifted_vnd", "delivery_id")


def _customs_lines(pg, flag_row: dict, evidence: dict, flow: str) -> Behind:
    goods = [{"hs_code": g["hs_code"], "unit": g["unit"], "median": g["median_vnd"],
              "low": g["range_p35_vnd"], "high": g["range_p75_vnd"]} for g in evidence.get("goods") or []]
    # moved at the median: purchases above it (IM), sales below it (EX), as the rule's shifted_vnd
    moved = ("l.customs_value_vnd - g.median * l.quantity" if flow == "IM"
             else "g.median * l.quantity - l.customs_value_vnd")
    outside = "l.customs_value_vnd / l.quantity > g.high" if flow == "IM" else "l.customs_value_vnd / l.quantity < g.low"
    rows = fetch(pg, f"""
        with goods as (
            select * from jsonb_to_recordset(%(goods)s::jsonb)
                as g(hs_code text, unit text, median numeric, low numeric, high numeric)
        )
        select l.hs_code, l.unit, l.declaration_no, l.line_no, l.registered_on, l.period, l.partner_name,
               l.partner_country, l.quantity, l.customs_value_vnd,
               round(l.customs_value_vnd / l.quantity, 2) as unit_price_vnd,
               ({outside}) as outside_range,
               round({moved}) as shifted_vnd, l.delivery_id
        from marts.fct_customs_lines as l
        join goods as g on g.hs_code = l.hs_code and g.unit = l.unit
        where l.enterprise_id = %(enterprise_id)s and l.tax_code = %(tax_code)s and l.flow = %(flow)s
          and left(l.period, 4) = %(year)s and l.is_related_party
          and l.quantity > 0 and l.customs_value_vnd > 0
        order by l.hs_code, l.unit, {moved} desc, l.declaration_no, l.line_no
        """, {"goods": json.dumps(goods), "enterprise_id": flag_row["enterprise_id"],
              "tax_code": flag_row["tax_code"], "flow": flow, "year": flag_row["period"][:4]})
    groups = {(g["hs_code"], g["unit"]): Group({"hs_code": g["hs_code"], "unit": g["unit"]}) for g in goods}
    for row in rows:
        groups[(row["hs_code"], row["unit"])].rows.append(row)
    return Behind("customs_lines", CUSTOMS_COLUMNS, list(groups.values()))


def _link(evidence: dict) -> dict:
    return {"key": "see_customs_lines", "n": sum(int(g.get("related_lines") or 0) for g in evidence.get("goods") or [])}


PAGES = {rule: (lambda pg, flag_row, evidence, flow=flow: _customs_lines(pg, flag_row, evidence, flow))
         for rule, flow in PRICE_RULES.items()}
LINKS = {rule: _link for rule in PRICE_RULES}
