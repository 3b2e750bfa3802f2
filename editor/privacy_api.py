"""The editor's routes for personal-data flags and redaction (``/api/episodes/{id}/flags``, ``/redact``).

Reads need a login; writes need the session's CSRF token with a cookie and the ``edit`` right (editors
and organisers alike may redact and dismiss). The work is done by ``chorus.privacy_review``; after a
redaction the app's republisher renders the episode's artefacts again (private while it is held), so
the check after republishing can run. Bad input is a 400 with a one-line ``{"error"}``; an unknown
flag 404; a flag already decided, or a redaction based on a revision that is not the newest, 409.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from sqlalchemy import select

from chorus.catalog import PrivacyFlag
from chorus.errors import ChorusError

from editor import _cache
from editor.api import _reader, _state, _writer
from editor.errors import EditorError
from editor.queue import episode_row
from editor.service import _lock

__all__ = ["router", "MAX_REASON", "MAX_WORDS"]

router = APIRouter(prefix="/api")
MAX_REASON = 500
"""A dismissal's reason is at most this many characters (stored as typed)."""
MAX_WORDS = 200
"""A manual redaction covers at most this many words (a longer one is more likely a slip of the keys)."""
_STATUS = {"conflict": 409, "not_found": 404, "missing": 404}


def _review():
    """``chorus.privacy_review``, imported when first used (the editor starts without it)."""
    from chorus import privacy_review

    return privacy_review


def _call(fn, *args, **kwargs) -> Any:
    """``fn(...)``, its ``ChorusError`` answered with the status its ``code`` names (400 otherwise)."""
    try:
        return fn(*args, **kwargs)
    except ChorusError as e:
        raise EditorError(str(e), _STATUS.get(getattr(e, "code", None) or "", 400)) from e


def _int(body: dict, name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EditorError(f"{name} must be a whole number of 0 or more")
    return value


def _open_flag(catalog, episode_id: int, flag_id: int) -> PrivacyFlag:
    """The episode's flag ``flag_id``: 404 when there is none, 409 when it was already decided."""
    with catalog.session() as s:
        flag = s.scalar(select(PrivacyFlag).where(PrivacyFlag.id == flag_id, PrivacyFlag.episode_id == episode_id))
    if flag is None:
        raise EditorError(f"episode {episode_id} has no flag {flag_id}", 404)
    if flag.state != "open":
        raise EditorError(f"flag {flag_id} is already {flag.state}; reload the flags", 409)
    return flag


def _redacting(catalog, episode_id: int, fn, *args, **kwargs) -> dict:
    """Run a redaction under the episode's save locks (a save building on the old revision cannot slip in
    after it and bring the words back), then forget the episode's cached revisions."""
    with _lock("transcript", episode_id), _lock("notes", episode_id):
        try:
            return _call(fn, *args, **kwargs)
        finally:
            _cache.forget(catalog, episode_id)


def _republish(request: Request, episode_id: int, result: dict) -> dict:
    """Start the app's republisher after a redaction; a failure to start is reported, not raised (the
    redaction itself is done and stays)."""
    republish = _state(request).republish
    if result.get("redaction") is None:  # nothing was left to redact (the words were gone already)
        return {**result, "republish": "none"}
    if republish is None:
        return {**result, "republish": "none"}
    try:
        return {**result, "republish": republish(episode_id)}
    except Exception as e:  # noqa: BLE001 - reported to the reviewer; `chorus retry` runs it again
        return {**result, "republish": "failed", "republish_error": " ".join(str(e).split())[:300]}


@router.get("/episodes/{episode_id}/flags")
def flags(request: Request, episode_id: int) -> dict:
    """``{"flags": [...], "redactions": [...], "review": policy}``: every flag (open and decided) with who
    decided and why, and every redaction with its check state (``verified``: null, true or false)."""
    _reader(request)
    st = _state(request)
    row, _ep = episode_row(st.catalog, st.settings, None, episode_id)  # 404 without a transcript
    pr = _review()
    return {"flags": pr.flags(st.catalog, episode_id), "redactions": pr.redactions(st.catalog, episode_id),
            "review": row["review"]}


@router.post("/episodes/{episode_id}/flags/{flag_id}/accept")
def accept(request: Request, episode_id: int, flag_id: int) -> dict:
    """Redact a flag's words (every occurrence) -> the redaction, and the republish started."""
    p = _writer(request)
    st = _state(request)
    _open_flag(st.catalog, episode_id, flag_id)
    return _republish(request, episode_id, _redacting(st.catalog, episode_id, _review().accept, st.catalog,
                                                      episode_id, flag_id, p.name))


@router.post("/episodes/{episode_id}/flags/{flag_id}/dismiss")
def dismiss(request: Request, episode_id: int, flag_id: int, body: dict = Body(...)) -> dict:
    """``{"reason": "..."}``: keep the words; the reason is stored as typed, with who and when."""
    p = _writer(request)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise EditorError("say why the flag is dismissed: reason must be some text")
    if len(reason) > MAX_REASON:
        raise EditorError(f"the reason is {len(reason)} characters; at most {MAX_REASON}")
    st = _state(request)
    _open_flag(st.catalog, episode_id, flag_id)
    return _call(_review().dismiss, st.catalog, episode_id, flag_id, p.name, reason.strip())


@router.post("/episodes/{episode_id}/redact")
def redact(request: Request, episode_id: int, body: dict = Body(...)) -> dict:
    """``{"revision", "first", "last"}``: redact words first..last (global indices into that revision's
    words, which must be the newest) and every other occurrence of the same phrase."""
    p = _writer(request)
    revision, first, last = _int(body, "revision"), _int(body, "first"), _int(body, "last")
    if last < first:
        raise EditorError("last must not come before first")
    if last - first + 1 > MAX_WORDS:
        raise EditorError(f"a redaction covers at most {MAX_WORDS} words; redact a long passage in parts")
    st = _state(request)
    newest = _cache.latest_number(st.catalog, episode_id)
    if newest is None:
        raise EditorError(f"there is no episode {episode_id} with a transcript", 404)
    if revision != newest:
        raise EditorError(f"the transcript changed since revision {revision} (revision {newest} is the newest); "
                          "reload and select the words again", 409)
    count = len(_cache.transcript(st.catalog, episode_id, newest).words())
    if last >= count:
        raise EditorError(f"revision {revision} has {count} words; last must be below {count}")
    return _republish(request, episode_id, _redacting(st.catalog, episode_id, _review().redact, st.catalog,
                                                      episode_id, p.name, revision, first, last, kind="manual"))
