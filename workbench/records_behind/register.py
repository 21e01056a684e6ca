"""REG01 and REG02: the register's records behind a project flag.

REG01: the register snapshots of each project in the evidence (marts.fct_project_snapshots, the project on the
flag's tax code), every one the rule read, each with its status, term and delivery; `stale` marks those the rule
counted, active with the term expired (grace_months after expires_on before the snapshot month). The stale ones
are as many as `stale_snapshots`, from `first_snapshot_stale` to `last_snapshot_stale`.

REG02: the records of a dormant project's case.

* The enterprise's projects active in the register (marts.dim_project, its latest snapshot: what the rule
  reads), each with the register snapshot's delivery (marts.enterprise_links): the `active_projects` of the
  evidence.
* Per agency, the enterprise's last month of activity before the silent span, and its records of that month: tax
  payments (marts.enterprise_links, whose records no public schema holds otherwise), CIT returns by filing month
  (marts.fct_tax_returns, each named by its record's key as delivered in marts.enterprise_links), customs lines
  (marts.fct_customs_lines), social-insurance months (marts.fct_employment) and fx capital-account transactions
  (marts.fct_capital_flows). The rule reads every month of activity; the last before `first_silent_month` is where
  the silence starts, so an agency can be asked about it. An agency with none before the span (the span starting
  with the data) has no row.
"""
from __future__ import annotations

from workbench.evidence import threshold
from workbench.records_behind.model import Behind, Group, fetch, into_groups, of_kinds

PROJECT_COLUMNS = ("project_code", "irc_number", "enterprise_name", "status", "issued_on", "expires_on", "period",
                   "delivery_id")
ACTIVITY_COLUMNS = ("agency", "dataset", "period", "record_key", "record_date", "delivery_id")
SNAPSHOT_COLUMNS = ("project_code", "period", "irc_number", "status", "issued_on", "expires_on", "stale", "delivery_id")


def _expired_active(pg, flag_row: dict, evidence: dict) -> Behind:
    projects = [p["project_code"] for p in evidence.get("projects") or []]
    rows = fetch(pg, """
        select array_position(%(projects)s, s.project_code) - 1 as i, s.project_code, s.snapshot_period as period,
               s.irc_number, s.status, s.issued_on, s.expires_on,
               s.status = 'active'
                   and s.expires_on + make_interval(months => %(grace)s) < to_date(s.snapshot_period, 'YYYY-MM')
                   as stale,
               s.delivery_id
        from marts.fct_project_snapshots as s
        -- as the rule reads the register: a project on a tax code, with a term
        where s.project_code = any(%(projects)s) and s.tax_code = %(tax_code)s and s.expires_on is not null
        order by i, s.snapshot_period
        """, {"projects": projects, "tax_code": flag_row["tax_code"], "grace": int(threshold("REG01", "grace_months"))})
    return Behind("project_snapshots", SNAPSHOT_COLUMNS, into_groups([Group({"project_code": p}) for p in projects], rows))


def _dormant_project(pg, flag_row: dict, evidence: dict):
    params = {"tax_code": flag_row["tax_code"], "enterprise_id": flag_row["enterprise_id"],
              "first": evidence["first_silent_month"]}
    projects = fetch(pg, """
        select 0 as i, p.project_code, p.irc_number, p.enterprise_name, p.status, p.issued_on, p.expires_on,
               p.snapshot_period as period, k.delivery_id
        from marts.dim_project as p
        left join marts.enterprise_links as k
          on k.agency = 'registry' and k.dataset = 'projects' and k.period = p.snapshot_period
         and k.source_key = p.project_code
        where p.tax_code = %(tax_code)s and p.status = 'active'
        order by p.project_code
        """, params)
    activity = fetch(pg, """
        with activity as (
            select 'tax' as agency, 'payments' as dataset, k.period, k.source_key as record_key,
                   null::date as record_date, k.delivery_id
            from marts.enterprise_links as k
            where k.agency = 'tax' and k.dataset = 'payments' and k.enterprise_id = %(enterprise_id)s
              and k.period < %(first)s
            union all
            -- a return counts in the month it was filed
            select 'tax', 'cit_returns', to_char(t.filed_on, 'YYYY-MM'), k.source_key, t.filed_on, t.delivery_id
            from marts.fct_tax_returns as t
            join marts.enterprise_links as k
              on k.agency = 'tax' and k.dataset = 'cit_returns' and k.delivery_id = t.delivery_id
             and k.row_number = t.row_number
            where t.tax_code = %(tax_code)s and to_char(t.filed_on, 'YYYY-MM') < %(first)s
            union all
            select 'customs', 'declarations', l.period, l.declaration_no || '|' || l.line_no, l.registered_on,
                   l.delivery_id
            from marts.fct_customs_lines as l
            where l.tax_code = %(tax_code)s and l.period < %(first)s
            union all
            select 'labour', 'employment', e.period, e.si_unit_code || '|' || e.period, null, k.delivery_id
            from marts.fct_employment as e
            left join marts.enterprise_links as k
              on k.agency = 'labour' and k.dataset = 'employment' and k.period = e.period
             and k.source_key = e.si_unit_code || '|' || e.period
            where e.enterprise_id = %(enterprise_id)s and e.period < %(first)s
            union all
            select 'fx', 'capital_flows', f.period, f.txn_id, f.value_date, k.delivery_id
            from marts.fct_capital_flows as f
            left join marts.enterprise_links as k
              on k.agency = 'fx' and k.dataset = 'capital_flows' and k.period = f.period and k.source_key = f.txn_id
            where f.tax_code = %(tax_code)s and f.period < %(first)s
        )
        select 0 as i, a.agency, a.dataset, a.period, a.record_key, a.record_date, a.delivery_id
        from activity as a
        where a.period = (select max(b.period) from activity as b where b.agency = a.agency)
        order by a.agency, a.dataset, a.record_key
        """, params)
    groups = [Group({"records": "active_projects"}, columns=PROJECT_COLUMNS),
              Group({"records": "last_activity"}, columns=ACTIVITY_COLUMNS)]
    for group, rows in zip(groups, (projects, activity)):
        into_groups([group], rows)
    return of_kinds("dormant_project_records", groups)


PAGES = {"REG01": _expired_active, "REG02": _dormant_project}
LINKS = {"REG01": lambda evidence: {"key": "see_project_snapshots", "n": None},
         "REG02": lambda evidence: {"key": "see_dormant_project_records", "n": None}}
