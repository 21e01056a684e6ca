"""Department of Natural Resources and Environment and the Economic Zone Authority: land leases and zones.

Contract: `sources/contracts/land.yaml`. Lessees are often named without a tax
code (README "Known defects" 3): a lease carries the code or not, for its whole
life, as it was first recorded.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sources.contract import load_agency
from sources.synthetic.defects import DefectPlanter
from sources.synthetic.economy import ZONES, Economy, month_end
from sources.synthetic.writers import extraction_time

AGENCY = load_agency("land")
LEASES = AGENCY.datasets["leases"]
ZONES_DATASET = AGENCY.datasets["zones"]

LEASE_TAX_CODE_SHARE = 0.4  # leases recorded with the lessee's tax code
# Zone facts (HEZA): share of the area that is industrial land, occupancy in
# 2019 and its yearly rise, central wastewater plant, operating since, developer.
ZONE_FACTS = {
    "KCN-DINHVU": (0.68, 0.88, 0.01, True, dt.date(1997, 12, 1), "Công ty CP Đầu tư và Phát triển KCN Đình Vũ"),
    "KCN-VSIP": (0.62, 0.55, 0.05, True, dt.date(2010, 1, 15), "Công ty TNHH VSIP Hải Phòng"),
    "KCN-TRANGDUE": (0.70, 0.80, 0.02, True, dt.date(2008, 3, 1), "Công ty CP Khu công nghiệp Sài Gòn - Hải Phòng"),
    "KCN-DEEPC2": (0.66, 0.50, 0.06, True, dt.date(2016, 4, 1), "Công ty TNHH Phát triển Khu công nghiệp Đình Vũ"),
    "KCN-NAMDINHVU": (0.60, 0.30, 0.07, True, dt.date(2015, 6, 1), "Công ty CP Đầu tư Sao Đỏ"),
    "KCN-ANDUONG": (0.68, 0.45, 0.08, True, dt.date(2018, 10, 1), "Công ty TNHH Khu công nghiệp An Dương"),
    "KCN-NOMURA": (0.72, 0.95, 0.0, True, dt.date(1994, 10, 1), "Công ty Liên doanh Phát triển KCN Nomura Hải Phòng"),
    "KCN-TANDUONG": (0.70, 0.60, 0.03, False, dt.date(2009, 1, 1), "Công ty CP Đầu tư Tân Dương"),
    "KKT-DINHVUCATHAI": (0.25, 0.45, 0.02, True, dt.date(2008, 1, 24), None),
    "CCN-VINHNIEM": (0.75, 0.90, 0.0, False, dt.date(2005, 1, 1), None),
}
MAX_OCCUPANCY = 0.98
LESSEE_STYLES = ("official", "abbrev")


def _lease_rows(economy: Economy, on: dt.date) -> Iterator[dict]:
    for ent in economy.enterprises:
        style = LESSEE_STYLES[economy.kept(("land-style", ent.index),
                                           lambda i=ent.index: economy.sub_rng("land-style", i).random() < 0.5)]
        for lease in ent.leases:
            if lease.lease_start > on:
                continue
            with_code = economy.kept(("land-code", lease.lease_id), lambda i=lease.lease_id: economy.sub_rng(
                "land-code", i).random() < LEASE_TAX_CODE_SHARE)
            yield {
                "_owner": ent.tax_code,
                "lease_id": lease.lease_id,
                "tax_code": ent.tax_code if with_code else None,
                "lessee_name": ent.name_variant(on, style),
                "lessee_address": ent.address(on),
                "parcel_no": lease.parcel_no,
                "map_sheet": lease.map_sheet,
                "admin_area": lease.admin_area,
                "industrial_zone_code": lease.zone_code,
                "area_m2": lease.area_m2,
                "in_use_area_m2": lease.in_use_on(on),
                "purpose_code": lease.purpose_code,
                "lease_start": lease.lease_start,
                "lease_end": lease.lease_end,
                "payment_mode": lease.payment_mode,
                "annual_rent_vnd": lease.annual_rent_vnd,
                "status": lease.status_on(on),
            }


def _zone_rows(year: int) -> Iterator[dict]:
    for code, name, kind, total_ha, _area in ZONES:
        industrial_share, occupancy, rise, wwtp, since, developer = ZONE_FACTS[code]
        industrial = round(total_ha * industrial_share, 1)
        leased = round(industrial * min(MAX_OCCUPANCY, occupancy + rise * (year - 2019)), 1)
        yield {
            "industrial_zone_code": code,
            "zone_name": name,
            "zone_kind": kind,
            "total_area_ha": total_ha,
            "industrial_land_ha": industrial,
            "leased_land_ha": leased,
            "has_central_wwtp": wwtp,
            "operating_since": since,
            "developer_name": developer,
        }


def generate(economy: Economy, planter: DefectPlanter, periods: list[str]) -> None:
    for year in sorted({int(p[:4]) for p in periods}):
        planter.deliver(ZONES_DATASET, str(year), extraction_time(dt.date(year + 1, 1, 20)),
                        lambda y=year: _zone_rows(y), owner_of=None, resend_broken=True)
    for period in periods:
        year, month = map(int, period.split("-"))
        on = month_end(year, month)
        planter.deliver(LEASES, period, extraction_time(on + dt.timedelta(days=5)),
                        lambda d=on: _lease_rows(economy, d), owner_of=lambda r: r["_owner"])
