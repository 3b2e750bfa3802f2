"""The review queue: one row per episode that has a transcript, with what a volunteer needs to choose.

Statuses, in the words the queue shows: ``needs review`` (a revision nobody approved yet),
``being edited`` (someone has it open: ``editing`` says who and since when), ``approved`` (the newest
revision is approved and is being published) and ``published`` (the newest revision is approved and
live). Held episodes (``in_review``) come first.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from chorus.catalog import Catalog, Episode, PrivacyFlag, Show, TranscriptRevision
from chorus.settings import Settings
from chorus.showfeed import episode_page_key
from transcripts import Transcript
from transcripts.formats import caption_problems, make_cues

from editor import _cache
from editor.errors import EditorError

__all__ = ["LOW_CONFIDENCE", "episode_rows", "episode_row", "media_urls", "problems_of", "transcript_figures"]

LOW_CONFIDENCE = 0.5
"""A word below this probability is highlighted for volunteers and counted in the queue."""
_LIVE = ("published", "scheduled")
_figures_lock = threading.Lock()
_CACHE: dict[tuple[int, int], tuple[int, int]] = {}


def problems_of(t: Transcript) -> list[dict]:
    """Caption-rule problems of a transcript's cues, as ``[{cue, kind, message, start, end}]``."""
    cues = make_cues(t.words())
    return [{"cue": p.cue, "kind": p.rule, "message": p.detail, "start": cues[p.cue].start, "end": cues[p.cue].end}
            for p in caption_problems(cues)]


def transcript_figures(catalog: Catalog, episode_id: int, number: int) -> tuple[int, int]:
    """(low-confidence words, caption problems) of a transcript revision; cached (revisions never change)."""
    key = (episode_id, number)
    with _figures_lock:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    t = _cache.transcript(catalog, episode_id, number)
    low = sum(1 for w in t.words() if w.probability < LOW_CONFIDENCE)
    value = (low, len(problems_of(t)))
    with _figures_lock:
        if len(_CACHE) > 512:
            _CACHE.clear()
        _CACHE[key] = value
    return value


def media_urls(ep: Episode, bucket: Any) -> dict:
    """Where the editor's player gets the audio, video and captions: the public URLs of a live episode;
    for any other (held, drafted, unpublished) the editor's own ``/media/<id>/<kind>``, which streams from
    the private prefix to logged-in users only. Never a signed bucket URL: anyone with the link could
    read it."""
    def url(kind: str) -> str | None:
        obj = (ep.objects or {}).get(kind)
        if not obj:
            return None
        if ep.status in _LIVE and obj.get("url"):
            return obj["url"]
        return f"/media/{ep.id}/{kind}" if obj.get("key") else None
    return {"audio_url": url("mp3"), "video_url": url("mp4"), "vtt_url": url("vtt"), "duration": ep.duration}


def _flags_open(catalog: Catalog, episode_id: int) -> dict[str, int]:
    """How many personal-data flags of the episode are still open, by kind (never the flagged words)."""
    with catalog.session() as s:
        rows = s.execute(select(PrivacyFlag.kind, func.count()).where(
            PrivacyFlag.episode_id == episode_id, PrivacyFlag.state == "open").group_by(PrivacyFlag.kind)).all()
    return {kind: n for kind, n in sorted(rows)}


def _status(ep: Episode, latest: int, approved: int | None, editing: list) -> str:
    if editing:
        return "being edited"
    if approved is not None and approved == latest:
        return "published" if ep.status in _LIVE else "approved"
    return "needs review"


def _row(catalog: Catalog, settings: Settings, bucket: Any, ep: Episode, latest: int, editing: list) -> dict:
    approved = catalog.approved_revision("transcript", ep.id)
    approved_n = approved.number if approved is not None else None
    media = ep.media or {}
    low, problems = transcript_figures(catalog, ep.id, latest)
    page = None
    if ep.status in _LIVE and bucket is not None:
        page = bucket.url(episode_page_key(settings, ep.show.slug, ep.slug))
    return {
        "id": ep.id, "show": ep.show.slug, "title": ep.title, "status": _status(ep, latest, approved_n, editing),
        "state": ep.status, "revision": latest, "source": ep.source_name, "duration": ep.duration,
        "coverage": media.get("coverage"), "gaps": media.get("inaudible") or [], "low_confidence": low,
        "caption_problems": problems, "editing": [{"user": p.user, "since": p.since.isoformat()} for p in editing],
        "approved_revision": approved_n, "published_url": page,
        "held": ep.status == "in_review", "updated_at": ep.updated_at.isoformat() if ep.updated_at else None,
        "flags_open": _flags_open(catalog, ep.id),
        "review": getattr(settings.shows.get(ep.show.slug), "review", "flagged"),
    }


def episode_rows(catalog: Catalog, settings: Settings, bucket: Any = None, show: str | None = None) -> list[dict]:
    """Queue rows of every episode with a transcript (of one show when ``show`` is given), held first,
    then newest first."""
    with catalog.session() as s:
        latest = dict(s.execute(select(TranscriptRevision.episode_id, func.max(TranscriptRevision.number))
                                .group_by(TranscriptRevision.episode_id)).all())
        q = select(Episode).join(Show).where(Episode.id.in_(list(latest)))
        if show:
            q = q.where(Show.slug == show)
        episodes = list(s.scalars(q.order_by(Episode.id.desc())))
        for ep in episodes:
            _ = ep.show.slug  # loaded while the session is open
    presence: dict[int, list] = {}
    for p in catalog.presence():
        presence.setdefault(p.episode_id, []).append(p)
    rows = [_row(catalog, settings, bucket, ep, latest[ep.id], presence.get(ep.id, [])) for ep in episodes]
    return sorted(rows, key=lambda r: (not r["held"], -r["id"]))


def episode_row(catalog: Catalog, settings: Settings, bucket: Any, episode_id: int) -> tuple[dict, Episode]:
    """One queue row plus the episode (404 :class:`EditorError` when there is none with a transcript)."""
    with catalog.session() as s:
        ep = s.get(Episode, episode_id)
        latest = s.scalar(select(func.max(TranscriptRevision.number))
                          .where(TranscriptRevision.episode_id == episode_id)) if ep is not None else None
        if ep is not None:
            _ = ep.show.slug
    if ep is None or latest is None:
        raise EditorError(f"there is no episode {episode_id} with a transcript", 404)
    return _row(catalog, settings, bucket, ep, latest, catalog.presence(episode_id)), ep
