"""The records behind a finding: a reviewer can check a flag against the agency's own declaration lines,
transactions, loans, returns, disclosures, employment months, register and land snapshots, each with a key to ask
the agency about (workbench/records_behind/), and their figures reproduce the evidence's."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from workbench import i18n, records_behind

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


# Rules without a records page, and why (docs/workbench.md): NOM01's evidence names the network's relationship
# sources and a group's trade, not records of one dataset a key maps to
WITHOUT_RECORDS_PAGE = ("NOM01",)


@pytest.mark.parametrize("rule_code", WITHOUT_RECORDS_PAGE)
def test_a_rule_without_a_list_of_records_has_no_records_page(economy, monitor, rule_code):
    _, db = economy
    flag_id = db.execute("select flag_id from risk.flags where rule_code = %s limit 1", (rule_code,)).fetchone()[0]
    assert "/records" not in monitor.get(f"/flags/{flag_id}").text
    for path in (f"/flags/{flag_id}/records", f"/flags/{flag_id}/records.csv", "/flags/0000000000000000/records"):
        assert monitor.get(path).status_code == 404, path


def _of(rows: list[dict], kind: str) -> list[dict]:
    """The downloaded rows of one kind of record (the group title `records`)."""
    return [r for r in rows if r["records"] == kind]


def _int(value: str) -> int:
    return int(Decimal(value))


def _year(db, flag_id: str) -> int:
    return int(db.execute("select period from risk.flags where flag_id = %s", (flag_id,)).fetchone()[0])


def test_a_loss_run_flag_lists_the_returns_of_the_run_and_its_contributions(economy, monitor):
    """TP03: a return in force per loss year of the run, their EBIT adding up to the run's losses, the first
    year's and the last year's revenue the evidence's; the run's capital contributions add up to it too."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP03"):
        returns = _of(rows, "cit_returns")
        assert [int(r["fiscal_year"]) for r in returns] == list(range(evidence["first_loss_year"],
                                                                      evidence["first_loss_year"] + evidence["loss_years"]))
        assert sum(_int(r["ebit_vnd"]) for r in returns) == evidence["losses_in_run_vnd"], flag_id
        assert _int(returns[-1]["ebit_vnd"]) == evidence["ebit_vnd"]
        assert (_int(returns[0]["revenue_vnd"]), _int(returns[-1]["revenue_vnd"])) == (
            evidence["revenue_first_loss_year_vnd"], evidence["revenue_vnd"])
        assert all(r["delivery_id"] and r["tax_code_filed"] for r in returns)
        contributed = sum(Decimal(r["amount_usd"]) for r in _of(rows, "capital_contributions"))
        assert contributed == Decimal(str(evidence["capital_added_usd"])), flag_id


