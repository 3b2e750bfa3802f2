"""Parsed transcript revisions, kept in memory: a revision never changes once written (the catalog refuses
updates), so a 20,000-word revision is read and parsed once, not at every save of a long episode."""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict

from sqlalchemy import func, select

from chorus.catalog import MACHINE, Catalog, TranscriptRevision
from transcripts import Segment, Transcript

__all__ = ["latest_number", "machine_number", "transcript", "remember", "transcript_data"]

_KEEP = 12
"""Parsed revisions kept per catalog (the newest few of the episodes being edited)."""
_caches: "weakref.WeakKeyDictionary[Catalog, OrderedDict]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_SEGMENT_FIELDS = [f.name for f in dataclasses.fields(Segment) if f.name != "words"]
_TRANSCRIPT_FIELDS = [f.name for f in dataclasses.fields(Transcript) if f.name not in ("segments", "options", "gaps")]


def latest_number(catalog: Catalog, episode_id: int) -> int | None:
    """The newest transcript revision's number (without reading its words)."""
    with catalog.session() as s:
        return s.scalar(select(func.max(TranscriptRevision.number)).where(TranscriptRevision.episode_id == episode_id))


def machine_number(catalog: Catalog, episode_id: int) -> int | None:
    """The number of the episode's first machine revision: the original machine words."""
    with catalog.session() as s:
        return s.scalar(select(func.min(TranscriptRevision.number))
                        .where(TranscriptRevision.episode_id == episode_id, TranscriptRevision.author == MACHINE))


def _cache(catalog: Catalog) -> OrderedDict:
    with _lock:
        return _caches.setdefault(catalog, OrderedDict())


def remember(catalog: Catalog, episode_id: int, number: int, t: Transcript) -> None:
    """Keep revision ``number`` (just written as ``t``) parsed. Callers never change a cached transcript."""
    cache = _cache(catalog)
    with _lock:
        cache[(episode_id, number)] = t
        cache.move_to_end((episode_id, number))
        while len(cache) > _KEEP:
            cache.popitem(last=False)


def transcript(catalog: Catalog, episode_id: int, number: int) -> Transcript | None:
    """Transcript revision ``number`` parsed (None when there is none); shared, so never modify it."""
    cache = _cache(catalog)
    with _lock:
        hit = cache.get((episode_id, number))
        if hit is not None:
            cache.move_to_end((episode_id, number))
            return hit
    rev = catalog.revision("transcript", episode_id, number)
    if rev is None:
        return None
    t = Transcript.from_dict(rev.data)
    remember(catalog, episode_id, number, t)
    return t


def transcript_data(t: Transcript) -> dict:
    """``t.to_dict()`` (what revisions store), several times faster on long transcripts: ``dataclasses.asdict``
    deep-copies every one of 20,000 words' fields.

    >>> from transcripts import Word
    >>> t = Transcript("en", 2.0, [Segment(0, 1, "Hi", "A", [Word("Hi", 0.1, 0.4, 0.9, "A")])], gaps=[(1.0, 2.0)])
    >>> import json
    >>> json.dumps(transcript_data(t), sort_keys=True) == json.dumps(t.to_dict(), sort_keys=True)
    True
    """
    out = {name: getattr(t, name) for name in _TRANSCRIPT_FIELDS}
    out["segments"] = [{**{name: getattr(s, name) for name in _SEGMENT_FIELDS},
                        "words": [dict(vars(w)) for w in s.words]} for s in t.segments]
    out["options"] = dataclasses.asdict(t.options)
    out["gaps"] = [list(g) for g in t.gaps]
    return out
