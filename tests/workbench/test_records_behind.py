"""The records behind a finding: a reviewer can check a price, capital, repatriation or related-party flag against
the agency's own declaration lines, transactions and loans, each with a key to ask the agency about
(workbench/records_behind.py)."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from workbench import records_behind

pytestmark = pytest.mark.e2e


def _flags(db, rule_code: str) -> list[tuple[str, dict]]:
    rows = db.execute("select flag_id, evidence from risk.flags where rule_code = %s order by flag_id",
                      (rule_code,)).fetchall()
    return [(flag_id, ev if isinstance(ev, dict) else json.loads(ev)) for flag_id, ev in rows]


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _flags_with_records(db, monitor, rule_code: str) -> list[tuple[str, dict, list[dict]]]:
    """Each flag of the rule, its evidence and its records as downloaded; its page links to them."""
    flags = _flags(db, rule_code)
    assert flags, f"the test economy has no {rule_code} flag to check"
    found = []
    for flag_id, evidence in flags:
        assert f'href="/flags/{flag_id}/records"' in monitor.get(f"/flags/{flag_id}").text
        found.append((flag_id, evidence, _csv(monitor.get(f"/flags/{flag_id}/records.csv"))))
    return found


@pytest.mark.parametrize("rule_code", ["TP01", "TP02"])
def test_a_price_flag_lists_every_related_line_its_rule_read(economy, monitor, rule_code):
    """Per good, the lines listed are as many as the evidence's related_lines, and the value each moved at the
    median adds up to the evidence's shifted value: the list is the finding, line by line."""
    _, db = economy
    for flag_id, evidence, lines in _flags_with_records(db, monitor, rule_code):
        for good in evidence["goods"]:
            mine = [r for r in lines if (r["hs_code"], r["unit"]) == (good["hs_code"], good["unit"])]
            assert len(mine) == good["related_lines"], (flag_id, good["hs_code"])
            moved = sum(Decimal(r["shifted_vnd"]) for r in mine)
            # at the median as the evidence rounds it (2 decimals), over the good's whole quantity
            assert abs(moved - Decimal(str(good["shifted_value_vnd"]))) <= Decimal("0.01") * Decimal(
                str(good["related_quantity"])) + len(mine), (flag_id, good["hs_code"])
            assert all(r["declaration_no"] and r["delivery_id"] for r in mine)
        assert len(lines) == sum(g["related_lines"] for g in evidence["goods"])
        # each line is the agency's: its declaration and line are in the customs lines in force, related-party
        keys = {(r["declaration_no"], int(r["line_no"])) for r in lines}
        found = db.execute("select count(*) from marts.fct_customs_lines where is_related_party "
                           "and (declaration_no, line_no) in (select * from unnest(%s::text[], %s::int[]))",
                           ([k[0] for k in keys], [k[1] for k in keys])).fetchone()[0]
        assert found == len(keys)


def test_the_records_page_shows_the_lines_that_moved_most_first_and_downloads_all(economy, monitor):
    _, db = economy
    flag_id, evidence = max(_flags(db, "TP01") + _flags(db, "TP02"),
                            key=lambda f: sum(g["related_lines"] for g in f[1]["goods"]))
    lines = _csv(monitor.get(f"/flags/{flag_id}/records.csv"))
    html = monitor.get(f"/flags/{flag_id}/records").text
    top = max(lines, key=lambda r: Decimal(r["shifted_vnd"]))
    assert top["declaration_no"] in html
    assert "Các dòng tờ khai hải quan đứng sau phát hiện" in html and "Số tờ khai" in html
    sheet = openpyxl.load_workbook(io.BytesIO(monitor.get(f"/flags/{flag_id}/records.xlsx").content)).active
    assert sheet.max_row - 1 == len(lines)
    assert [c.value for c in sheet[1]][:3] == ["hs_code", "unit", "declaration_no"]


def test_a_capital_flag_lists_the_contributions_its_rule_added_up(economy, monitor):
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "CAP01"):
        assert sum(Decimal(r["amount_usd"]) for r in rows) == Decimal(str(evidence["contributed_usd"]))
        assert {r["project_code"] for r in rows} <= {p["project_code"] for p in evidence["projects"]}
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert "Các khoản góp vốn trong thời hạn góp vốn" in html
        if rows:
            assert all(r["txn_id"] in html for r in rows)
        else:
            assert "Không có khoản góp vốn nào được ghi nhận trong thời hạn." in html