def test_a_low_margin_flag_lists_the_returns_of_its_comparison_period(economy, monitor):
    """TP04: the returns the weighted margin is made of (their EBIT over their revenue), the year's and the year
    before's figures the evidence's."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP04"):
        returns = {int(r["fiscal_year"]): r for r in _of(rows, "cit_returns")}
        assert len(returns) == evidence["years_compared"] == len(rows), flag_id
        ebit, revenue = (sum(_int(r[c]) for r in returns.values()) for c in ("ebit_vnd", "revenue_vnd"))
        assert round(Decimal(ebit) / revenue, 4) == Decimal(str(evidence["weighted_margin"])), flag_id
        year, prior = returns[_year(db, flag_id)], returns[_year(db, flag_id) - 1]
        assert (_int(year["ebit_vnd"]), _int(year["revenue_vnd"])) == (evidence["ebit_vnd"], evidence["revenue_vnd"])
        assert _int(prior["revenue_vnd"]) == evidence["prior_year_revenue_vnd"]
        assert round(Decimal(prior["ebit_vnd"]) / Decimal(prior["revenue_vnd"]), 4) == Decimal(
            str(evidence["prior_year_ebit_margin"]))
        assert all(r["delivery_id"] for r in returns.values())


LENDER_KINDS_VI = {"foreign_related_party": "bên liên kết nước ngoài", "foreign_lender": "bên cho vay nước ngoài"}


def test_an_interest_flag_lists_the_returns_of_its_earning_capacity_and_its_foreign_loans(economy, monitor):
    """TP05: the year's return gives the evidence's interest and EBITDA, the greatest EBITDA of the returns listed
    is the best of the period; the loans listed are those of the lenders the evidence names, each once."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP05"):
        year = _year(db, flag_id)
        returns = {int(r["fiscal_year"]): r for r in _of(rows, "cit_returns")}
        assert set(returns) <= set(range(year - 2, year + 1)) and year in returns
        mine = returns[year]
        for column in ("interest_expense_vnd", "ebitda_vnd", "profit_before_tax_vnd", "depreciation_vnd",
                       "revenue_vnd"):
            assert _int(mine[column]) == evidence[column], (flag_id, column)
        assert max(_int(r["ebitda_vnd"]) for r in returns.values()) == evidence["best_ebitda_of_period_vnd"]
        prior = returns.get(year - 1)
        assert (prior and _int(prior["revenue_vnd"])) == evidence["prior_year_revenue_vnd"] or (
            prior is None and evidence["prior_year_revenue_vnd"] is None), flag_id
        disclosed = _of(rows, "related_party_disclosures")
        assert {r["transaction_type"] for r in disclosed} <= {"interest_paid", "loan_received"}
        assert (sum(_int(r["amount_vnd"]) for r in disclosed) or None) == evidence["related_party_interest_or_loans_vnd"]
        assert {r["counterparty_name"] for r in disclosed} == set(
            (evidence["related_party_interest_or_loans"] or "").split("; ")) - {""}, flag_id
        loans = _of(rows, "foreign_loans")
        named = set((evidence["foreign_or_related_lenders"] or "").split("; ")) - {""}
        assert {f"{r['lender_name']} ({LENDER_KINDS_VI[r['lender_kind']]})" for r in loans} == named, flag_id
        assert len({(r["lender_code"], r["loan_id"]) for r in loans}) == len(loans)
        assert all(r["period"][:4] == str(year) and r["delivery_id"] for r in loans)


def test_an_absconding_owner_flag_lists_the_months_of_the_streak_and_the_signs(economy, monitor):
    """ABS01: from the month the streak rose from, the enterprise's arrears rise every month listed; the months
    with records from the first rising month are the evidence's rising months, their greatest arrears its peak,
    the months without one its months without data; each outflow sign and a stop of tax payments is a record."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "ABS01"):
        months = _of(rows, "employment_months")
        observed = {r["period"]: _int(r["arrears_vnd"]) for r in months if not r["coverage"]}
        rising = [p for p in observed if p >= evidence["first_rising_month"]]
        assert len(rising) == evidence["rising_months"] and max(rising) == evidence["last_rising_month"], flag_id
        arrears = [observed[p] for p in sorted(observed)]
        assert all(a < b for a, b in zip(arrears, arrears[1:])), flag_id
        assert max(arrears) == evidence["peak_arrears_vnd"]
        assert [r["period"] for r in months if r["coverage"]] == evidence["labour_months_without_data"]
        assert all(r["delivery_id"] for r in months if not r["coverage"])
        outflow_dates = {s.rsplit(" ", 1)[-1] for s in evidence["signs"]
                         if s.startswith(("thoái vốn", "chuyển nhượng vốn"))}
        listed = {"/".join(reversed(r["value_date"].split("-"))) for r in _of(rows, "capital_outflows")}
        assert listed == outflow_dates, flag_id
        stop = [s.rsplit(" ", 1)[-1] for s in evidence["signs"] if s.startswith("ngừng nộp thuế")]
        payments = _of(rows, "last_tax_payments")
        assert {r["period"] for r in payments} == set(stop), flag_id
        assert all(r["record_key"] and r["delivery_id"] for r in payments)


def test_a_dormant_project_flag_lists_its_projects_and_the_last_activity_before_the_silence(economy, monitor):
    """REG02: the projects active in the register are the evidence's, each with its register delivery; every
    activity listed is of a month before the silent span, one month per agency."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "REG02"):
        projects = _of(rows, "active_projects")
        assert ", ".join(r["project_code"] for r in projects) == evidence["active_projects"], flag_id
        assert all(r["status"] == "active" and r["delivery_id"] for r in projects)
        activity = _of(rows, "last_activity")
        assert all(r["period"] < evidence["first_silent_month"] for r in activity), flag_id
        per_agency = {}
        for r in activity:
            per_agency.setdefault(r["agency"], set()).add(r["period"])
        assert all(len(periods) == 1 for periods in per_agency.values())
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert "Dự án đang hoạt động trong sổ đăng ký" in html and all(r["project_code"] in html for r in projects)
        # each activity's dataset in the reviewer's words, its code in the tooltip
        for r in activity:
            assert f'<td title="{r["agency"]}/{r["dataset"]}">{i18n.dataset(r["agency"], r["dataset"], "vi", False)}</td>' \
                in html, (flag_id, r["dataset"])


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


