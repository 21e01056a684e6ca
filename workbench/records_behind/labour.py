"""ABS01: the records of the arrears streak and of the signs the rule counted with it.

* The employment months (marts.fct_employment, the enterprise's social-insurance units) from the observation
  the streak rose from to its last rise, each unit-month with its delivery (marts.enterprise_links) and the
  enterprise's arrears of the month (`arrears_vnd`, the units' sum: what the rule compares). A month of the
  span without a record of the enterprise is a row of its own, with the labour data's status that month
  (marts.dataset_coverage): the rule bridges it, neither a rise nor a fall. The months with records from
  `first_rising_month` on are as many as `rising_months`, the greatest arrears is `peak_arrears_vnd` and the
  months without one are `labour_months_without_data`.
* The capital outflows (divestment, capital transfer) of the enterprise from the streak's first month to
  window_months after its last (marts.fct_capital_flows, by period, as the rule reads them): the outflow signs.
* When tax payments stopping is a sign: the enterprise's last month of payments, each payment of it with its
  key and delivery (marts.enterprise_links of tax payments, whose records no public schema holds otherwise).

A stoppage with cause owner_absconded is a record of the labour agency no public schema holds: its sign in the
evidence (with its start date) is all the workbench can show of it.
"""
from __future__ import annotations

from workbench.evidence import threshold
from workbench.records_behind.capital import FLOW_COLUMNS
from workbench.records_behind.model import Group, fetch, into_groups, of_kinds

EMPLOYMENT_COLUMNS = ("period", "si_unit_code", "employer_name", "employees_total", "si_contribution_due_vnd",
                      "si_contribution_paid_vnd", "si_arrears_vnd", "arrears_vnd", "coverage", "delivery_id")
PAYMENT_COLUMNS = ("period", "record_key", "delivery_id")
OUTFLOW_SIGNS = ("divestment", "capital_transfer")  # the fx outflows ABS01 reads as a departing owner's


def _absconding_owner(pg, flag_row: dict, evidence: dict):
    params = {"enterprise_id": flag_row["enterprise_id"], "tax_code": flag_row["tax_code"],
              "first": evidence["first_rising_month"], "last": evidence["last_rising_month"],
              "window": int(threshold("ABS01", "window_months")), "outflows": list(OUTFLOW_SIGNS)}
    employment = fetch(pg, """
        with months as (
            select e.period, e.si_unit_code, e.employer_name, e.employees_total, e.si_contribution_due_vnd,
                   e.si_contribution_paid_vnd, e.si_arrears_vnd,
                   sum(e.si_arrears_vnd) over (partition by e.period) as arrears_vnd
            from marts.fct_employment as e
            where e.enterprise_id = %(enterprise_id)s and e.period <= %(last)s
        ),
        -- the observation the streak rose from: the enterprise's last month before it
        span as (
            select coalesce((select max(period) from months where period < %(first)s), %(first)s) as first_period
        ),
        calendar as (
            select to_char(m, 'YYYY-MM') as period
            from span, generate_series(to_date(span.first_period, 'YYYY-MM'), to_date(%(last)s, 'YYYY-MM'),
                                       interval '1 month') as m
        )
        select 0 as i, c.period, m.si_unit_code, m.employer_name, m.employees_total, m.si_contribution_due_vnd,
               m.si_contribution_paid_vnd, m.si_arrears_vnd, m.arrears_vnd,
               -- a month without the enterprise's record: why there is none
               case when m.period is null then coalesce(v.status, 'missing') end as coverage,
               k.delivery_id
        from calendar as c
        left join months as m on m.period = c.period
        left join marts.dataset_coverage as v
          on m.period is null and v.agency = 'labour' and v.dataset = 'employment' and v.period = c.period
        left join marts.enterprise_links as k
          on k.agency = 'labour' and k.dataset = 'employment' and k.period = m.period
         and k.source_key = m.si_unit_code || '|' || m.period
        order by c.period, m.si_unit_code
        """, params)
    signs = fetch(pg, """
        select 0 as i, f.txn_id, f.value_date, f.period, f.currency, f.amount, f.amount_usd, f.account_no,
               f.bank_code, f.counterparty_name, f.counterparty_country, f.flow_type
        from marts.fct_capital_flows as f
        where f.enterprise_id = %(enterprise_id)s and f.direction = 'outflow' and f.flow_type = any(%(outflows)s)
          and f.period between %(first)s
              and to_char(to_date(%(last)s, 'YYYY-MM') + make_interval(months => %(window)s), 'YYYY-MM')
        order by f.value_date, f.txn_id
        """, params)
    payments = fetch(pg, """
        with paid as (
            select k.period, k.source_key, k.delivery_id
            from marts.enterprise_links as k
            where k.agency = 'tax' and k.dataset = 'payments' and k.enterprise_id = %(enterprise_id)s
        ),
        last_month as (select max(period) as period from paid),
        -- the stop is seen at the first month after the last payment whose payments data is complete
        seen as (
            select min(v.period) as period
            from marts.dataset_coverage as v, last_month as l
            where v.agency = 'tax' and v.dataset = 'payments' and v.status = 'complete' and v.period > l.period
        )
        select 0 as i, p.period, p.source_key as record_key, p.delivery_id
        from paid as p
        join last_month as l on l.period = p.period
        cross join seen as s
        where s.period between %(first)s
              and to_char(to_date(%(last)s, 'YYYY-MM') + make_interval(months => %(window)s), 'YYYY-MM')
        order by p.source_key
        """, params)
    groups = [Group({"records": "employment_months"}, columns=EMPLOYMENT_COLUMNS),
              Group({"records": "capital_outflows"}, columns=("flow_type",) + FLOW_COLUMNS),
              Group({"records": "last_tax_payments"}, columns=PAYMENT_COLUMNS)]
    for group, rows in zip(groups, (employment, signs, payments)):
        into_groups([group], rows)
    return of_kinds("arrears_records", groups)


PAGES = {"ABS01": _absconding_owner}
LINKS = {"ABS01": lambda evidence: {"key": "see_arrears_records", "n": evidence.get("rising_months")}}
