"""The JSON API (``/api/...``), which the pages use and organisers script; see docs/editor.md.

Reads need a login (cookie or ``Authorization: Bearer``). Writes made with the cookie need the
session's CSRF token in ``X-CSRF-Token``; editors may edit, organisers may also approve, unpublish
and manage users. Errors are ``{"error": "one line"}`` with 400/401/403/404/409/429.
"""
from __future__ import annotations

from typing import Any

import orjson

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from chorus import accounts
from chorus.errors import ChorusError
from transcripts.alignment import paragraphs, realign

from editor import _cache, service
from editor._notes import check_notes, notes_view
from editor.auth import SESSION_COOKIE, Principal, check_csrf, identify, login, require
from editor.errors import EditorError
from editor.queue import episode_row, episode_rows, media_urls, problems_of

__all__ = ["router", "set_session_cookie"]

router = APIRouter(prefix="/api")
_KINDS = ("transcript", "notes")


def _state(request: Request):
    return request.app.state.editor


def _reader(request: Request) -> Principal:
    return require(identify(request, _state(request).catalog))


def _writer(request: Request, action: str = "edit") -> Principal:
    """The caller of a write: logged in (401), with the CSRF token for a cookie (403), allowed (403)."""
    p = require(identify(request, _state(request).catalog))
    check_csrf(request, p)
    return require(p, action)


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        raise EditorError(f"kind must be one of {', '.join(_KINDS)}")
    return kind