def test_a_royalties_flag_lists_its_return_and_the_disclosures_it_added_up(economy, monitor):
    """TP06: the year's return gives the evidence's revenue and loss; the year's royalty and service-purchase
    disclosures add up to its royalties and service fees, their counterparties are its counterparties."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "TP06"):
        (mine,) = _of(rows, "cit_returns")
        assert int(mine["fiscal_year"]) == _year(db, flag_id)
        assert (_int(mine["revenue_vnd"]), _int(mine["profit_before_tax_vnd"])) == (
            evidence["revenue_vnd"], evidence["profit_before_tax_vnd"])
        disclosed = _of(rows, "related_party_disclosures")
        for kind, figure in (("royalty", "royalties_vnd"), ("service_purchase", "service_fees_vnd")):
            assert sum(_int(r["amount_vnd"]) for r in disclosed if r["transaction_type"] == kind) == evidence[figure]
        assert len(disclosed) == len({(r["tax_code_filed"], r["counterparty_name"], r["transaction_type"])
                                      for r in disclosed})
        assert {r["counterparty_name"] for r in disclosed} == set(evidence["counterparties"].split("; "))
        assert all(r["delivery_id"] for r in rows)
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert "Tờ khai giao dịch liên kết của năm (Phụ lục I)" in html


def test_an_idle_land_flag_lists_every_month_of_its_span_with_its_snapshot_or_gap(economy, monitor):
    """LAND01: per lease, a row per month of the idle span: as many as its idle months; those with a snapshot are
    its snapshots observed, each active and under the threshold, the greatest share in use and area the
    evidence's; those without one are its coverage gaps."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "LAND01"):
        assert {r["lease_id"] for r in rows} == {x["lease_id"] for x in evidence["leases"]}
        for lease in evidence["leases"]:
            months = [r for r in rows if r["lease_id"] == lease["lease_id"]]
            assert len(months) == lease["idle_months"], (flag_id, lease["lease_id"])
            assert (months[0]["period"], months[-1]["period"]) == (lease["first_idle_month"], lease["last_idle_month"])
            seen = [r for r in months if not r["coverage"]]
            assert len(seen) == lease["snapshots_observed"]
            assert all(r["status"] == "active" and r["delivery_id"] and r["parcel_no"] == lease["parcel_no"] and
                       Decimal(r["in_use_share"]) < Decimal(str(evidence["max_in_use_share"])) for r in seen)
            assert max(Decimal(r["in_use_share"]) for r in seen) == Decimal(str(lease["max_in_use_share"]))
            assert max(Decimal(r["area_m2"]) for r in seen) == Decimal(str(lease["area_m2"]))
            assert [f"{r['period']} {r['coverage']}" for r in months if r["coverage"]] == lease["coverage_gaps"]
        html = monitor.get(f"/flags/{flag_id}/records").text
        assert "Các kỳ báo cáo của hợp đồng thuê đất trong thời gian bỏ trống" in html


