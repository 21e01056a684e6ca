"""`fdi kpi`: the action programme's indicators against their targets (kpi.programme_targets).

Decision 3055/QĐ-UBND, programme Part I.3: registered FDI capital, trained
share of the workforce, industrial-zone occupancy and central wastewater
treatment. The table is built by dbt (models/kpi); this module only reads and
formats it for the command line.
"""
from __future__ import annotations

import textwrap
from decimal import Decimal

COLUMNS = ("indicator_code", "period", "period_kind", "actual", "target_low", "target_high", "unit", "status",
           "as_of_year", "years_with_data", "is_complete", "source", "input_gaps")
WIDTH = 120  # the notes under the table wrap to a 120-column terminal


class KpiUnavailable(Exception):
    """kpi.programme_targets is not built yet."""


def fetch(conn, periods: str = "all") -> list[dict]:
    """Rows of kpi.programme_targets: `all`, `programme` (periods only) or `data` (rows with data)."""
    if not conn.execute("select to_regclass('kpi.programme_targets') is not null").fetchone()[0]:
        raise KpiUnavailable("kpi.programme_targets does not exist yet: run `fdi run` (dbt build) first")
    where = {"all": "true", "programme": "period_kind = 'programme_period'",
             "data": "(status <> 'no_data' or period_kind = 'programme_period')"}[periods]
    cur = conn.execute(f"""
        select {', '.join(COLUMNS)} from kpi.programme_targets
        where {where}
        order by indicator_code, period_kind = 'programme_period', period""")
    return [dict(zip(COLUMNS, row)) for row in cur.fetchall()]


def _number(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "USD":
        return f"{value / Decimal(1_000_000):,.1f} M USD"
    return f"{value:.2f} %"


def _target(row: dict) -> str:
    low, high, unit = row["target_low"], row["target_high"], row["unit"]
    if high is None or high == low:
        return "≥ " + _number(low, unit)
    return f"{_number(low, unit)} – {_number(high, unit)}".replace(" % –", " –")


def format_table(rows: list[dict]) -> str:
    """One line per row; a figure that is not final says `incomplete`, and a row whose inputs have gaps
    (input_gaps) says so in `coverage` and lists them under the table, as the column states them."""
    header = f"{'indicator':<38}{'period':<11}{'actual':>18}  {'target':<22}{'status':<9}{'coverage'}"
    lines = [header, "-" * len(header)]
    for r in rows:
        if r["period_kind"] == "programme_period":
            coverage = (f"{r['years_with_data']} year(s), as of {r['as_of_year']}" if r["as_of_year"]
                        else "no year with data")
            coverage += "" if r["is_complete"] else ", incomplete"
        else:
            coverage = "" if r["is_complete"] or r["actual"] is None else "incomplete"
        if r.get("input_gaps"):
            coverage += (", " if coverage else "") + "input gaps (below)"
        lines.append(f"{r['indicator_code']:<38}{r['period']:<11}{_number(r['actual'], r['unit']):>18}  "
                     f"{_target(r):<22}{r['status']:<9}{coverage}")
    gaps = [r for r in rows if r.get("input_gaps")]
    if gaps:
        lines.append("\nInput gaps (input periods not complete: rejected, missing, not yet due or before coverage "
                     "starts; marts.dataset_coverage):")
        for r in gaps:
            lines += textwrap.wrap(r["input_gaps"], WIDTH, initial_indent=f"  {r['indicator_code']} {r['period']}: ",
                                   subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)
    sources = sorted({(r["indicator_code"], r["source"]) for r in rows if r["period_kind"] == "programme_period"})
    if sources:
        lines.append("\nTargets (seeds/kpi_targets.csv):")
        seen = set()
        for code, source in sources:
            if (code, source) not in seen:
                seen.add((code, source))
                lines.append(f"  {code}: {source}")
    return "\n".join(lines)
