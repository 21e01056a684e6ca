"""HTTP-level guards of the workbench: PostgreSQL decides who logs in, forms need their CSRF token,
cookies are HttpOnly and SameSite, names from agencies are shown as text, exports cannot carry formulas."""
from __future__ import annotations

import csv
import io

import openpyxl
import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.workbench.helpers import client, csrf_of, login
from warehouse.server import Connection


def test_a_wrong_password_is_refused_by_postgresql(served, warehouse, make_login):
    person = make_login("monitor")
    # the refusal comes from the server itself (pg_hba: scram-sha-256 for every login but the service user)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(Connection(warehouse.host, warehouse.port, person.name, "not-the-password",
                                   warehouse.dbname).conninfo)
    with client(served.url) as c:
        r = login(c, person.name, "not-the-password")
        assert r.status_code == 401
        assert "máy chủ cơ sở dữ liệu từ chối" in r.text
        assert c.get("/flags").status_code == 303  # still not logged in: sent to /login
        r = login(c, person.name, person.password)
        assert r.status_code == 303 and r.headers["location"] == "/flags"


def test_an_unknown_login_and_an_empty_password_are_refused(served):
    with client(served.url) as c:
        assert login(c, "nobody_here", "whatever-it-is").status_code == 401
        # the service user is trusted on the socket: whatever password is typed, it has no web login
        assert login(c, "postgres", "").status_code == 401
        assert login(c, "postgres", "any-password-at-all").status_code == 401


def test_a_login_name_guessed_at_is_refused_for_a_while_without_asking_postgresql(served, make_login):
    person, other = make_login("monitor"), make_login("monitor")
    with client(served.url) as c:
        for _ in range(5):
            assert login(c, person.name, "a-guess").status_code == 401
        r = login(c, person.name, person.password)  # even the right password, for now
        assert r.status_code == 429 and "nhập sai mật khẩu nhiều lần" in r.text and "15 phút" in r.text
        assert login(c, other.name, other.password).status_code == 303  # another name is not held up


def test_the_login_throttle_forgets_failures_older_than_its_window():
    from workbench.auth import LoginThrottle

    throttle = LoginThrottle()
    for t in range(5):
        throttle.failed("Lan", now=100.0 + t)
    assert throttle.wait_s("lan", now=110.0) == LoginThrottle.WINDOW_S - 10.0  # names in any case are one
    assert throttle.wait_s("lan", now=100.0 + LoginThrottle.WINDOW_S) == 0.0  # the oldest has aged out
    throttle.failed("lan", now=2000.0)
    throttle.succeeded("lan")
    assert throttle.wait_s("lan", now=2001.0) == 0.0


def test_forms_without_a_valid_csrf_token_are_refused(served, db, make_login):
    person = make_login("monitor")
    with client(served.url) as c:
        page = c.get("/login")
        r = c.post("/login", data={"username": person.name, "password": person.password, "next": "/flags"})
        assert r.status_code == 403 and "hết hạn hoặc không hợp lệ" in r.text
        assert login(c, person.name, person.password).status_code == 303
        for data in ({"status": "dismissed", "note": "x"},
                     {"status": "dismissed", "note": "x", "csrf_token": csrf_of(page.text)},  # the pre-login token
                     {"status": "dismissed", "note": "x", "csrf_token": "forged"}):
            r = c.post("/flags/abc/reviews", data=data)
            assert r.status_code == 403 and "hết hạn hoặc không hợp lệ" in r.text
        r = c.post("/logout", data={})
        assert r.status_code == 403
    assert db.execute("select count(*) from risk.flag_reviews").fetchone()[0] == 0


