"""The reviewers' workbench: a Starlette application rendering Jinja2 templates.

Sync endpoints (Starlette runs them in its thread pool) with psycopg: each
request opens a connection of the person's own login (auth.py) and closes it.
No JavaScript is needed to work the queue; static files are in the package.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from warehouse.server import Connection
from workbench import export, i18n, queries, records_behind
from workbench.auth import (
    SESSION_COOKIE,
    Draft,
    LoginRefused,
    LoginThrottle,
    Session,
    SessionStore,
    WarehouseDown,
    check_login,
    user_connection,
)
from workbench.charts import price_ranges
from workbench.evidence import evidence_rows

HERE = Path(__file__).resolve().parent
# A session that ended keeps the decisions it was sending, for the next login; an anonymous client can send
# such forms too, so what one session keeps is bounded.
MAX_DRAFTS = 20
MAX_NOTE_CHARS = 20_000
# What the login page says about the session that ended (`/login?ended=...`).
ENDED_MESSAGES = {"idle": "session_expired", "kept": "session_ended", "lost": "session_ended_not_kept"}
LANG_COOKIE = "fdi_lang"
# No inline script or style anywhere, so the policy can forbid both: a name
# that slipped through escaping still could not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _flag_url(flag_id: str, back: str) -> str:
    """A flag's page, with the queue to go back to when it is not the whole queue."""
    return f"/flags/{flag_id}" + (f"?{urlencode({'back': back})}" if back != "/flags" else "")


def keep_draft(session: Session, flag_id: str, status: str, note: str, author: str, why: str) -> bool:
    """Keep a decision the warehouse did not record for its flag's page, within bounds (an anonymous client
    can send such forms too); whether it was kept."""
    kept = bool(author) and (len(session.drafts) < MAX_DRAFTS or flag_id in session.drafts) and len(flag_id) <= 64 \
        and len(note) <= MAX_NOTE_CHARS and len(author) <= 64
    if kept:
        session.drafts[flag_id] = Draft(status, note, author, why)
    return kept


class Refused(Exception):
    """The warehouse refused the login a query (InsufficientPrivilege): one sentence, status 403."""

    def __init__(self, key: str):
        self.key = key


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "svg"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(number=i18n.number, date=i18n.date, label=i18n.label, periods=i18n.periods, dataset=i18n.dataset,
                       STATUS=i18n.STATUS,
                       DELIVERY_STATUS=i18n.DELIVERY_STATUS, COVERAGE_STATUS=i18n.COVERAGE_STATUS,
                       SEVERITY=i18n.SEVERITY, RULE_NAMES=i18n.RULE_NAMES, AGENCIES=i18n.AGENCIES,
                       RECORD_COLUMNS=i18n.RECORD_COLUMNS, RECORD_KINDS=i18n.RECORD_KINDS, NO_RECORDS=i18n.NO_RECORDS)
    return env


