"""Investment register (DPI and HEZA): projects and investors, monthly XLSX snapshots.

Contract: `sources/contracts/registry.yaml`. Parsing is the shared machinery
of `sources.lib.delivery` driven by that contract; this module adds what is
the register's own: how its snapshots are generated from the economy.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.lib.contract import load_agency
from sources.lib.defects import DefectPlanter
from sources.lib.economy import Economy, Project, month_end
from sources.lib.writers import VN_TZ

AGENCY = load_agency("registry")
PROJECTS = AGENCY.datasets["projects"]
INVESTORS = AGENCY.datasets["investors"]


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


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    """One projects and one investors delivery per month: the register as it stood at month end."""
    for period in periods:
        year, month = map(int, period.split("-"))
        on = month_end(year, month)
        extracted = dt.datetime.combine(on + dt.timedelta(days=3), dt.time(8, 30), VN_TZ)
        projects = economy.registered_projects(on)
        planter.deliver(
            PROJECTS, period, extracted,
            rows=[_project_row(p, on) for p in projects],
            key_of=lambda r: r["project_code"],
            owner_of=lambda r, _by={p.project_code: p for p in projects}: _by[r["project_code"]].enterprise.tax_code,
        )
        planter.deliver(
            INVESTORS, period, extracted,
            rows=[row for p in projects for row in _investor_rows(p)],
            key_of=lambda r: f"{r['project_code']}|{r['investor_seq']}",
            owner_of=lambda r: r["_owner"],  # the enterprise carrying out the investor's project
        )