def test_a_server_that_ended_the_sessions_connection_costs_the_reviewer_nothing(served, db, make_login):
    """The workbench keeps one connection per session; after a restart of PostgreSQL (or an administrator's
    `pg_terminate_backend`) the next page opens a new one rather than answering with a server error, and a
    decision the warehouse cannot take is kept for its flag's page."""
    person = make_login("engineer")
    with client(served.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        assert c.get("/coverage").status_code == 200  # the delivery audit exists before any build
        ended = db.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = %s",
                           (person.name,)).fetchone()[0]
        assert ended == 1
        page = c.get("/coverage")
        assert page.status_code == 200
        r = c.post("/flags/abc/reviews", data={"status": "in_review", "note": "Chờ tờ khai bổ sung",
                                              "csrf_token": csrf_of(page.text)})
        assert r.status_code == 503 and "Quyết định đó được giữ lại" in r.text and 'href="/flags/abc"' in r.text
    assert db.execute("select count(*) from risk.flag_reviews").fetchone()[0] == 0


def test_a_server_gone_in_the_middle_of_a_request_is_said_unreachable(warehouse, db, make_login):
    from workbench.auth import Session, WarehouseDown, user_connection

    person = make_login("monitor")
    session = Session("sid", "token", login=person.name, password=person.password)
    with pytest.raises(WarehouseDown, match="terminating connection"):
        with user_connection(warehouse, session) as pg:
            db.execute("select pg_terminate_backend(%s)", (pg.info.backend_pid,))
            pg.execute("select 1")
    assert session.take_idle() is None  # a broken connection is not kept


def test_session_cookie_is_httponly_and_samesite_and_holds_no_password(served, make_login):
    person = make_login("monitor")
    with client(served.url) as c:
        r = login(c, person.name, person.password)
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert person.password not in cookie and person.name not in cookie
        assert "default-src 'self'" in c.get("/flags").headers["content-security-policy"]


# -- on the generated economy (the `monitor` client: conftest.py) ---------------------------------


# datasets as the waiting lines write them: the reader's words, the code in the tooltip
FX = '<span title="fx/capital_flows">Ngoại hối · Giao dịch vốn, vay nước ngoài</span>'
DISCLOSURES = '<span title="tax/related_party">Thuế · Phụ lục giao dịch liên kết</span>'
RETURNS = '<span title="tax/cit_returns">Thuế · Quyết toán thuế TNDN</span>'
EMPLOYMENT = '<span title="labour/employment">Lao động, BHXH · Sử dụng lao động</span>'
LOANS = '<span title="credit/loans">Tín dụng · Khoản vay</span>'


@pytest.mark.e2e
def test_an_enterprise_name_with_a_script_tag_is_shown_as_text(economy, monitor):
    _, db = economy
    enterprise_id, tax_code, name = db.execute(
        "select e.enterprise_id, e.tax_code, e.name_vi from marts.dim_enterprise e "
        "join risk.flags f using (enterprise_id) limit 1").fetchone()
    evil = "<script>alert('x')</script> Công ty TNHH"
    db.execute("update marts.dim_enterprise set name_vi = %s where enterprise_id = %s", (evil, enterprise_id))
    try:
        for path in (f"/enterprises/{tax_code}", "/flags?page=1"):
            html = monitor.get(path).text
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Công ty TNHH" in html, path
            assert "<script>alert" not in html, path
    finally:
        db.execute("update marts.dim_enterprise set name_vi = %s where enterprise_id = %s", (name, enterprise_id))