def create_app(base: Connection) -> Starlette:
    """The application on the warehouse `base` (host, port, database; its user is never used for people)."""
    store = SessionStore()
    throttle = LoginThrottle()
    env = _templates()

    def session_of(request: Request) -> tuple[Session, bool]:
        s = store.get(request.cookies.get(SESSION_COOKIE))
        return (s, False) if s else (store.new(), True)

    def lang_of(request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE)
        return lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE

    def finish(response: Response, session: Session, new: bool) -> Response:
        if new:
            response.set_cookie(SESSION_COOKIE, session.sid, httponly=True, samesite="strict", path="/")
        response.headers.update(SECURITY_HEADERS)
        return response

    def render(request: Request, session: Session, new: bool, template: str, status: int = 200, **ctx) -> Response:
        lang = lang_of(request)
        html = env.get_template(template).render(
            request=request, session=session, lang=lang, t=lambda k: i18n.t(k, lang), **ctx)
        return finish(HTMLResponse(html, status_code=status), session, new)

    def refusal(request: Request, session: Session, new: bool, key: str, status: int) -> Response:
        return render(request, session, new, "message.html", status=status, message_key=key)

    def page(handler, keep=None):
        """Session, login and the warehouse's refusals handled once for every page. `keep(session)`, given by
        the endpoint that records a decision, keeps the decision as a draft when the warehouse cannot take it
        (down, or not built) and returns the page it will be filled in on, or None when not kept."""
        def unavailable(request: Request, session: Session, new: bool, key: str) -> Response:
            if keep is None or (where := keep(session)) is None:
                return refusal(request, session, new, key, 503)
            return render(request, session, new, "message.html", status=503, message_key=f"{key}_kept",
                          link=where, link_key="open_flag_again")

        def endpoint(request: Request) -> Response:
            session, new = session_of(request)
            if not session.authenticated:
                # a cookie of a session the workbench no longer knows: it ended (idle, a restart), so say so
                ended = new and bool(request.cookies.get(SESSION_COOKIE))
                return finish(RedirectResponse(_login_url(request, ended), status_code=303), session, new)
            try:
                with user_connection(base, session) as pg:
                    return handler(request, session, new, pg)
            except Refused as exc:
                return refusal(request, session, new, exc.key, 403)
            except psycopg.errors.InsufficientPrivilege as exc:
                key = "no_audit_access" if "audit" in str(exc) else "no_risk_access"
                return refusal(request, session, new, key, 403)
            except psycopg.errors.UndefinedTable:
                return unavailable(request, session, new, "not_built")
            except WarehouseDown:
                return unavailable(request, session, new, "db_unreachable")
        return endpoint

    def csrf_checked(session: Session, form) -> bool:
        return session.csrf_ok(form.get("csrf_token"))

    # -- login -------------------------------------------------------------------------
    def login_page(request: Request) -> Response:
        session, new = session_of(request)
        return render(request, session, new, "login.html", next=_safe_next(request.query_params.get("next")),
                      error=ENDED_MESSAGES.get(request.query_params.get("ended") or ""))

    async def login_post(request: Request) -> Response:
        session, new = session_of(request)
        form = await request.form()
        nxt = _safe_next(form.get("next"))
        if not csrf_checked(session, form):
            return render(request, session, new, "login.html", status=403, error="csrf_refused", next=nxt)
        login, password = (form.get("username") or "").strip(), form.get("password") or ""
        wait_s = throttle.wait_s(login)
        if wait_s:
            return render(request, session, new, "login.html", status=429, error="login_throttled", next=nxt,
                          username=login, minutes=max(1, round(wait_s / 60)))
        from starlette.concurrency import run_in_threadpool
        try:
            groups = await run_in_threadpool(check_login, base, login, password)
        except LoginRefused:
            throttle.failed(login)
            return render(request, session, new, "login.html", status=401, error="login_failed", next=nxt,
                          username=login)
        except WarehouseDown:
            return render(request, session, new, "login.html", status=503, error="db_unreachable", next=nxt)
        throttle.succeeded(login)
        # a fresh session id at login, so an id planted before it is worth nothing
        store.drop(session.sid)
        fresh = store.new()
        fresh.login, fresh.password, fresh.groups = login, password, groups
        fresh.drafts = session.drafts_of(login)
        return finish(RedirectResponse(nxt, status_code=303), fresh, True)

    async def logout(request: Request) -> Response:
        session, new = session_of(request)
        form = await request.form()
        if not csrf_checked(session, form):
            return refusal(request, session, new, "csrf_refused", 403)
        store.drop(session.sid)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.headers.update(SECURITY_HEADERS)
        return response

    def set_language(request: Request) -> Response:
        code = request.path_params["code"]
        back = urlparse(request.headers.get("referer") or "/")
        target = (back.path or "/") + (f"?{back.query}" if back.query else "")
        response = RedirectResponse(_safe_next(target), status_code=303)
        if code in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, httponly=True, samesite="strict", path="/", max_age=365 * 86400)
        response.headers.update(SECURITY_HEADERS)
        return response

    # -- the queue -----------------------------------------------------------------------
    def flags_page(request, session, new, pg):
        f = queries.QueueFilters.from_params(request.query_params)
        rows, total = queries.queue(pg, f)
        pages = max(1, -(-total // queries.PAGE_SIZE))
        return render(request, session, new, "flags.html", rows=rows, total=total, f=f, pages=pages,
                      choices=queries.filter_choices(pg), statuses=queries.STATUSES, severities=queries.SEVERITIES,
                      waiting=queries.waiting(pg, f), withdrawn=queries.withdrawn_counts(pg))

    def _export_rows(request, pg):
        lang = lang_of(request)
        f = queries.QueueFilters.from_params(request.query_params)
        rows, _ = queries.queue(pg, f, limit=None)
        header = ["flag_id", "rule_code", "tax_code", "enterprise_name", "period", "severity", "score",
                  "amount_at_stake_vnd", "review_status", "reviewer", "decided_at", "summary"]
        body = [[r["flag_id"], r["rule_code"], r["tax_code"], r["enterprise_name"], r["period"], r["severity"],
                 r["score"], r["amount_at_stake_vnd"], i18n.label(i18n.STATUS, r["review_status"], lang),
                 r["reviewer"], r["decided_at"].isoformat() if r["decided_at"] else None, r["summary"]]
                for r in rows]
        return header, body

    def download(session, new, fmt: str, name: str, header: list[str], rows: list[list], sheet_name: str):
        """A table as an attachment, `<name>.csv` or `<name>.xlsx` (workbench/export.py)."""
        if fmt == "csv":
            body, media = export.to_csv(header, rows), "text/csv; charset=utf-8"
        else:
            body, media = export.to_xlsx(header, rows, sheet_name), XLSX_MEDIA_TYPE
        response = Response(body, media_type=media,
                            headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
        return finish(response, session, new)

    def flags_csv(request, session, new, pg):
        return download(session, new, "csv", f"flags_{dt.date.today()}", *_export_rows(request, pg), "flags")

    def flags_xlsx(request, session, new, pg):
        return download(session, new, "xlsx", f"flags_{dt.date.today()}", *_export_rows(request, pg), "flags")

    # -- one flag ----------------------------------------------------------------------------
    def flag_page(request, session, new, pg, error: str | None = None, status: int = 200, note: str = "",
                  chosen: str | None = None, back: str | None = None):
        flag_id = request.path_params["flag_id"]
        row = queries.flag(pg, flag_id)
        if row is None:
            return withdrawn_page(request, session, new, pg, error=error, status=status, note=note, back=back)
        draft = session.drafts.pop(flag_id, None)
        if draft and not error:
            chosen, note = draft.status, draft.note
        lang = lang_of(request)
        evidence = _evidence(row)
        records = queries.source_records(pg, row)
        coverage_source, coverage = queries.coverage_of_period(pg, row, records)
        history = queries.reviews(pg, flag_id)
        return render(request, session, new, "flag.html", status=status, flag=row,
                      evidence=evidence_rows(evidence, lang), charts=price_ranges(row["rule_code"], evidence, lang),
                      records=records, coverage_source=coverage_source, coverage=coverage,
                      behind=records_behind.link(row, evidence),
                      history=history, seen_review=max((h["review_id"] for h in history), default=None),
                      earlier=queries.earlier_decisions(pg, row), decisions=queries.DECISIONS, error=error,
                      saved=request.query_params.get("saved") == "1",
                      restored=f"draft_restored_{draft.why}" if draft and not error else None,
                      note=note, chosen=chosen, back=_safe_back(back or request.query_params.get("back")))

    def withdrawn_page(request, session, new, pg, error: str | None = None, status: int = 200, note: str = "",
                       back: str | None = None):
        """A flag no rule raises any more, as it was last raised, with the decisions on it; none can be added. A
        decision on its way (a form, a draft kept over a login) is shown again, so its note is not lost."""
        flag_id = request.path_params["flag_id"]
        row = queries.withdrawn_flag(pg, flag_id)
        if row is None:
            return refusal(request, session, new, "not_found", 404)
        draft = session.drafts.pop(flag_id, None)
        if draft and not note:
            note = draft.note
        lang = lang_of(request)
        now = queries.enterprise_flags(pg, row["enterprise_id"]) if row["enterprise_id"] else []
        return render(request, session, new, "withdrawn_flag.html", status=status, flag=row,
                      evidence=evidence_rows(_evidence(row), lang), history=queries.reviews(pg, flag_id),
                      raised_now=now, error=error, note=note,
                      back=_safe_back(back or request.query_params.get("back")))

    def withdrawn_list(request, session, new, pg):
        f = queries.QueueFilters.from_params(request.query_params)  # its page only
        rows, total, decided = queries.withdrawn(pg, page=f.page)
        return render(request, session, new, "withdrawn.html", rows=rows, total=total, decided=decided,
                      page_no=f.page, pages=max(1, -(-total // queries.PAGE_SIZE)))

    async def decide(request: Request) -> Response:
        form = await request.form()
        flag_id = request.path_params["flag_id"]
        status = form.get("status") or ""
        note = (form.get("note") or "").strip()
        back = _safe_back(form.get("back"))
        session, new = session_of(request)
        if not session.authenticated:
            # the session ended (idle, a restart, a logout in another tab) with a decision on its way: keep it
            # for the flag's page after its author's next login, where they record it again. The author is the
            # form's word: it only decides who sees the draft filled in, never who records it.
            author = (form.get("author") or "").strip()
            kept = keep_draft(session, flag_id, status, note, author, "session_ended")
            query = urlencode({"next": _flag_url(flag_id, back), "ended": "kept" if kept else "lost"})
            return finish(RedirectResponse(f"/login?{query}", status_code=303), session, new)

        def handler(request, session, new, pg):
            def again(error: str, code: int) -> Response:  # the page, with what the person entered still in it
                return flag_page(request, session, new, pg, error=error, status=code, note=note, chosen=status,
                                 back=back)

            if not csrf_checked(session, form):
                # a form of an earlier session: not recorded, but what it held is shown again on its flag's page
                try:
                    known = queries.flag(pg, flag_id) is not None
                except psycopg.errors.UndefinedTable:  # a warehouse not built yet: the refusal alone
                    known = False
                return again("csrf_refused", 403) if known else refusal(request, session, new, "csrf_refused", 403)
            if status not in queries.DECISIONS:
                return again("bad_status", 400)
            if status in ("confirmed", "dismissed") and not note:
                return again("note_required", 400)
            row = queries.flag(pg, flag_id)
            if row is None:  # withdrawn since the page was opened: shown as last raised, the note kept
                return withdrawn_page(request, session, new, pg, error="flag_withdrawn", status=409, note=note,
                                      back=back)
            if status == "confirmed" and row["review_status"] == "awaiting_second" \
                    and session.login in (row["confirmed_by"] or "").split(", "):
                return again("already_confirmed_by_you", 409)
            seen = form.get("seen_review")
            try:
                recorded = queries.record_decision(
                    pg, flag_id, status, session.login, note or None,
                    seen_review=False if seen is None else (int(seen) if seen.isdigit() else None))
            except psycopg.errors.InsufficientPrivilege:
                return again("decision_refused", 403)
            if not recorded:
                return again("decided_meanwhile", 409)
            target = f"/flags/{flag_id}?" + urlencode({**({"back": back} if back != "/flags" else {}), "saved": "1"})
            return finish(RedirectResponse(target, status_code=303), session, new)

        def keep(session: Session) -> str | None:
            # only a form of this session: an earlier one's is refused for its token, not kept
            kept = csrf_checked(session, form) and keep_draft(session, flag_id, status, note, session.login,
                                                              "unavailable")
            return _flag_url(flag_id, back) if kept else None

        from starlette.concurrency import run_in_threadpool
        return await run_in_threadpool(page(handler, keep), request)

    # -- the records behind a finding --------------------------------------------------------------
    def _behind(request, pg) -> tuple[dict, records_behind.Behind] | None:
        """The flag and its records, or None: no such flag, or a rule whose evidence is no list of records."""
        row = queries.flag(pg, request.path_params["flag_id"])
        behind = None if row is None else records_behind.records_behind(pg, row, _evidence(row))
        return None if behind is None else (row, behind)

    def records_page(request, session, new, pg):
        if (found := _behind(request, pg)) is None:
            return refusal(request, session, new, "not_found", 404)
        row, behind = found
        return render(request, session, new, "records.html", flag=row, behind=behind, columns=behind.columns,
                      shown_per_group=records_behind.SHOWN_PER_GROUP, numeric=records_behind.NUMERIC,
                      dates=records_behind.DATES)

    def _records_table(request, pg) -> tuple[str, list[str], list[list]] | None:
        if (found := _behind(request, pg)) is None:
            return None
        row, behind = found
        # a page of several kinds of record: each line fills its own kind's columns
        rows = [[r.get(c) for c in behind.columns] for g in behind.groups for r in g.rows]
        return f"{row['rule_code']}_{row['flag_id']}_{behind.kind}", list(behind.columns), rows

    def records_csv(request, session, new, pg):
        if (table := _records_table(request, pg)) is None:
            return refusal(request, session, new, "not_found", 404)
        return download(session, new, "csv", *table, "records")

    def records_xlsx(request, session, new, pg):
        if (table := _records_table(request, pg)) is None:
            return refusal(request, session, new, "not_found", 404)
        return download(session, new, "xlsx", *table, "records")

    # -- enterprise and coverage ----------------------------------------------------------------
    def enterprise_page(request, session, new, pg):
        e = queries.enterprise(pg, request.path_params["tax_code"])
        if e is None:
            return refusal(request, session, new, "not_found", 404)
        try:
            with pg.transaction():
                flags = queries.enterprise_flags(pg, e["enterprise_id"])
                waiting = queries.enterprise_waiting(pg, e["enterprise_id"])
                withdrawn, _, _ = queries.withdrawn(pg, e["enterprise_id"], limit=None)
        except psycopg.errors.InsufficientPrivilege:
            flags, waiting, withdrawn = None, [], []  # an analyst sees the enterprise, not its flags
        return render(request, session, new, "enterprise.html", e=e, names=queries.enterprise_names(pg, e),
                      years=queries.enterprise_years(pg, e["enterprise_id"]), flags=flags, waiting=waiting,
                      withdrawn=withdrawn)

    def coverage_page(request, session, new, pg):
        source, periods, datasets, cells = queries.coverage_grid(pg)
        return render(request, session, new, "coverage.html", source=source, periods=periods,
                      datasets=datasets, cells=cells)

    def home(request: Request) -> Response:
        return RedirectResponse("/flags", status_code=303)

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{code}", set_language),
        Route("/flags", page(flags_page)),
        Route("/flags.csv", page(flags_csv)),
        Route("/flags.xlsx", page(flags_xlsx)),
        Route("/withdrawn", page(withdrawn_list)),
        Route("/flags/{flag_id}", page(flag_page), methods=["GET"]),
        Route("/flags/{flag_id}/reviews", decide, methods=["POST"]),
        Route("/flags/{flag_id}/records", page(records_page)),
        Route("/flags/{flag_id}/records.csv", page(records_csv)),
        Route("/flags/{flag_id}/records.xlsx", page(records_xlsx)),
        Route("/enterprises/{tax_code}", page(enterprise_page)),
        Route("/coverage", page(coverage_page)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _evidence(flag_row: dict) -> dict:
    return flag_row["evidence"] if isinstance(flag_row["evidence"], dict) else json.loads(flag_row["evidence"])


def _login_url(request: Request, ended: bool = False) -> str:
    """/login, coming back to the page asked for, its query string included."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?" + urlencode({"next": target, **({"ended": "idle"} if ended else {})})


def _safe_back(target: str | None) -> str:
    """The queue as the person left it (its filters and page), else the queue."""
    target = _safe_next(target)
    return target if target == "/flags" or target.startswith("/flags?") else "/flags"


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect a login to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/flags"
    return target