def test_a_repatriation_flag_lists_the_transfers_its_rule_counted(economy, monitor):
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP07"):
        assert len(rows) == evidence["transfers"]
        assert sum(Decimal(r["amount_usd"]) for r in rows) == Decimal(str(evidence["repatriated_usd"]))
        assert min(r["value_date"] for r in rows) == evidence["first_transfer_on"]
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert all(r["txn_id"] in html for r in rows)


def _amount(row: dict) -> Decimal:
    return Decimal(row["amount_vnd"] or 0)


def test_a_related_party_flag_lists_every_record_its_rule_counted(economy, monitor):
    """Per undisclosed dealing, the records listed are as many as the evidence's `records`, their amounts add up
    to its `amount_vnd` (a loan: its greatest balance is the evidence's `balance_vnd`) and its first record is
    among them; per party and in all they add up to the undisclosed value."""
    _, db = economy
    checked = 0
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "REL01"):
        dealings = evidence["dealings"]
        for d in dealings:
            mine = [r for r in rows if (r["party"], r["agency"], r["counterparty_name"]) ==
                    (d["party"], d["agency"], d["written_as"])]
            assert len(mine) == d["records"], (flag_id, d)
            if d["agency"] == "credit":  # a balance is no dealing of the year: no amount, the greatest balance
                assert d["amount_vnd"] is None and all(r["amount_vnd"] == "" for r in mine)
                assert max(Decimal(r["balance_vnd"]) for r in mine) == Decimal(str(d["balance_vnd"])), (flag_id, d)
            else:
                assert sum(_amount(r) for r in mine) == Decimal(str(d["amount_vnd"])), (flag_id, d)
            keys = {f"{r['record_key']}|{r['line_no']}" if d["agency"] == "customs" else r["record_key"] for r in mine}
            assert d["first_record"] in keys, (flag_id, d)
            checked += len(mine)
        for party in {d["party"] for d in dealings}:
            listed = sum(_amount(r) for r in rows if r["party"] == party)
            assert listed == sum(Decimal(str(d["amount_vnd"] or 0)) for d in dealings if d["party"] == party)
        assert len(rows) == sum(d["records"] for d in dealings)
        assert sum(_amount(r) for r in rows) == Decimal(str(evidence["undisclosed_vnd"]))
    assert checked > 0


def test_each_record_behind_a_related_party_flag_is_one_its_rule_could_count(economy, monitor):
    """Each record listed is the agency's, of the flag's enterprise and year, of a kind the rule counts (a loan
    flow, a loan outstanding), with the counterparty written as listed; and per party and agency the records add
    up to what the network, which groups by normalise_party on its own, holds for that party in that year: the
    counterparties normalise to the party (intermediate.int_customs_partner_years, int_relationship_years)."""
    _, db = economy
    for flag_id, _evidence, rows in _flags_with_records(db, monitor, "REL01"):
        enterprise_id, year = db.execute("select enterprise_id, period from risk.flags where flag_id = %s",
                                         (flag_id,)).fetchone()
        listed = json.dumps([{k: r[k] or None for k in ("agency", "record_key", "line_no", "counterparty_name")}
                             for r in rows])
        found = db.execute("""
            select count(*) from jsonb_to_recordset(%(rows)s::jsonb)
                as r(agency text, record_key text, line_no int, counterparty_name text)
            where exists (select 1 from marts.fct_customs_lines as l
                          where r.agency = 'customs' and l.declaration_no = r.record_key and l.line_no = r.line_no
                            and l.enterprise_id = %(e)s and left(l.period, 4) = %(y)s
                            and l.partner_name = r.counterparty_name)
               or exists (select 1 from marts.fct_capital_flows as f
                          where r.agency = 'fx' and f.txn_id = r.record_key and f.enterprise_id = %(e)s
                            and extract(year from f.value_date) = %(y)s::int and f.counterparty_name = r.counterparty_name
                            and f.flow_type in ('loan_drawdown', 'loan_repayment', 'interest_payment'))
               or exists (select 1 from marts.fct_loans as n
                          where r.agency = 'credit' and n.lender_code || '|' || n.loan_id = r.record_key
                            and n.enterprise_id = %(e)s and left(n.snapshot_period, 4) = %(y)s
                            and n.lender_name = r.counterparty_name and n.outstanding_amount_vnd > 0)
            """, {"rows": listed, "e": enterprise_id, "y": year}).fetchone()[0]
        assert found == len(rows), flag_id
        for party, agency in {(r["party"], r["agency"]) for r in rows}:
            mine = [r for r in rows if (r["party"], r["agency"]) == (party, agency)]
            if agency == "customs":
                network = db.execute("select lines, customs_value_vnd from intermediate.int_customs_partner_years "
                                     "where fiscal_year = %s and enterprise_id = %s and party = %s",
                                     (year, enterprise_id, party)).fetchone()
                assert network == (len(mine), sum(_amount(r) for r in mine)), (flag_id, party)
            else:
                network = db.execute("select records, amount_vnd from intermediate.int_relationship_years "
                                     "where year = %s and enterprise_id = %s and related_party = %s "
                                     "and relationship = 'lender' and agency = %s",
                                     (year, enterprise_id, party, agency)).fetchone()
                figure = (sum(_amount(r) for r in mine) if agency == "fx"  # fx: the flows; credit: the balance
                          else max(Decimal(r["balance_vnd"]) for r in mine))
                assert network is not None and network[1] == figure, (flag_id, party, agency)
                if agency == "fx":
                    assert network[0] == len(mine), (flag_id, party)


