"""A reviewer's decision is never lost and never overrides another unseen; the flag page tells the truth about
the data behind it; the queue's links, logins and pager keep the reviewer where they were.

Found by a reviewer's walk through the workbench (2026-12-05): a decision sent from a page opened before
someone else's decision replaced it without a word; one sent after the session ended was dropped on a bare
405; the flag page counted a rejected month as in force.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import dbt
from tests.workbench.helpers import client, csrf_of, login
from workbench import queries

SEEN = re.compile(r'name="seen_review" value="([^"]*)"')
AUTHOR = re.compile(r'name="author" value="([^"]*)"')


def _unreviewed_flag(db, skip: int) -> str:
    """A flag no test has decided on; `skip` keeps the tests of this module off each other's flags, and the
    order off the browser tests' (they take the first TP01 flag of the queue and the high flag of the least
    id)."""
    return db.execute(
        "select flag_id from risk.flags_for_review where rule_code <> 'TP01' "
        "and review_status = 'open' order by flag_id desc offset %s limit 1", (skip,)).fetchone()[0]


def _reviews(db, flag_id: str) -> list[tuple]:
    return db.execute("select status, decided_by, note from risk.flag_reviews where flag_id = %s order by review_id",
                      (flag_id,)).fetchall()


def _form(page_html: str, **fields) -> dict:
    return {"csrf_token": csrf_of(page_html), "seen_review": SEEN.search(page_html).group(1),
            "author": AUTHOR.search(page_html).group(1), **fields}


@pytest.mark.e2e
def test_a_decision_sent_from_a_stale_page_is_not_recorded_over_another(economy, served_economy, make_login):
    _, db = economy
    flag_id = _unreviewed_flag(db, 0)
    first, second = make_login("monitor", economy[0]), make_login("monitor", economy[0])
    with client(served_economy.url) as a, client(served_economy.url) as b:
        assert login(a, first.name, first.password).status_code == 303
        assert login(b, second.name, second.password).status_code == 303
        page_a, page_b = a.get(f"/flags/{flag_id}").text, b.get(f"/flags/{flag_id}").text
        assert SEEN.search(page_b).group(1) == ""  # no decision yet

        r = a.post(f"/flags/{flag_id}/reviews", data=_form(page_a, status="confirmed", note="Đã đối chiếu tờ khai"))
        assert r.status_code == 303
        # the second reviewer decides on the page they opened before the first decision
        r = b.post(f"/flags/{flag_id}/reviews", data=_form(page_b, status="dismissed", note="Giá hợp lý, ghi chú B"))
        assert r.status_code == 409
        assert "một quyết định khác đã được ghi" in r.text
        assert "Giá hợp lý, ghi chú B" in r.text and 'value="dismissed" required checked' in r.text  # kept
        assert "Đã đối chiếu tờ khai" in r.text  # the decision they had not seen, in the history
        assert _reviews(db, flag_id) == [("confirmed", first.name, "Đã đối chiếu tờ khai")]

        # having seen it, they record theirs
        r = b.post(f"/flags/{flag_id}/reviews", data=_form(r.text, status="dismissed", note="Giá hợp lý, ghi chú B"))
        assert r.status_code == 303
        assert [s for s, _, _ in _reviews(db, flag_id)] == ["confirmed", "dismissed"]

        # a client of the agreement's three fields (status, note, csrf_token) is not asked what it saw
        r = a.post(f"/flags/{flag_id}/reviews",
                   data={"csrf_token": csrf_of(page_a), "status": "in_review", "note": ""})
        assert r.status_code == 303 and len(_reviews(db, flag_id)) == 3


@pytest.mark.e2e
def test_a_decision_sent_after_the_session_ended_is_filled_in_again_after_the_next_login(
        economy, served_economy, make_login):
    _, db = economy
    flag_id = _unreviewed_flag(db, 1)
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        # the session ends (here a logout in another tab; an idle timeout or a restart alike)
        assert c.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
        assert AUTHOR.search(page).group(1) == person.name
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note="Hợp đồng khung, đã xem"))
        assert r.status_code == 303 and r.headers["location"].startswith("/login?")
        assert _reviews(db, flag_id) == []
        login_page = c.get(r.headers["location"])
        assert login_page.status_code == 200 and "sẽ được điền lại trên trang cảnh báo" in login_page.text
        next_page = parse_qs(urlparse(r.headers["location"]).query)["next"][0]
        assert next_page == f"/flags/{flag_id}"
        r = c.post("/login", data={"username": person.name, "password": person.password,
                                   "csrf_token": csrf_of(login_page.text), "next": next_page})
        assert r.status_code == 303 and r.headers["location"] == f"/flags/{flag_id}"
        page = c.get(f"/flags/{flag_id}").text
        assert "phiên làm việc đã hết trước khi quyết định được gửi" in page
        assert "Hợp đồng khung, đã xem" in page and 'value="dismissed" required checked' in page
        assert _reviews(db, flag_id) == []  # filled in, not recorded: the reviewer records it
        assert "Hợp đồng khung" not in c.get(f"/flags/{flag_id}").text  # once

        # a form of the earlier session, sent after logging in again: refused, and what it held shown again
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note="Ghi chú của phiên cũ")
                   | {"csrf_token": "a-token-of-an-earlier-session"})
        assert r.status_code == 403 and "hết hạn hoặc không hợp lệ" in r.text and "Ghi chú của phiên cũ" in r.text
        assert _reviews(db, flag_id) == []


@pytest.mark.e2e
def test_a_decision_the_warehouse_cannot_take_is_kept_for_the_flag_page(economy, served_economy, make_login):
    """While the review queue is away (a `--full-refresh` rebuilding it, a build that failed half-way) the
    warehouse cannot take a decision: it is refused, and kept to be filled in again, never lost."""
    _, db = economy
    flag_id, note = _unreviewed_flag(db, 5), "Giá theo hợp đồng gia công, đã đối chiếu"
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        db.execute("alter view risk.flags_for_review rename to flags_for_review_away")
        try:
            r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note=note,
                                                               back="/flags?rule=TP01"))
            assert r.status_code == 503 and "Quyết định đó được giữ lại" in r.text
            assert f'href="/flags/{flag_id}?back=%2Fflags%3Frule%3DTP01"' in r.text  # back to the queue it came from
            assert c.get(f"/flags/{flag_id}").status_code == 503  # still away: the draft waits for the page
        finally:
            db.execute("alter view risk.flags_for_review_away rename to flags_for_review")
        page = c.get(f"/flags/{flag_id}").text
        assert "kho dữ liệu đã không nhận được quyết định này khi bạn gửi" in page
        assert note in page and 'value="dismissed" required checked' in page
        assert _reviews(db, flag_id) == []  # filled in, not recorded: the reviewer records it
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note=note))
        assert r.status_code == 303 and _reviews(db, flag_id) == [("dismissed", person.name, note)]

        # a form of an earlier session is refused for its token, not kept
        db.execute("alter view risk.flags_for_review rename to flags_for_review_away")
        try:
            r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="in_review", note="Ghi chú của phiên cũ")
                       | {"csrf_token": "a-token-of-an-earlier-session"})
            assert r.status_code == 403
        finally:
            db.execute("alter view risk.flags_for_review_away rename to flags_for_review")
        assert "Ghi chú của phiên cũ" not in c.get(f"/flags/{flag_id}").text


@pytest.mark.e2e
def test_the_queue_keeps_its_filters_through_a_flag_and_a_login_and_any_page_number(economy, served_economy,
                                                                                    make_login):
    _, db = economy
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        r = c.get("/flags?status=open&severity=medium")
        assert r.status_code == 303
        assert parse_qs(urlparse(r.headers["location"]).query)["next"] == ["/flags?status=open&severity=medium"]
        assert login(c, person.name, person.password).status_code == 303

        queue = c.get("/flags?severity=medium").text
        link = re.search(r'href="(/flags/[0-9a-f]+\?back=[^"]+)"', queue).group(1)
        flag_page = c.get(link.replace("&amp;", "&")).text
        assert '<a href="/flags?severity=medium">' in flag_page  # back to the queue as it was
        flag_id = link.split("/")[2].split("?")[0]
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(flag_page, status="in_review", note="",
                                                           back="/flags?severity=medium"))
        assert r.status_code == 303 and r.headers["location"].endswith("?back=%2Fflags%3Fseverity%3Dmedium&saved=1")
        assert '<a href="/flags">' in c.get(f"/flags/{flag_id}?back=https://elsewhere.example/").text

        for page in ("99999999999999999999", "999999999999999999"):
            r = c.get(f"/flags?page={page}")
            assert r.status_code == 200 and "Traceback" not in r.text


def test_the_flag_page_counts_a_rejected_or_missing_month_as_not_in_force(db):
    """marts.dataset_coverage has a row for every period, whatever its status: only `complete` is in force."""
    db.execute("create table marts.dataset_coverage (agency text, dataset text, period text, status text)")
    db.execute("insert into marts.dataset_coverage select 'customs', 'declarations', "
               "'2024-' || lpad(m::text, 2, '0'), case m when 2 then 'rejected' when 7 then 'missing' "
               "else 'complete' end from generate_series(1, 12) as m")
    source, rows = queries.coverage_of_period(db, {"rule_code": "TP01", "period": "2024"}, [])
    assert source == "marts"
    assert rows == [{"agency": "customs", "dataset": "declarations", "present": 10, "expected": 12,
                     "missing": [("2024-02", "rejected"), ("2024-07", "missing")]}]


@pytest.mark.e2e
def test_what_an_ended_session_keeps_for_the_next_login_is_bounded(economy, served_economy, make_login):
    """Anyone can send a decision form without a session: what one session keeps is at most MAX_DRAFTS."""
    from workbench.app import MAX_DRAFTS

    _, db = economy
    flag_id = _unreviewed_flag(db, 2)
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        mine = {"status": "dismissed", "author": person.name}
        for n in range(MAX_DRAFTS):
            r = c.post(f"/flags/{n:016x}/reviews", data=mine | {"note": "x"})
            assert r.status_code == 303 and "ended=kept" in r.headers["location"]
        r = c.post(f"/flags/{flag_id}/reviews", data=mine | {"note": "one too many"})
        assert "ended=lost" in r.headers["location"]
        assert login(c, person.name, person.password).status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        assert "one too many" not in page and "phiên làm việc đã hết" not in page
    assert _reviews(db, flag_id) == []


@pytest.mark.e2e
def test_a_kept_decision_is_filled_in_for_its_author_only(economy, served_economy, make_login):
    """A browser shared at a desk: the next person to log in there does not see the note the last one wrote."""
    _, db = economy
    flag_id = _unreviewed_flag(db, 3)
    author, colleague = make_login("monitor", economy[0]), make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        assert login(c, author.name, author.password).status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        assert c.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note="Ghi chú riêng của A"))
        assert "ended=kept" in r.headers["location"]
        assert login(c, colleague.name, colleague.password).status_code == 303
        seen_by_colleague = c.get(f"/flags/{flag_id}").text
        assert "Ghi chú riêng của A" not in seen_by_colleague
        assert "phiên làm việc đã hết trước khi quyết định được gửi" not in seen_by_colleague
    assert _reviews(db, flag_id) == []


@pytest.mark.e2e
def test_the_login_page_says_why_the_session_ended_and_whether_a_decision_was_kept(economy, served_economy,
                                                                                  make_login):
    _, db = economy
    flag_id = _unreviewed_flag(db, 4)
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        # a cookie of a session the workbench no longer knows (idle for 8 hours, a restart)
        c.cookies.set("fdi_session", "a-session-that-has-ended")
        r = c.get("/flags?severity=high")
        assert r.status_code == 303
        query = parse_qs(urlparse(r.headers["location"]).query)
        assert query == {"next": ["/flags?severity=high"], "ended": ["idle"]}
        assert "không hoạt động quá lâu hoặc máy chủ đã khởi động lại" in c.get(r.headers["location"]).text

    with client(served_economy.url) as c:
        # logged out on purpose: no such message
        assert login(c, person.name, person.password).status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        assert c.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
        r = c.get("/flags")
        assert "ended" not in parse_qs(urlparse(r.headers["location"]).query)

        # a decision too large to keep: the login page does not promise to fill it in again
        from workbench.app import MAX_NOTE_CHARS
        r = c.post(f"/flags/{flag_id}/reviews", data=_form(page, status="dismissed", note="x" * (MAX_NOTE_CHARS + 1)))
        assert "ended=lost" in r.headers["location"]
        login_page = c.get(r.headers["location"]).text
        assert "không được giữ lại" in login_page and "sẽ được điền lại" not in login_page
    assert _reviews(db, flag_id) == []


def test_the_flag_page_says_a_month_of_the_year_is_not_yet_due_not_undelivered(db):
    """The grid has no row for a month after the latest due: on the page it is `not yet due`, as the rules say
    (macros/risk.sql months_not_complete), never `missing` (chưa giao), which sends someone to chase it."""
    db.execute("create table marts.dataset_coverage (agency text, dataset text, period text, status text)")
    db.execute("insert into marts.dataset_coverage select 'customs', 'declarations', "
               "to_char(m, 'YYYY-MM'), 'complete' from generate_series(date '2024-07-01', date '2025-03-01', "
               "interval '1 month') as m")
    _, rows = queries.coverage_of_period(db, {"rule_code": "TP01", "period": "2025"}, [])
    assert rows[0]["present"] == 3
    assert rows[0]["missing"] == [(f"2025-{m:02d}", "not yet due") for m in range(4, 13)]
    _, rows = queries.coverage_of_period(db, {"rule_code": "TP01", "period": "2024"}, [])
    assert rows[0]["missing"] == [(f"2024-{m:02d}", "before coverage starts") for m in range(1, 7)]


@pytest.mark.e2e
def test_a_flag_withdrawn_under_a_reviewer_keeps_its_decisions_and_the_note_on_its_way(
        economy, served_economy, make_login):
    """A build that no longer raises a flag (a late delivery, a new rule version) does not take its decisions
    away: the flag's page shows it as last raised with its history, the queue and the enterprise page say it
    went, and a decision sent from a page opened before it went is refused with its note shown again."""
    _, db = economy
    flag_id = _unreviewed_flag(db, 6)
    rule_code, tax_code = db.execute("select rule_code, tax_code from risk.flags where flag_id = %s",
                                     (flag_id,)).fetchone()
    model = db.execute("select tablename from pg_tables where schemaname = 'risk' and tablename like %s",
                       (f"flag\\_{rule_code.lower()}\\_%",)).fetchone()[0]
    person = make_login("monitor", economy[0])
    with client(served_economy.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        r = c.post(f"/flags/{flag_id}/reviews",
                   data=_form(c.get(f"/flags/{flag_id}").text, status="in_review", note="Đang chờ hồ sơ vay"))
        assert r.status_code == 303
        page = c.get(f"/flags/{flag_id}").text
        db.execute(f"delete from risk.{model} where flag_id = %s", (flag_id,))
        try:
            dbt("run", "--select", "flags")
            r = c.post(f"/flags/{flag_id}/reviews",
                       data=_form(page, status="confirmed", note="Đã xác minh chứng từ vay"))
            assert r.status_code == 409 and "không còn được nêu kể từ khi trang được mở" in r.text
            assert "Đã xác minh chứng từ vay" in r.text  # the note on its way, shown again
            assert _reviews(db, flag_id) == [("in_review", person.name, "Đang chờ hồ sơ vay")]

            r = c.get(f"/flags/{flag_id}")
            assert r.status_code == 200 and 'id="withdrawn-notice"' in r.text
            assert "Đang chờ hồ sơ vay" in r.text  # the decision, kept
            assert f'action="/flags/{flag_id}/reviews"' not in r.text  # and no form for another
            withdrawn, decided = queries.withdrawn_counts(db)
            assert withdrawn >= decided >= 1
            line = re.search(r'id="withdrawn-line">(.*?)</p>', c.get("/flags").text, re.S).group(1)
            assert f"{withdrawn} cảnh báo không còn được nêu, {decided} trong số đó đã có quyết định" in line
            row = re.search(rf'<tr>\s*<td class="ent">.*?href="/flags/{flag_id}".*?</tr>', c.get("/withdrawn").text,
                            re.S).group(0)
            assert "Đang xem xét" in row and person.name in row  # the decision in force, and who made it
            assert queries.withdrawn(db)[0][0]["flag_id"] == flag_id  # a flag with a decision comes first
            enterprise = c.get(f"/enterprises/{tax_code}").text
            assert 'id="withdrawn"' in enterprise and f'href="/flags/{flag_id}"' in enterprise
        finally:
            dbt("run", "--select", model, "flags")
        # raised again: back in the queue with its decision, and off the page of flags no longer raised
        r = c.get(f"/flags/{flag_id}")
        assert 'id="withdrawn-notice"' not in r.text and f'action="/flags/{flag_id}/reviews"' in r.text
        assert "Đang chờ hồ sơ vay" in r.text
        assert f'href="/flags/{flag_id}"' not in c.get("/withdrawn").text


@pytest.mark.e2e
def test_a_flag_that_replaces_a_decided_one_shows_the_earlier_decision_before_the_form(
        economy, served_economy, make_login):
    """ABS01's month moves when a month of its signs is re-delivered, and a rule's new version makes new flag
    ids: the new flag is open, but its page shows the decision on the old one, no longer raised, beside the form,
    so the reviewer does not start again blind. Only a flag of the same rule and enterprise shows it."""
    _, db = economy
    flag_id = _unreviewed_flag(db, 8)
    rule_code, enterprise_id, period = db.execute(
        "select rule_code, enterprise_id, period from risk.flags where flag_id = %s", (flag_id,)).fetchone()
    model = db.execute("select tablename from pg_tables where schemaname = 'risk' and tablename like %s",
                       (f"flag\\_{rule_code.lower()}\\_%",)).fetchone()[0]
    person = make_login("monitor", economy[0])
    moved = "moved" + flag_id[5:]
    with client(served_economy.url) as c:
        assert login(c, person.name, person.password).status_code == 303
        r = c.post(f"/flags/{flag_id}/reviews",
                   data=_form(c.get(f"/flags/{flag_id}").text, status="dismissed", note="Giải trình hợp lý"))
        assert r.status_code == 303
        assert 'id="earlier"' not in c.get(f"/flags/{flag_id}").text  # nothing before it
        # the same finding raised under a new id (as when its period moves): the old one is withdrawn
        db.execute(f"update risk.{model} set flag_id = %s where flag_id = %s", (moved, flag_id))
        try:
            dbt("run", "--select", "flags")
            page = c.get(f"/flags/{moved}").text
            assert 'id="flag-status">Chưa xem xét<' in page  # a new flag, open
            earlier = re.search(r'<section id="earlier">(.*?)</section>', page, re.S).group(1)
            assert f'href="/flags/{flag_id}">{rule_code} {period}</a>' in earlier
            assert "Đã bác bỏ" in earlier and person.name in earlier and "Giải trình hợp lý" in earlier
            assert page.index('id="earlier"') < page.index('id="decision"')  # read before deciding
            # only a flag of the same rule and enterprise is its successor
            assert [r["flag_id"] for r in queries.earlier_decisions(db, {"enterprise_id": enterprise_id,
                                                                          "rule_code": rule_code})] == [flag_id]
            assert queries.earlier_decisions(db, {"enterprise_id": enterprise_id, "rule_code": "XX01"}) == []
            assert queries.earlier_decisions(db, {"enterprise_id": "EN-other", "rule_code": rule_code}) == []
        finally:
            dbt("run", "--select", model, "flags")
        # raised again under its own id, with its decision: no predecessor to show
        assert 'id="earlier"' not in c.get(f"/flags/{flag_id}").text