def test_an_expired_project_flag_lists_the_register_snapshots_it_read(economy, monitor):
    """REG01: per project, its register snapshots; those marked stale (active, term expired) are as many as the
    evidence's stale snapshots, from its first to its last, with its expiry date."""
    _, db = economy
    for flag_id, evidence, rows in _flags_with_records(db, monitor, "REG01"):
        for project in evidence["projects"]:
            mine = [r for r in rows if r["project_code"] == project["project_code"]]
            stale = [r for r in mine if r["stale"] == "True"]
            assert len(stale) == project["stale_snapshots"], (flag_id, project["project_code"])
            assert (stale[0]["period"], stale[-1]["period"]) == (project["first_snapshot_stale"],
                                                                  project["last_snapshot_stale"])
            assert min(r["expires_on"] for r in stale) == project["expires_on"]
            assert all(r["status"] == "active" and r["expires_on"] < r["period"] for r in stale)
            assert all(r["delivery_id"] for r in mine)
            assert len({r["period"] for r in mine}) == len(mine)


def test_a_month_without_a_snapshot_or_record_is_a_gap_row_saying_why(db):
    """On hand-made rows (the test economy has no gap): an idle span's month without the lease's snapshot, and an
    arrears streak's month without the enterprise's record, are rows of their own with the data's status that
    month (not delivered when the coverage has no row); another enterprise's snapshot is not the flag's."""
    db.execute("create table marts.dataset_coverage (agency text, dataset text, period text, status text)")
    db.execute("insert into marts.dataset_coverage values ('land', 'leases', '2023-03', 'rejected'), "
               "('labour', 'employment', '2023-06', 'rejected')")
    db.execute("""create table marts.fct_land_leases (lease_id text, snapshot_period text, enterprise_id text,
                  parcel_no text, industrial_zone_code text, status text, area_m2 numeric, in_use_area_m2 numeric,
                  delivery_id text)""")
    db.execute("""insert into marts.fct_land_leases values
        ('L1', '2023-01', 'E1', 'P1', 'KCN', 'active', 2000, 200, 'D1'),
        ('L1', '2023-02', 'E1', 'P1', 'KCN', 'active', 2000, 300, 'D2'),
        ('L1', '2023-04', 'E2', 'P1', 'KCN', 'active', 2000, 100, 'D4'),
        ('L1', '2023-05', 'E1', 'P1', 'KCN', 'active', 2000, 100, 'D5')""")
    lease = {"lease_id": "L1", "parcel_no": "P1", "first_idle_month": "2023-01", "last_idle_month": "2023-05"}
    behind = records_behind.records_behind(db, {"rule_code": "LAND01", "enterprise_id": "E1", "tax_code": "0200000014",
                                                "period": "2024-12"}, {"leases": [lease]})
    (group,) = behind.groups
    assert [(r["period"], r["coverage"], r["parcel_no"], r["in_use_share"], r["delivery_id"]) for r in group.rows] == [
        ("2023-01", None, "P1", Decimal("0.1000"), "D1"), ("2023-02", None, "P1", Decimal("0.1500"), "D2"),
        ("2023-03", "rejected", "P1", None, None), ("2023-04", "missing", "P1", None, None),
        ("2023-05", None, "P1", Decimal("0.0500"), "D5")]

    db.execute("""create table marts.fct_employment (si_unit_code text, period text, enterprise_id text,
                  employer_name text, employees_total int, si_contribution_due_vnd bigint,
                  si_contribution_paid_vnd bigint, si_arrears_vnd bigint)""")
    db.execute("""insert into marts.fct_employment values
        ('U1', '2023-03', 'E1', 'X', 10, 5, 5, 0), ('U1', '2023-04', 'E1', 'X', 10, 5, 1, 4),
        ('U2', '2023-04', 'E1', 'Y', 3, 2, 0, 2), ('U1', '2023-05', 'E1', 'X', 10, 5, 1, 8),
        ('U1', '2023-07', 'E1', 'X', 10, 5, 1, 16), ('U1', '2023-05', 'E9', 'Z', 1, 1, 0, 99)""")
    db.execute("""create table marts.enterprise_links (agency text, dataset text, period text, source_key text,
                  delivery_id text, enterprise_id text)""")
    db.execute("""create table marts.fct_capital_flows (txn_id text, enterprise_id text, period text, value_date date,
                  direction text, flow_type text, currency text, amount numeric, amount_usd numeric, account_no text,
                  bank_code text, counterparty_name text, counterparty_country text)""")
    evidence = {"first_rising_month": "2023-04", "last_rising_month": "2023-07", "rising_months": 3}
    behind = records_behind.records_behind(db, {"rule_code": "ABS01", "enterprise_id": "E1", "tax_code": "0200000014",
                                                "period": "2023-07"}, evidence)
    months = behind.groups[0].rows
    assert [(r["period"], r["si_unit_code"], r["arrears_vnd"], r["coverage"]) for r in months] == [
        ("2023-03", "U1", 0, None), ("2023-04", "U1", 6, None), ("2023-04", "U2", 6, None),
        ("2023-05", "U1", 8, None), ("2023-06", None, None, "rejected"), ("2023-07", "U1", 16, None)]