def set_session_cookie(response, request: Request, token: str, hours: float) -> None:
    """The login cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS."""
    response.set_cookie(SESSION_COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


@router.post("/login")
def api_login(request: Request, body: dict = Body(...)) -> JSONResponse:
    """``{"name", "password"}`` -> ``{"csrf", "user"}`` and a new session cookie (after an expired one)."""
    if "application/json" not in request.headers.get("content-type", ""):
        raise EditorError("send the login as application/json", 415)
    st = _state(request)
    user, token, csrf = login(st.catalog, st.limiter, request, str(body.get("name") or ""),
                              str(body.get("password") or ""), st.settings.editor.session_hours)
    response = JSONResponse({"csrf": csrf, "user": {"name": user.name, "role": user.role}})
    set_session_cookie(response, request, token, st.settings.editor.session_hours)
    return response


@router.get("/me")
def me(request: Request) -> dict:
    """The caller: ``{"name", "role", "csrf"}`` (csrf is empty for a Bearer token)."""
    p = _reader(request)
    return {**p.public(), "csrf": p.csrf}


@router.get("/episodes")
def episodes(request: Request, show: str | None = None) -> list[dict]:
    _reader(request)
    st = _state(request)
    return episode_rows(st.catalog, st.settings, st.bucket, show or None)


@router.get("/episodes/{episode_id}")
def episode(request: Request, episode_id: int) -> dict:
    _reader(request)
    st = _state(request)
    row, ep = episode_row(st.catalog, st.settings, st.bucket, episode_id)
    return {**row, "media": media_urls(ep, st.bucket)}


@router.get("/episodes/{episode_id}/transcript")
def get_transcript(request: Request, episode_id: int, revision: int | None = None) -> JSONResponse:
    """The newest transcript revision (or ``?revision=N``) as paragraphs and timed words. Answered as ready
    bytes, encoded once per revision (``editor._cache.answer``): FastAPI's encoding of a returned dict took over
    a second for 20,000 words, and the view plus caption checks about 300 ms."""
    _reader(request)
    st = _state(request)
    number = revision if revision is not None else _cache.latest_number(st.catalog, episode_id)
    t = _cache.transcript(st.catalog, episode_id, number) if number is not None else None
    if t is None:
        raise EditorError(f"episode {episode_id} has no transcript" + (f" revision {revision}" if revision else ""), 404)
    body = _cache.answer(st.catalog, episode_id, number, lambda: orjson.dumps(
        {"revision": number, **service.transcript_view(t), "caption_problems": problems_of(t)}))
    return Response(body, media_type="application/json")


@router.put("/episodes/{episode_id}/transcript")
def put_transcript(request: Request, episode_id: int, body: dict = Body(...)) -> dict:
    """``{"base_revision", "paragraphs"}`` -> ``{"revision", "merged"}``, or 409 with the conflicts."""
    p = _writer(request)
    r = service.save_transcript(_state(request).catalog, episode_id, p.name, body.get("base_revision"),
                                service.to_paragraphs(body.get("paragraphs")))
    return {"revision": r.revision, "merged": r.merged, "changed": r.changed, "summary": r.summary}


@router.get("/episodes/{episode_id}/draft")
def get_draft(request: Request, episode_id: int, kind: str = "transcript") -> Any:
    p = _reader(request)
    found = service.load_draft(_state(request).catalog, episode_id, p.name, _kind(kind))
    if found is None:
        raise EditorError("no draft", 404)
    return found


@router.put("/episodes/{episode_id}/draft")
def put_draft(request: Request, episode_id: int, body: dict = Body(...), kind: str = "transcript") -> dict:
    """Autosave: ``{"base_revision", "paragraphs"}`` (or notes fields with ``?kind=notes``) -> ``{"saved_at"}``."""
    p = _writer(request)
    if _kind(kind) == "transcript":
        data = {"paragraphs": [{"speaker": x.speaker, "text": x.text} for x in service.to_paragraphs(body.get("paragraphs"))]}
    else:
        data = check_notes(body)
    saved = service.save_draft(_state(request).catalog, episode_id, p.name, kind, body.get("base_revision"), data)
    return {"saved_at": saved}


@router.post("/episodes/{episode_id}/check")
def check(request: Request, episode_id: int, body: dict = Body(...)) -> dict:
    """Caption-rule problems of edited paragraphs, before saving (live warnings)."""
    _reader(request)
    st = _state(request)
    machine = service.machine_transcript(st.catalog, episode_id)  # 404 without a transcript
    latest = _cache.transcript(st.catalog, episode_id, _cache.latest_number(st.catalog, episode_id))
    edited = realign(machine, latest, service.to_paragraphs(body.get("paragraphs")))
    return {"caption_problems": problems_of(edited)}


@router.get("/episodes/{episode_id}/notes")
def get_notes(request: Request, episode_id: int, revision: int | None = None) -> dict:
    _reader(request)
    rev = service.need(_state(request).catalog, "notes", episode_id, revision)
    return {"revision": rev.number, "author": rev.author, **notes_view(rev.data), "html": rev.data.get("html", ""),
            "text": rev.data.get("text", "")}


@router.put("/episodes/{episode_id}/notes")
def put_notes(request: Request, episode_id: int, body: dict = Body(...)) -> dict:
    p = _writer(request)
    r = service.save_notes(_state(request).catalog, episode_id, p.name, body.get("base_revision"), check_notes(body))
    return {"revision": r.revision, "merged": r.merged, "changed": r.changed, "summary": r.summary}


@router.get("/episodes/{episode_id}/revisions")
def revisions(request: Request, episode_id: int, kind: str = "transcript") -> list[dict]:
    _reader(request)
    rows = _state(request).catalog.revisions(_kind(kind), episode_id)
    if not rows:
        raise EditorError(f"episode {episode_id} has no {kind} revisions", 404)
    return [{"number": r.number, "kind": kind, "author": r.author, "created_at": r.created_at.isoformat(),
             "base": r.base, "merged": r.merged, "summary": r.summary, "approved_by": r.approved_by,
             "approved_at": r.approved_at.isoformat() if r.approved_at else None} for r in reversed(rows)]


def revision_diff(catalog, episode_id: int, number: int) -> dict:
    """Word diff of transcript revision ``number`` against the one before it."""
    from transcripts.revisions import summary as diff_summary, word_diff

    new = _cache.transcript(catalog, episode_id, number)
    if new is None:
        raise EditorError(f"episode {episode_id} has no transcript revision {number}", 404)
    old = _cache.transcript(catalog, episode_id, number - 1) if number > 1 else None
    ops = word_diff(paragraphs(old) if old is not None else [], paragraphs(new))
    return {"revision": number, "previous": number - 1 if old is not None else None,
            "ops": [_op(o) for o in ops], "summary": diff_summary(ops)}


def _op(o: Any) -> dict:
    """A ``transcripts.revisions.DiffOp`` as JSON (``speaker``: the op renames a paragraph's speaker)."""
    return {"kind": o.kind, "old": o.old, "new": o.new, "paragraph": o.paragraph, "speaker": o.speaker}


@router.get("/episodes/{episode_id}/revisions/{number}/diff")
def diff(request: Request, episode_id: int, number: int) -> dict:
    _reader(request)
    return revision_diff(_state(request).catalog, episode_id, number)


@router.post("/episodes/{episode_id}/revisions/{number}/restore")
def restore(request: Request, episode_id: int, number: int, kind: str = "transcript") -> dict:
    p = _writer(request)
    r = service.restore(_state(request).catalog, episode_id, p.name, number, _kind(kind))
    return {"revision": r.revision, "merged": False, "restored": number}


@router.post("/episodes/{episode_id}/presence")
def presence(request: Request, episode_id: int, body: dict | None = Body(None)) -> dict:
    """Heartbeat while the editor page is open; ``{"leaving": true}`` when it closes."""
    p = _writer(request)
    catalog = _state(request).catalog
    episode_row(catalog, _state(request).settings, None, episode_id)  # 404 for an unknown episode
    if body and body.get("leaving"):
        catalog.leave_presence(episode_id, p.name)
    else:
        catalog.touch_presence(episode_id, p.name)
    return {"editing": [{"user": x.user, "since": x.since.isoformat()} for x in catalog.presence(episode_id)]}


@router.post("/episodes/{episode_id}/approve")
def approve(request: Request, episode_id: int, body: dict = Body(...)) -> dict:
    """Organisers: ``{"revision": N, "notes_revision": M?}`` -> ``{"approved", "republish"}``."""
    p = _writer(request, "approve")
    st = _state(request)
    return service.approve(st.catalog, episode_id, p.name, body.get("revision"), body.get("notes_revision"),
                           st.republish)


@router.post("/episodes/{episode_id}/unpublish")
def unpublish(request: Request, episode_id: int) -> dict:
    """Organisers: take an episode out of its feed and pages (its objects stay)."""
    _writer(request, "unpublish")
    st = _state(request)
    if st.bucket is None:
        raise EditorError("this editor has no bucket to unpublish from", 503)
    from chorus.publishing import unpublish as take_down

    result = take_down(st.bucket, st.settings, st.catalog, episode_id)
    return {"unpublished": episode_id, "show": result.show}


@router.get("/users")
def users(request: Request) -> list[dict]:
    _writer(request, "manage_users")
    return [{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()}
            for u in accounts.list_users(_state(request).catalog)]


@router.post("/users")
def add_user(request: Request, body: dict = Body(...)) -> dict:
    """Organisers: ``{"name", "role", "password"}`` -> the new user."""
    _writer(request, "manage_users")
    u = accounts.add_user(_state(request).catalog, str(body.get("name") or ""), str(body.get("role") or ""),
                          str(body.get("password") or ""))
    return {"name": u.name, "role": u.role}


@router.delete("/users/{name}")
def remove_user(request: Request, name: str) -> dict:
    """Organisers: remove a user; their tokens and sessions stop working at once."""
    _writer(request, "manage_users")
    u = accounts.remove_user(_state(request).catalog, name)
    return {"removed": u.name}


def error_response(e: Exception) -> JSONResponse:
    """``{"error": "one line", ...}`` with the error's status (ChorusError: 400)."""
    if isinstance(e, EditorError):
        return JSONResponse({"error": str(e), **e.extra}, status_code=e.status)
    if isinstance(e, ChorusError):
        return JSONResponse({"error": " ".join(str(e).split())}, status_code=400)
    return JSONResponse({"error": "internal error"}, status_code=500)
