"""REL01: per undisclosed party, every record of the year the rule summed (or counted) for it: customs lines
(marts.fct_customs_lines, any flow), fx loan drawdowns, repayments and interest (marts.fct_capital_flows, by value
date) and loans outstanding (marts.fct_loans, one row per loan: its greatest balance of the year).

A record belongs to the party when its counterparty, as written, is one of the party's `written_as` names in the
evidence: the rule groups its dealings by the written name and names every one that normalise_party makes that
party, in that enterprise-year and agency, so these are exactly the records whose counterparty normalises to it,
and no normalised name has to be stored per record. Per dealing they are as many as its `records` and add up to
its `amount_vnd`, so per party and in all to the flag's `undisclosed_vnd`."""
from __future__ import annotations

import json

from workbench.records_behind.model import Behind, Group, fetch, into_groups

# a customs line, an fx flow or a loan each in one row; amount_vnd is what the rule summed (empty for a loan: a
# balance is no dealing of the year), balance_vnd a loan's greatest balance of the year
DEALING_COLUMNS = ("agency", "record_key", "line_no", "record_date", "period", "counterparty_name",
                   "counterparty_country", "record_type", "currency", "amount", "amount_vnd", "balance_vnd")
LOAN_FLOWS = ("loan_drawdown", "loan_repayment", "interest_payment")  # the fx flows REL01 counts as dealings


def _undisclosed_dealings(pg, flag_row: dict, evidence: dict) -> Behind:
    """Per party of the evidence, the year's records of each of its dealings, as the rule's `dealings` read them
    (flag_rel01_undisclosed_related_party): the same filters, year and written name."""
    dealings = evidence.get("dealings") or []
    parties = {}  # party -> its group, in the evidence's order
    for d in dealings:
        parties.setdefault(d["party"], Group({"party": d["party"], "relationship": d["relationship"]}))
    order = {party: i for i, party in enumerate(parties)}
    rows = fetch(pg, """
        with dealings as (
            select * from jsonb_to_recordset(%(dealings)s::jsonb) as d(i int, agency text, written_as text)
        ),
        records as (
            select d.i, 'customs' as agency, l.declaration_no as record_key, l.line_no, l.registered_on as record_date,
                   l.period, l.partner_name as counterparty_name, l.partner_country as counterparty_country,
                   l.flow as record_type, null::text as currency, null::numeric as amount,
                   l.customs_value_vnd::numeric as amount_vnd, null::numeric as balance_vnd
            from dealings as d
            join marts.fct_customs_lines as l on l.partner_name = d.written_as
            where d.agency = 'customs' and l.enterprise_id = %(enterprise_id)s and left(l.period, 4) = %(year)s
            union all
            select d.i, 'fx', f.txn_id, null, f.value_date, f.period, f.counterparty_name, f.counterparty_country,
                   f.flow_type, f.currency, f.amount, f.amount_vnd, null
            from dealings as d
            join marts.fct_capital_flows as f on f.counterparty_name = d.written_as
            where d.agency = 'fx' and f.enterprise_id = %(enterprise_id)s
              and extract(year from f.value_date) = %(year)s::int and f.flow_type = any(%(loan_flows)s)
            union all
            -- a loan once per dealing, at its greatest balance of the year (of equal ones, the latest
            -- snapshot): the rule counts loans, not their monthly snapshots, and states the greatest balance
            select * from (
                select distinct on (d.i, d.written_as, n.lender_code, n.loan_id)
                       d.i, 'credit' as agency, n.lender_code || '|' || n.loan_id as record_key, null::int as line_no,
                       n.report_date, n.snapshot_period, n.lender_name, n.lender_country, n.lender_kind, n.currency,
                       n.outstanding_amount, null::numeric as amount_vnd, n.outstanding_amount_vnd::numeric as balance
                from dealings as d
                join marts.fct_loans as n on n.lender_name = d.written_as
                where d.agency = 'credit' and n.enterprise_id = %(enterprise_id)s
                  and left(n.snapshot_period, 4) = %(year)s and n.outstanding_amount_vnd > 0
                order by d.i, d.written_as, n.lender_code, n.loan_id, n.outstanding_amount_vnd desc,
                         n.snapshot_period desc
            ) as loans
        )
        select * from records
        order by i, amount_vnd desc nulls last, balance_vnd desc nulls last, record_date, record_key, line_no
        """, {"dealings": json.dumps([{"i": order[d["party"]], "agency": d["agency"], "written_as": d["written_as"]}
                                       for d in dealings]),
              "enterprise_id": flag_row["enterprise_id"], "year": flag_row["period"][:4], "loan_flows": list(LOAN_FLOWS)})
    groups = into_groups(list(parties.values()), rows)
    return Behind("undisclosed_dealings", ("party", "relationship") + DEALING_COLUMNS, groups)


PAGES = {"REL01": _undisclosed_dealings}
LINKS = {"REL01": lambda evidence: {
    "key": "see_undisclosed_dealings", "n": sum(int(d.get("records") or 0) for d in evidence.get("dealings") or [])}}
