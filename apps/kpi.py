"""`fdi kpi`: the action programme's indicators against their targets (kpi.programme_targets).

Decision 3055/QĐ-UBND, programme Part I.3: registered FDI capital, trained
share of the workforce, industrial-zone occupancy and central wastewater
treatment. The table is built by dbt (models/kpi); this module only reads and
formats it for the command line.
"""
from __future__ import annotations

from decimal import Decimal

COLUMNS = ("indicator_code", "period", "period_kind", "actual", "target_low", "target_high", "unit", "status",
           "as_of_year", "years_with_data", "is_complete", "source")


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
    header = f"{'indicator':<38}{'period':<11}{'actual':>18}  {'target':<22}{'status':<9}{'coverage'}"
    lines = [header, "-" * len(header)]
    for r in rows:
        if r["period_kind"] == "programme_period":
            coverage = (f"{r['years_with_data']} year(s), as of {r['as_of_year']}" if r["as_of_year"]
                        else "no year with data")
            coverage += "" if r["is_complete"] else ", incomplete"
        else:
            coverage = ""
        lines.append(f"{r['indicator_code']:<38}{r['period']:<11}{_number(r['actual'], r['unit']):>18}  "
                     f"{_target(r):<22}{r['status']:<9}{coverage}")
    sources = sorted({(r["indicator_code"], r["source"]) for r in rows if r["period_kind"] == "programme_period"})
    if sources:
        lines.append("\nTargets (seeds/kpi_targets.csv):")
        seen = set()
        for code, source in sources:
            if (code, source) not in seen:
                seen.add((code, source))
                lines.append(f"  {code}: {source}")
    return "\n".join(lines)
