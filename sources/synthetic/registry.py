"""Investment register (DPI and HEZA): projects and investors, monthly XLSX snapshots.

Contract: `sources/contracts/registry.yaml`. Parsing is the shared machinery
of `sources.delivery` driven by that contract; this module adds what is
the register's own: how its snapshots are generated from the economy.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import Economy, Project, month_end
from sources.synthetic.labour import FOREIGN_SHARE, MIN_STAFF_FOR_FOREIGNERS
from sources.synthetic.rates import usd_year_average
from sources.synthetic.writers import VN_TZ

AGENCY = load_agency("registry")
PROJECTS = AGENCY.datasets["projects"]
INVESTORS = AGENCY.datasets["investors"]
SELF_REPORTS = AGENCY.datasets["self_reports"]  # optional: not of the agreement (contract `optional: true`)

# Self-reports (Form A.III.1, Circular 03/2021/TT-BKHĐT): most investors report
# what the agencies see; some misreport. The shares make the discrepancy view
# (fis.self_report_discrepancies) show both agreement and findings on a small economy.
SELF_REPORTING_SHARE = 0.6  # projects that file reports at all
MISREPORT_SHARE = 0.15  # annual reports with a figure off by MISREPORT_RANGE
MISREPORT_RANGE = (0.2, 0.5)
# Investors' reporting regime (Decree 31/2021/NĐ-CP on the Law on Investment): a quarterly report by
# the 12th of the next quarter's first month, the annual report by 31 March of the next year.
QUARTERLY_FILED_DAYS_AFTER = 12
ANNUAL_FILED_ON = (3, 31)


def _project_row(p: Project, on: dt.date) -> dict:
    ent = p.enterprise
    incorporated = on >= p.incorporated_on
    return {
        "project_code": p.project_code,
        "irc_number": p.irc_number,
        "tax_code": ent.tax_code if incorporated else None,
        "enterprise_name": ent.name_vi(on),
        "enterprise_name_en": ent.name_en(on),
        "address": ent.address(on),
        "admin_area": ent.area_on(on),
        "industrial_zone_code": ent.zone_code,
        "vsic_code": ent.vsic,
        "registered_capital_usd": p.capital_on(on),
        "charter_capital_usd": p.charter_capital_usd,
        "foreign_ownership_pct": p.foreign_pct,
        "issued_on": p.issued_on,
        "last_adjusted_on": p.last_adjusted_on(on),
        "expires_on": p.expires_on,
        "capital_deadline": p.capital_deadline,
        "status": p.status_on(on),
        "authority": p.authority,
    }


def _investor_rows(p: Project) -> Iterator[dict]:
    for inv in p.investors:
        yield {
            "_owner": p.enterprise.tax_code,
            "project_code": p.project_code,
            "investor_seq": inv.seq,
            "investor_name": inv.name,
            "investor_country": inv.country,
            "investor_kind": inv.kind,
            "ownership_pct": inv.ownership_pct,
            "committed_capital_usd": inv.committed_capital_usd,
            "ultimate_parent": inv.ultimate_parent,
            "investor_reg_no": inv.reg_no,
        }


def _allocation_share(p: Project, on: dt.date) -> float:
    """The project's share of its enterprise: registered capital over the enterprise's registered projects."""
    siblings = [q for q in p.enterprise.projects if q.issued_on <= on]
    total = sum(q.capital_on(on) for q in siblings)
    return p.capital_on(on) / total if total else 1 / max(1, len(siblings))


def _self_report_rows(economy: Economy, year: int) -> Iterator[dict]:
    """Quarterly (employees) and annual (revenue, profit, employees) reports of reporting projects."""
    on = dt.date(year, 12, 31)
    for p in economy.registered_projects(on):
        ent = p.enterprise
        book = economy.books.get((ent.tax_code, year))
        rng = economy.sub_rng("self-report", p.project_code, year)
        if book is None or on < p.incorporated_on or rng.random() >= SELF_REPORTING_SHARE:
            continue
        share = _allocation_share(p, on)
        usd = usd_year_average(year)
        foreign = round(book.employees * FOREIGN_SHARE) if ent.is_fdi and book.employees >= MIN_STAFF_FOR_FOREIGNERS else 0
        for quarter in range(1, 5):
            end = month_end(year, quarter * 3)
            if end < p.incorporated_on:
                continue
            yield {
                "_owner": ent.tax_code, "project_code": p.project_code, "tax_code": ent.tax_code,
                "report_period": f"{year}-Q{quarter}", "filed_on": end + dt.timedelta(days=QUARTERLY_FILED_DAYS_AFTER),
                "capital_realized_usd": None, "revenue_vnd": None, "profit_before_tax_vnd": None,
                "exports_usd": None, "imports_usd": None,
                "employees_total": round(book.employees * share), "employees_foreign": round(foreign * share),
                "taxes_paid_vnd": None,
            }
        off = rng.uniform(*MISREPORT_RANGE) if rng.random() < MISREPORT_SHARE else 0.0
        yield {
            "_owner": ent.tax_code, "project_code": p.project_code, "tax_code": ent.tax_code,
            "report_period": str(year), "filed_on": dt.date(year + 1, *ANNUAL_FILED_ON),
            "capital_realized_usd": None,
            "revenue_vnd": round(book.revenue * share * (1 - off)),
            "profit_before_tax_vnd": round(book.pbt * share),
            "exports_usd": round(book.exports_vnd * share / usd, 2),
            "imports_usd": round(book.imports_vnd * share / usd, 2),
            "employees_total": round(book.employees * share), "employees_foreign": round(foreign * share),
            "taxes_paid_vnd": None,
        }


def generate_self_reports(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    """One annual delivery per year. Written by a planter of its own without defects, so the optional
    dataset neither draws from nor shifts the defect stream of the agreement's datasets."""
    own = DefectPlanter(planter.landing, planter.truth, planter.seed, 0.0)
    for year in sorted({int(period[:4]) for period in periods}):
        extracted = dt.datetime(year + 1, 4, 10, 9, 0, tzinfo=VN_TZ)
        own.deliver(SELF_REPORTS, str(year), extracted, rows=list(_self_report_rows(economy, year)),
                    key_of=lambda r: f"{r['project_code']}|{r['report_period']}", owner_of=lambda r: r["_owner"],
                    allow_faults=False)


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    """One projects and one investors delivery per month: the register as it stood at month end."""
    for period in periods:
        year, month = map(int, period.split("-"))
        on = month_end(year, month)
        extracted = dt.datetime.combine(on + dt.timedelta(days=3), dt.time(8, 30), VN_TZ)
        projects = economy.registered_projects(on)
        planter.deliver(
            PROJECTS, period, extracted,
            # Rows as functions: a deferred delivery is drawn where it is written, not held until then.
            rows=lambda projects=projects, on=on: [_project_row(p, on) for p in projects],
            key_of=lambda r: r["project_code"],
            owner_of=lambda r, _by={p.project_code: p for p in projects}: _by[r["project_code"]].enterprise.tax_code,
        )
        planter.deliver(
            INVESTORS, period, extracted,
            rows=lambda projects=projects: [row for p in projects for row in _investor_rows(p)],
            key_of=lambda r: f"{r['project_code']}|{r['investor_seq']}",
            owner_of=lambda r: r["_owner"],  # the enterprise carrying out the investor's project
        )
    generate_self_reports(economy, planter, periods)
