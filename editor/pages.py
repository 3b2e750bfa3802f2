"""Server-rendered pages: login, the queue, the editor and the history (templates in ``editor/templates``).

Every template gets ``user`` (``{"name", "role"}`` or None), ``csrf`` (the session's token, or the
login form's), ``message`` and ``show_filter``, plus per page: ``episodes``, ``shows`` and ``resume``
(queue); ``episode`` (editor, history); ``revisions``, ``selected`` and ``diff`` (history); ``next``
(login). Anonymous visitors are sent to ``/login?next=...``.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from chorus import accounts
from chorus.catalog import Episode, TranscriptRevision

from editor import service
from editor.api import revision_diff, set_session_cookie
from editor.auth import CSRF_COOKIE, SESSION_COOKIE, Principal, check_csrf, identify, login, pre_session_csrf
from editor.errors import EditorError
from editor.queue import episode_row, episode_rows, media_urls

__all__ = ["router", "render", "safe_next"]

router = APIRouter()


def _state(request: Request):
    return request.app.state.editor


def render(request: Request, template: str, principal: Principal | None, status: int = 200, **context) -> HTMLResponse:
    """A page with the common context (``user``, ``csrf``, ``message``, ``show_filter``)."""
    base = {"user": principal.public() if principal else None, "csrf": principal.csrf if principal else "",
            "message": None, "show_filter": None}
    return _state(request).templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else (another site, ``//x``, ``javascript:``) is ``/``.

    >>> safe_next("/episodes/3"), safe_next("//evil.example/"), safe_next("https://evil.example/"), safe_next(None)
    ('/episodes/3', '/', '/', '/')
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _login_page(request: Request, next_: str, message: str | None = None, status: int = 200) -> HTMLResponse:
    token = pre_session_csrf(request)
    page = render(request, "login.html", None, status, csrf=token, next=safe_next(next_), message=message)
    page.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    path="/")
    return page


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
    return _login_page(request, next)


@router.post("/login")
def login_submit(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
                 next: str = Form("/")) -> Response:  # noqa: A002
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not csrf or cookie != csrf:
        return _login_page(request, next, "The form expired; please log in again.", 403)
    st = _state(request)
    try:
        _user, token, _csrf = login(st.catalog, st.limiter, request, name, password, st.settings.editor.session_hours)
    except EditorError as e:
        return _login_page(request, next, str(e).capitalize() + ".", e.status)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, token, st.settings.editor.session_hours)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    principal = identify(request, _state(request).catalog)
    if principal is not None:
        check_csrf(request, principal, csrf)
        accounts.end_session(_state(request).catalog, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _resume(catalog, name: str) -> dict | None:
    """The user's newest draft's episode, else the episode they last saved a revision of."""
    drafts = catalog.drafts_of(name)
    with catalog.session() as s:
        episode_id = drafts[0].episode_id if drafts else s.scalar(
            select(TranscriptRevision.episode_id).where(TranscriptRevision.author == name)
            .order_by(TranscriptRevision.created_at.desc()).limit(1))
        ep = s.get(Episode, episode_id) if episode_id is not None else None
        return {"id": ep.id, "title": ep.title, "draft": bool(drafts)} if ep is not None else None


@router.get("/")
def queue(request: Request, show: str = "") -> Response:
    st = _state(request)
    principal = identify(request, st.catalog)
    if principal is None:
        return _to_login(request)
    shows = [{"slug": slug, "title": conf.title} for slug, conf in st.settings.shows.items()]
    show = show if show in st.settings.shows else ""
    rows = episode_rows(st.catalog, st.settings, st.bucket, show or None)
    return render(request, "queue.html", principal, episodes=rows, shows=shows, show_filter=show or None,
                  resume=_resume(st.catalog, principal.name))


@router.get("/episodes/{episode_id}")
def editor_page(request: Request, episode_id: int) -> Response:
    st = _state(request)
    principal = identify(request, st.catalog)
    if principal is None:
        return _to_login(request)
    row, ep = episode_row(st.catalog, st.settings, st.bucket, episode_id)
    return render(request, "editor.html", principal, episode={**row, "media": media_urls(ep, st.bucket)})


@router.get("/episodes/{episode_id}/history")
def history_page(request: Request, episode_id: int, revision: int | None = None) -> Response:
    st = _state(request)
    principal = identify(request, st.catalog)
    if principal is None:
        return _to_login(request)
    row, _ep = episode_row(st.catalog, st.settings, st.bucket, episode_id)
    revs = [{"number": r.number, "author": r.author, "created_at": r.created_at.isoformat(), "base": r.base,
             "merged": r.merged, "summary": r.summary, "approved_by": r.approved_by}
            for r in reversed(st.catalog.revisions("transcript", episode_id))]
    selected = revision if revision is not None else row["revision"]
    return render(request, "history.html", principal, episode=row, revisions=revs, selected=selected,
                  diff=revision_diff(st.catalog, episode_id, selected))


@router.post("/episodes/{episode_id}/history/restore")
def restore_form(request: Request, episode_id: int, revision: int = Form(...), csrf: str = Form("")) -> Response:
    """The history page's restore button (works without JavaScript); back to the history afterwards."""
    st = _state(request)
    principal = identify(request, st.catalog)
    if principal is None:
        return _to_login(request)
    check_csrf(request, principal, csrf)
    if not accounts.can(principal.user, "edit"):
        raise EditorError("you may not edit", 403)
    got = service.restore(st.catalog, episode_id, principal.name, revision)
    return RedirectResponse(f"/episodes/{episode_id}/history?revision={got.revision}", status_code=303)