def test_a_return_whose_tax_code_the_loader_repaired_keeps_its_delivery_and_its_key_as_delivered(db):
    """On hand-made rows (the test economy has no defect): a CIT return delivered with its tax code's leading zero
    lost. marts.fct_tax_returns holds the code repaired, marts.enterprise_links the record's key as delivered
    (contracts/warehouse.md); REG02's last activity names the return by that key, with its delivery, and TP03's
    returns carry the delivery too: found by the record's delivery and row, not by a key rebuilt from the code."""
    db.execute("""create table marts.fct_tax_returns (enterprise_id text, tax_code text, tax_code_filed text,
                  fiscal_year int, amendment_no int, filed_on date, revenue_vnd bigint, cost_of_goods_vnd bigint,
                  operating_expense_vnd bigint, interest_expense_vnd bigint, depreciation_vnd bigint,
                  profit_before_tax_vnd bigint, delivery_id text, row_number bigint)""")
    db.execute("""insert into marts.fct_tax_returns values
        ('EN0200000014', '0200000014', '0200000014', 2022, 0, '2023-03-20', 10, 8, 4, 0, 0, -2, 'D-2022', 7)""")
    db.execute("""create table marts.enterprise_links (agency text, dataset text, period text, source_key text,
                  delivery_id text, row_number bigint, enterprise_id text)""")
    db.execute("""insert into marts.enterprise_links values
        ('tax', 'cit_returns', '2022', '200000014|2022|0', 'D-2022', 7, 'EN0200000014'),
        ('tax', 'cit_returns', '2022', '0200000015|2022|0', 'D-2022', 8, 'EN0200000015')""")
    db.execute("create table marts.dim_project (project_code text, irc_number text, enterprise_name text, "
               "status text, issued_on date, expires_on date, snapshot_period text, tax_code text)")
    db.execute("create table marts.fct_customs_lines (declaration_no text, line_no int, period text, "
               "registered_on date, delivery_id text, tax_code text)")
    db.execute("create table marts.fct_employment (si_unit_code text, period text, enterprise_id text)")
    db.execute("""create table marts.fct_capital_flows (txn_id text, enterprise_id text, tax_code text, period text,
                  value_date date, direction text, flow_type text, currency text, amount numeric, amount_usd numeric,
                  account_no text, bank_code text, counterparty_name text, counterparty_country text)""")
    flag = {"rule_code": "REG02", "enterprise_id": "EN0200000014", "tax_code": "0200000014", "period": "2024-06"}
    behind = records_behind.records_behind(db, flag, {"first_silent_month": "2023-06", "active_projects": ""})
    activity = next(g for g in behind.groups if g.title.get("records") == "last_activity").rows
    assert [(r["dataset"], r["period"], r["record_key"], r["delivery_id"]) for r in activity] == [
        ("cit_returns", "2023-03", "200000014|2022|0", "D-2022")]

    tp03 = records_behind.records_behind(db, {**flag, "rule_code": "TP03", "period": "2022"},
                                         {"first_loss_year": 2022, "loss_years": 1})
    returns = next(g for g in tp03.groups if g.title.get("records") == "cit_returns").rows
    assert [(r["tax_code_filed"], r["delivery_id"]) for r in returns] == [("0200000014", "D-2022")]
