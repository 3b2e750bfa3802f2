"""``GET /media/<episode id>/<kind>``: a held episode's audio, video and captions, streamed to logged-in
reviewers from the bucket's private prefix.

Any logged-in user may listen (session cookie or ``Authorization: Bearer``); anyone else is sent to the
login page. The answer follows the browser's ``Range`` header (206 with ``Content-Range``, so the audio
element can seek; 416 past the end), is streamed from the store in chunks, never loaded whole, and is
sent with ``Cache-Control: private, no-store``. Held episodes never get signed bucket URLs: whoever has
such a link can read the object, logged in or not.
"""
from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from chorus.catalog import Episode
from chorus.storage import RangeNotSatisfiable, StoreError, StoreUnavailable

from editor.auth import identify, require
from editor.errors import EditorError

__all__ = ["router", "CACHE_CONTROL"]

router = APIRouter()
CACHE_CONTROL = "private, no-store"
_KIND = re.compile(r"^[a-z0-9]{1,16}$")


def _object_key(request: Request, episode_id: int, kind: str) -> str:
    """The bucket key of an episode's object of this kind; 404 when there is none."""
    st = request.app.state.editor
    obj = None
    if _KIND.match(kind):
        with st.catalog.session() as s:
            ep = s.get(Episode, episode_id)
            obj = (ep.objects or {}).get(kind) if ep is not None else None
    if not obj or not obj.get("key"):
        raise EditorError(f"episode {episode_id} has no {kind[:16]!r} media", 404)
    return obj["key"]


@router.get("/media/{episode_id}/{kind}")
def media(request: Request, episode_id: int, kind: str) -> Response:
    """Stream one of an episode's objects (``mp3``, ``mp4``, ``vtt``, ...) to a logged-in user."""
    st = request.app.state.editor
    require(identify(request, st.catalog))
    key = _object_key(request, episode_id, kind)
    if st.bucket is None:
        raise EditorError("this editor has no bucket to stream media from; run it with `chorus up`", 404)
    try:
        status, headers, chunks = st.bucket.open_range(key, request.headers.get("range"))
    except RangeNotSatisfiable as e:
        size = "*" if e.length is None else e.length
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}", "Cache-Control": CACHE_CONTROL})
    except StoreUnavailable as e:
        raise EditorError(f"the store is unavailable; try again in a moment ({e.reason})", 503) from e
    except StoreError as e:
        if getattr(e, "code", None) in ("NoSuchKey", "404", "NotFound"):
            raise EditorError(f"episode {episode_id}'s {kind} is missing from the bucket", 404) from e
        raise
    # the store's Content-Type as it is (no charset added): the player and <track> read it
    return StreamingResponse(chunks, status_code=status, headers={**headers, "Cache-Control": CACHE_CONTROL})