def test_a_related_party_records_page_names_each_party_and_its_records(economy, monitor):
    _, db = economy
    flag_id, evidence = max(_flags(db, "REL01"), key=lambda f: sum(d["records"] for d in f[1]["dealings"]))
    html = monitor.get(f"/flags/{flag_id}/records").text
    assert "Các bản ghi giao dịch với bên liên kết không kê khai" in html and "Bên liên kết" in html
    assert all(d["party"] in html and d["first_record"].split("|")[0] in html for d in evidence["dealings"])
    sheet = openpyxl.load_workbook(io.BytesIO(monitor.get(f"/flags/{flag_id}/records.xlsx").content)).active
    assert sheet.max_row - 1 == sum(d["records"] for d in evidence["dealings"])
    assert [c.value for c in sheet[1]][:4] == ["party", "relationship", "agency", "record_key"]


def test_a_rule_without_a_list_of_records_has_no_records_page(economy, monitor):
    _, db = economy
    flag_id = db.execute("select flag_id from risk.flags where rule_code not in "
                         "('TP01', 'TP02', 'CAP01', 'TP07', 'REL01') limit 1").fetchone()[0]
    assert "/records" not in monitor.get(f"/flags/{flag_id}").text
    for path in (f"/flags/{flag_id}/records", f"/flags/{flag_id}/records.csv", "/flags/0000000000000000/records"):
        assert monitor.get(path).status_code == 404, path