@pytest.mark.e2e
def test_exported_cells_that_start_like_a_formula_are_neutralised(economy, monitor):
    _, db = economy
    rows = db.execute("select flag_id, summary from risk.flags where rule_code in ('TP01', 'TP02') "
                      "order by flag_id limit 4").fetchall()
    assert len(rows) == 4
    payloads = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1:A2)"]
    for (flag_id, _), payload in zip(rows, payloads):
        db.execute("update risk.flags set summary = %s where flag_id = %s", (payload, flag_id))
    try:
        r = monitor.get("/flags.csv?rule=TP01")
        r2 = monitor.get("/flags.csv?rule=TP02")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        cells = [row for resp in (r, r2) for row in csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig")))]
        summaries = {row["flag_id"]: row["summary"] for row in cells}
        for (flag_id, _), payload in zip(rows, payloads):
            assert summaries[flag_id] == "'" + payload
        assert all(row["summary"][0] not in "=+-@\t\r" for row in cells)
        x = monitor.get("/flags.xlsx?rule=TP01")
        sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
        header = [c.value for c in sheet[1]]
        col = header.index("summary")
        values = [row[col] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert values and all(not str(v).startswith(("=", "+", "-", "@")) for v in values)
        assert any(str(v).startswith("'") for v in values)
        # no cell was stored as a live formula
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    finally:
        for flag_id, summary in rows:
            db.execute("update risk.flags set summary = %s where flag_id = %s", (summary, flag_id))


@pytest.mark.e2e
def test_an_analyst_gets_one_sentence_not_a_stack_trace(economy, served_economy, make_login):
    person = make_login("analyst", economy[0])
    flag_id = economy[1].execute("select flag_id from risk.flags limit 1").fetchone()[0]
    with client(served_economy.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        for path in ("/flags", f"/flags/{flag_id}", "/flags.csv"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "không có quyền xem dữ liệu cảnh báo rủi ro" in r.text
            assert "Traceback" not in r.text and "psycopg" not in r.text


@pytest.mark.e2e
def test_the_load_check_measures_every_page(economy, served_economy, make_login):
    """The benchmark's load script runs (the timing itself is the benchmark's, not a test's)."""
    import io

    from workbench.loadcheck import run

    person = make_login("monitor", economy[0])
    out = io.StringIO()
    results = run(served_economy.url, person.name, person.password, requests=3, out=out)
    assert set(results) == {"queue", "flag", "enterprise"}
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in results.values())
    assert out.getvalue().count("p95") == 3


@pytest.mark.e2e
def test_coverage_grid_for_engineers_and_a_refusal_for_monitors(economy, served_economy, make_login, monitor):
    _, db = economy
    engineer = make_login("engineer", economy[0])
    with client(served_economy.url) as c:
        assert login(c, engineer.name, engineer.password).status_code == 303
        assert 'href="/coverage"' in c.get("/flags").text  # the link is offered to engineers
        r = c.get("/coverage")
        assert r.status_code == 200
        agency, dataset, period = db.execute(
            "select agency, dataset, period from audit.deliveries where status = 'loaded' limit 1").fetchone()
        assert f"{agency}/{dataset} {period}: Đã nạp" in r.text  # Vietnamese by default, the status too
    r = monitor.get("/coverage")
    assert r.status_code == 403 and "nhật ký giao nhận" in r.text
    assert 'href="/coverage"' not in monitor.get("/flags").text


def test_coverage_cells_say_the_status_in_the_page_language_and_count_the_delivery_in_force(served, db, make_login,
                                                                                             warehouse):
    """A corrected month counts the rows of its correction, not those of the original it superseded as well,
    and a refused month says so, in Vietnamese by default and in English on request."""
    db.execute("insert into audit.deliveries (delivery_id, agency, dataset, period, status, rows_loaded) values "
               "('d-orig', 'customs', 'declarations', '2024-01', 'superseded', 1000), "
               "('d-corr', 'customs', 'declarations', '2024-01', 'loaded', 1200), "
               "('d-refused', 'customs', 'declarations', '2024-02', 'rejected', 0)")
    engineer = make_login("engineer", warehouse)
    with client(served.url) as c:
        assert login(c, engineer.name, engineer.password).status_code == 303
        vi = c.get("/coverage").text
        assert 'title="customs/declarations 2024-01: Đã nạp, 1.200"' in vi
        assert 'title="customs/declarations 2024-02: Bị từ chối"' in vi
        assert c.get("/lang/en", headers={"referer": "/coverage"}).status_code == 303
        en = c.get("/coverage").text
        assert 'title="customs/declarations 2024-01: Loaded, 1,200"' in en
        assert 'title="customs/declarations 2024-02: Rejected"' in en
        # the row says what the dataset is in the reader's words, and keeps the code the engineers use
        assert '<th scope="row" title="customs/declarations">Hải quan · Tờ khai hải quan</th>' in vi
        assert '<th scope="row" title="customs/declarations">Customs · Declarations</th>' in en
        assert "2,200" not in en and "rejected" not in vi.replace("c-rejected", "")


@pytest.mark.e2e
def test_table_and_column_descriptions_reach_postgresql(economy):
    """persist_docs: `\\d+ marts.fct_enterprise_year` shows the bilingual descriptions."""
    _, db = economy
    table, column = db.execute("select obj_description('marts.fct_enterprise_year'::regclass), "
                               "col_description('marts.fct_enterprise_year'::regclass, 3)").fetchone()
    assert " / " in table and "Góc nhìn 360°" in table
    assert column.startswith("Revenue") and "Doanh thu" in column


@pytest.mark.e2e
def test_the_enterprise_page_says_which_years_are_partial_and_why(economy, monitor):
    """A reviewer reading an enterprise's figures by year sees which years are partial (a dataset's months not
    all in force, or records of the enterprise held back in quarantine), as marts.fct_enterprise_year says."""
    _, db = economy
    enterprise_id, tax_code, held_back = db.execute(
        "select e.enterprise_id, e.tax_code, y.quarantined_inputs from marts.fct_enterprise_year y "
        "join marts.dim_enterprise e using (enterprise_id) where e.tax_code is not null "
        "order by y.quarantined_records desc, y.year desc limit 1").fetchone()
    partial = db.execute("select count(*) filter (where not is_complete) from marts.fct_enterprise_year "
                         "where enterprise_id = %s", (enterprise_id,)).fetchone()[0]
    html = monitor.get(f"/enterprises/{tax_code}").text
    assert "Đủ dữ liệu cả năm" in html and "Bản ghi bị giữ lại (cách ly)" in html
    assert html.count("không (số liệu chưa đủ)") == partial
    if held_back:
        assert held_back in html
    # each figure of a partial year that is partial is marked (tests/workbench/test_formats.py), a whole year's
    # are not
    marks = html.count('<td class="num partial"')
    assert marks == html.count('<sup aria-hidden="true">*</sup>') and (marks > 0) == (partial > 0)
    # a year with customs short and an investor row held back: its three trade figures are marked, and only
    # the related-party trade names the row (the economy's years are whole: one is made partial, then restored)
    year, before = db.execute("select year, row_to_json(y)::jsonb from marts.fct_enterprise_year y "
                              "where enterprise_id = %s and is_complete order by year desc limit 1",
                              (enterprise_id,)).fetchone()
    db.execute("update marts.fct_enterprise_year set customs_months_covered = 10, is_complete = false, "
               "quarantined_records = 1, quarantined_inputs = %s where enterprise_id = %s and year = %s",
               (f"registry/investors {year}-01 (1)", enterprise_id, year))
    try:
        html = monitor.get(f"/enterprises/{tax_code}").text
        assert html.count('<td class="num partial"') == marks + 3
        assert html.count('title="10/12 tháng của bộ dữ liệu có hiệu lực">') == 2  # imports, exports
        assert (f'title="10/12 tháng của bộ dữ liệu có hiệu lực; Bản ghi bị giữ lại (cách ly): '
                f'registry/investors {year}-01 (1)">') in html
    finally:
        db.execute("update marts.fct_enterprise_year y set customs_months_covered = b.customs_months_covered, "
                   "is_complete = b.is_complete, quarantined_records = b.quarantined_records, "
                   "quarantined_inputs = b.quarantined_inputs "
                   "from jsonb_populate_record(null::marts.fct_enterprise_year, %s) as b "
                   "where y.enterprise_id = %s and y.year = %s", (Jsonb(before), enterprise_id, year))


@pytest.mark.e2e
def test_the_queue_says_how_many_possible_findings_wait_on_a_missing_delivery(economy, monitor):
    """A case a rule neither flags nor clears until a missing month arrives (risk.judgements_waiting) is not in
    the queue; the queue says how many there are and which deliveries they wait on, for its rule and year."""
    _, db = economy
    assert db.execute("select count(*) from risk.judgements_waiting").fetchone()[0] == 0  # nothing withheld here
    assert "Chưa thể kết luận" not in monitor.get("/flags").text
    db.execute("""insert into risk.judgements_waiting values
                  ('CAP01', 'EN1', '1', '2023-07', 'fx', 'capital_flows', '2023-04', 'rejected', '{}'),
                  ('CAP01', 'EN1', '1', '2023-07', 'fx', 'capital_flows', '2023-05', 'missing', '{}'),
                  ('CAP01', 'EN2', '2', '2024-02', 'fx', 'capital_flows', '2023-11', 'missing', '{}'),
                  ('REL01', 'EN3', '3', '2022', 'tax', 'related_party', '2022', 'quarantined', '{}'),
                  ('TP03', 'EN4', '4', '2024', 'tax', 'related_party', '2024', 'not yet due', '{}')""")
    try:
        html = monitor.get("/flags").text
        assert "Chưa thể kết luận, chờ dữ liệu còn thiếu" in html
        assert f'CAP01 · 2 ({FX} 2023-04, 2023-05, 2023-11)' in html, html
        # a year delivered whole whose rows of the enterprise are held in quarantine says so: no delivery is missing
        assert f'REL01 · 1 ({DISCLOSURES} 2022 (có dòng bị cách ly))' in html, html
        # a year whose deadline has not come (the disclosures, due by the end of March) is no delivery to chase
        assert f'TP03 · 1 ({DISCLOSURES} 2024 (chưa đến hạn))' in html, html
        assert f'CAP01 · 1 ({FX} 2023-04, 2023-05)' in monitor.get("/flags?year=2023").text
        assert "Chưa thể kết luận" not in monitor.get("/flags?rule=TP01").text
        # and on the enterprise's own page, per rule and period
        tax_code = db.execute("select tax_code from marts.dim_enterprise where tax_code is not null "
                              "order by tax_code limit 1").fetchone()[0]
        assert "Chưa thể kết luận" not in monitor.get(f"/enterprises/{tax_code}").text
        db.execute("""insert into risk.judgements_waiting values
                      ('REG02', %s, %s, '2023-12', 'labour', 'employment', '2023-09', 'missing', '{}'),
                      ('REG02', %s, %s, '2023-12', 'fx', 'capital_flows', '2023-04', 'rejected', '{}'),
                      ('REL01', %s, %s, '2022', 'tax', 'related_party', '2022', 'quarantined', '{}'),
                      ('REL01', %s, %s, '2024', 'tax', 'cit_returns', '2024', 'not yet due', '{}')""",
                   (f"EN{tax_code}", tax_code) * 4)
        # a year of credit months never delivered reads as one run, not twelve months
        db.execute("""insert into risk.judgements_waiting
                      select 'NOM01', %s, %s, '2024', 'credit', 'loans', to_char(m, 'YYYY-MM'), 'missing', '{}'
                      from generate_series(date '2024-01-01', date '2024-12-01', interval '1 month') as m""",
                   (f"EN{tax_code}", tax_code))
        html = monitor.get(f"/enterprises/{tax_code}").text
        assert "Chưa thể kết luận, chờ dữ liệu còn thiếu:" in html
        assert f'>REG02 2023-12 ({FX} 2023-04)<' in html, html
        assert f'>REG02 2023-12 ({EMPLOYMENT} 2023-09)<' in html, html
        assert f'>REL01 2022 ({DISCLOSURES} 2022 (có dòng bị cách ly))<' in html, html
        assert f'>REL01 2024 ({RETURNS} 2024 (chưa đến hạn))<' in html, html
        assert f'>NOM01 2024 ({LOANS} 2024-01–2024-12)<' in html, html
    finally:
        db.execute("delete from risk.judgements_waiting")
