"""LAND01: the lease snapshots of each idle span in the evidence (marts.fct_land_leases, the lease's snapshots
linked to the flag's enterprise), one row per month from `first_idle_month` to `last_idle_month`: a month with a
snapshot shows its area, area in use and share in use (all under the threshold, the lease active) and its
delivery; a month without one is a row of its own with the land data's status that month
(marts.dataset_coverage), the gap the evidence's `coverage_gaps` names (the rule measures the span on the
snapshots' dates, a gap is neither use nor idleness). Per lease the months are `idle_months`, those with a
snapshot `snapshots_observed`, the greatest share in use `max_in_use_share`.
"""
from __future__ import annotations

import json

from workbench.records_behind.model import Behind, Group, fetch, into_groups

LEASE_COLUMNS = ("lease_id", "parcel_no", "period", "industrial_zone_code", "status", "area_m2", "in_use_area_m2",
                 "in_use_share", "coverage", "delivery_id")


def _idle_land(pg, flag_row: dict, evidence: dict) -> Behind:
    leases = evidence.get("leases") or []
    rows = fetch(pg, """
        with spans as (
            select * from jsonb_to_recordset(%(leases)s::jsonb)
                as s(i int, lease_id text, parcel_no text, first_month text, last_month text)
        ),
        months as (
            select s.i, s.lease_id, s.parcel_no, to_char(m, 'YYYY-MM') as period
            from spans as s
            cross join lateral generate_series(to_date(s.first_month, 'YYYY-MM'), to_date(s.last_month, 'YYYY-MM'),
                                               interval '1 month') as m
        )
        -- a gap month has no parcel of its own: the lease's, as the evidence names it
        select m.i, m.lease_id, coalesce(l.parcel_no, m.parcel_no) as parcel_no, m.period,
               l.industrial_zone_code, l.status, l.area_m2, l.in_use_area_m2, round(l.in_use_area_m2 / l.area_m2, 4) as in_use_share,
               -- a month without the lease's snapshot: why there is none
               case when l.lease_id is null then coalesce(v.status, 'missing') end as coverage, l.delivery_id
        from months as m
        left join marts.fct_land_leases as l
          on l.lease_id = m.lease_id and l.snapshot_period = m.period and l.enterprise_id = %(enterprise_id)s
        left join marts.dataset_coverage as v
          on l.lease_id is null and v.agency = 'land' and v.dataset = 'leases' and v.period = m.period
        order by m.i, m.period
        """, {"leases": json.dumps([{"i": i, "lease_id": x["lease_id"], "parcel_no": x["parcel_no"],
                                     "first_month": x["first_idle_month"],
                                     "last_month": x["last_idle_month"]} for i, x in enumerate(leases)]),
              "enterprise_id": flag_row["enterprise_id"]})
    groups = [Group({"lease_id": x["lease_id"]}) for x in leases]
    return Behind("lease_snapshots", LEASE_COLUMNS, into_groups(groups, rows))


PAGES = {"LAND01": _idle_land}
LINKS = {"LAND01": lambda evidence: {
    "key": "see_lease_snapshots", "n": sum(int(x.get("snapshots_observed") or 0) for x in evidence.get("leases") or [])}}