def test_the_records_behind_a_related_party_flag_are_those_of_its_dealings_kinds_and_year(db):
    """On hand-made rows (the test economy's REL01 flags trade only, under one written name): each dealing's
    records are the enterprise's of the year under that written name, the customs lines of any flow, the fx loan
    flows by value date (not a capital contribution, not a repayment of January dated in the next year), a loan
    once at its greatest balance of the year (not a month without balance); another enterprise's, another
    year's and another partner's are not listed."""
    db.execute("""create table marts.fct_customs_lines (enterprise_id text, period text, declaration_no text,
                  line_no int, registered_on date, partner_name text, partner_country text, flow text,
                  customs_value_vnd numeric)""")
    db.execute("""insert into marts.fct_customs_lines values
        ('E1', '2023-03', 'D1', 1, '2023-03-02', 'HANIL GROUP', 'KR', 'IM', 100),
        ('E1', '2023-03', 'D1', 2, '2023-03-02', 'HANIL GROUP', 'KR', 'EX', 50),
        ('E1', '2023-07', 'D2', 1, '2023-07-09', 'Hanil Group Co., Ltd.', 'KR', 'IM', 30),
        ('E1', '2023-05', 'D6', 1, '2023-05-04', 'BEAUMONT', 'FR', 'IM', 20),
        ('E1', '2022-12', 'D3', 1, '2022-12-28', 'HANIL GROUP', 'KR', 'IM', 999),
        ('E2', '2023-05', 'D4', 1, '2023-05-04', 'HANIL GROUP', 'KR', 'IM', 999),
        ('E1', '2023-05', 'D5', 1, '2023-05-04', 'OTHER PARTNER', 'KR', 'IM', 999)""")
    db.execute("""create table marts.fct_capital_flows (txn_id text, enterprise_id text, period text, value_date date,
                  flow_type text, currency text, amount numeric, amount_vnd numeric, counterparty_name text,
                  counterparty_country text)""")
    db.execute("""insert into marts.fct_capital_flows values
        ('T1', 'E1', '2023-02', '2023-02-01', 'loan_drawdown', 'USD', 40, 1000, 'HANIL GROUP CO LTD', 'KR'),
        ('T2', 'E1', '2023-12', '2023-12-31', 'interest_payment', 'USD', 0.4, 10, 'HANIL GROUP CO LTD', 'KR'),
        ('T3', 'E1', '2023-06', '2023-06-30', 'capital_contribution', 'USD', 200, 5000, 'HANIL GROUP CO LTD', 'KR'),
        ('T4', 'E1', '2023-12', '2024-01-02', 'loan_repayment', 'USD', 4, 100, 'HANIL GROUP CO LTD', 'KR')""")
    db.execute("""create table marts.fct_loans (lender_code text, loan_id text, snapshot_period text, report_date date,
                  enterprise_id text, lender_name text, lender_country text, lender_kind text, currency text,
                  outstanding_amount numeric, outstanding_amount_vnd numeric)""")
    db.execute("""insert into marts.fct_loans values
        ('B1', 'L1', '2023-01', '2023-01-31', 'E1', 'Hanil Group', 'KR', 'foreign', 'USD', 32, 800),
        ('B1', 'L1', '2023-02', '2023-02-28', 'E1', 'Hanil Group', 'KR', 'foreign', 'USD', 36, 900),
        ('B1', 'L1', '2023-03', '2023-03-31', 'E1', 'Hanil Group', 'KR', 'foreign', 'USD', 28, 700),
        ('B1', 'L1', '2024-01', '2024-01-31', 'E1', 'Hanil Group', 'KR', 'foreign', 'USD', 40, 1000),
        ('B1', 'L2', '2023-06', '2023-06-30', 'E1', 'Hanil Group', 'KR', 'foreign', 'USD', 0, 0)""")
    hanil = {"party": "hanil group", "relationship": "investor"}
    evidence = {"undisclosed_vnd": 1210, "dealings": [  # as the rule writes them (agency, party, written name)
        {**hanil, "agency": "credit", "written_as": "Hanil Group", "records": 1, "amount_vnd": None,
         "balance_vnd": 900, "first_record": "B1|L1"},
        {**hanil, "agency": "customs", "written_as": "HANIL GROUP", "records": 2, "amount_vnd": 150,
         "first_record": "D1|1"},
        {**hanil, "agency": "customs", "written_as": "Hanil Group Co., Ltd.", "records": 1, "amount_vnd": 30,
         "first_record": "D2|1"},
        {"party": "beaumont", "relationship": "same_group", "agency": "customs", "written_as": "BEAUMONT",
         "records": 1, "amount_vnd": 20, "first_record": "D6|1"},
        {**hanil, "agency": "fx", "written_as": "HANIL GROUP CO LTD", "records": 2, "amount_vnd": 1010,
         "first_record": "T1"}]}
    behind = records_behind.records_behind(db, {"rule_code": "REL01", "enterprise_id": "E1", "tax_code": "0200000014",
                                                "period": "2023"}, evidence)
    assert [g.title for g in behind.groups] == [hanil, {"party": "beaumont", "relationship": "same_group"}]
    listed = [[(r["agency"], r["record_key"], r["line_no"], r["amount_vnd"]) for r in g.rows] for g in behind.groups]
    assert listed == [[("fx", "T1", None, 1000), ("customs", "D1", 1, 100), ("customs", "D1", 2, 50),
                       ("customs", "D2", 1, 30), ("fx", "T2", None, 10), ("credit", "B1|L1", None, None)],
                      [("customs", "D6", 1, 20)]]
    loan = behind.groups[0].rows[-1]
    assert (loan["period"], loan["balance_vnd"], loan["counterparty_name"]) == ("2023-02", 900, "Hanil Group")
    assert all(r["party"] == g.title["party"] for g in behind.groups for r in g.rows)
    assert records_behind.link({"rule_code": "REL01"}, evidence) == {"key": "see_undisclosed_dealings", "n": 7}
