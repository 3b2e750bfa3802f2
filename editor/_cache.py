"""Parsed transcript revisions, kept in memory: a revision never changes once written (the catalog refuses
updates), so a 20,000-word revision is read and parsed once, not at every save of a long episode.

A revision this process saved is also kept with its :class:`~transcripts.alignment.Realignment` and its
stored dict, so that the next save made from it times only the paragraphs that changed
(:func:`transcripts.alignment.realign_from`) and serialises only their segments (:func:`transcript_data`)."""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select

from chorus.catalog import MACHINE, Catalog, TranscriptRevision
from transcripts import Segment, Transcript
from transcripts.alignment import EditParagraph, Realignment, paragraphs

__all__ = ["latest_number", "machine_number", "transcript", "paragraphs_of", "realignment", "stored", "remember",
           "transcript_data", "answer", "forget"]

_KEEP = 12
"""Parsed revisions kept per catalog (the newest few of the episodes being edited)."""
_KEEP_PARAGRAPHS = 64
"""Revisions' paragraphs kept per catalog (what a merge needs of the revision a save started from: with 20
volunteers on one episode, the bases of concurrent saves go back about 20 revisions)."""
_caches: "weakref.WeakKeyDictionary[Catalog, OrderedDict]" = weakref.WeakKeyDictionary()
_paragraph_caches: "weakref.WeakKeyDictionary[Catalog, OrderedDict]" = weakref.WeakKeyDictionary()
_answer_caches: "weakref.WeakKeyDictionary[Catalog, OrderedDict]" = weakref.WeakKeyDictionary()
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


def _cache(catalog: Catalog, caches: "weakref.WeakKeyDictionary[Catalog, OrderedDict]" = _caches) -> OrderedDict:
    with _lock:
        return caches.setdefault(catalog, OrderedDict())


def forget(catalog: Catalog, episode_id: int) -> None:
    """Drop every cached revision of an episode: a redaction scrubbed its revisions in the catalog, so
    nothing in memory may still hold the removed words."""
    for caches in (_caches, _paragraph_caches, _answer_caches):
        cache = _cache(catalog, caches)
        with _lock:
            for key in [k for k in cache if k[0] == episode_id]:
                del cache[key]


def _put(cache: OrderedDict, key: tuple, value, keep: int) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > keep:
            cache.popitem(last=False)


@dataclass
class _Entry:
    transcript: Transcript
    realignment: Realignment | None = None
    data: dict | None = None


def remember(catalog: Catalog, episode_id: int, number: int, t: Transcript, realignment: Realignment | None = None,
             data: dict | None = None, paras: list[EditParagraph] | None = None) -> None:
    """Keep revision ``number`` (just written as ``t``, from ``realignment``, stored as ``data``, with
    ``paras`` its paragraphs) parsed. Callers never change a cached transcript, dict or paragraph."""
    _put(_cache(catalog), (episode_id, number), _Entry(t, realignment, data), _KEEP)
    if paras is not None:
        _put(_cache(catalog, _paragraph_caches), (episode_id, number), paras, _KEEP_PARAGRAPHS)


def _entry(catalog: Catalog, episode_id: int, number: int) -> _Entry | None:
    cache = _cache(catalog)
    with _lock:
        hit = cache.get((episode_id, number))
        if hit is not None:
            cache.move_to_end((episode_id, number))
        return hit


def answer(catalog: Catalog, episode_id: int, number: int, build: Callable[[], bytes]) -> bytes:
    """The encoded ``GET /api/episodes/{id}/transcript`` answer of a revision, built once: the view, the
    caption checks and the JSON of 20,000 words cost about 300 ms, and a revision never changes."""
    cache = _cache(catalog, _answer_caches)
    with _lock:
        hit = cache.get((episode_id, number))
    if hit is None:
        hit = build()
        _put(cache, (episode_id, number), hit, _KEEP)
    return hit


def transcript(catalog: Catalog, episode_id: int, number: int) -> Transcript | None:
    """Transcript revision ``number`` parsed (None when there is none); shared, so never modify it."""
    hit = _entry(catalog, episode_id, number)
    if hit is not None:
        return hit.transcript
    rev = catalog.revision("transcript", episode_id, number)
    if rev is None:
        return None
    t = Transcript.from_dict(rev.data)
    remember(catalog, episode_id, number, t)
    return t


def paragraphs_of(catalog: Catalog, episode_id: int, number: int) -> list[EditParagraph] | None:
    """``paragraphs()`` of revision ``number`` (None when there is none), worked out once and kept longer
    than whole transcripts; never modify them."""
    cache = _cache(catalog, _paragraph_caches)
    with _lock:
        hit = cache.get((episode_id, number))
        if hit is not None:
            cache.move_to_end((episode_id, number))
            return hit
    t = transcript(catalog, episode_id, number)
    if t is None:
        return None
    ps = paragraphs(t)
    _put(cache, (episode_id, number), ps, _KEEP_PARAGRAPHS)
    return ps


def realignment(catalog: Catalog, episode_id: int, number: int) -> Realignment | None:
    """The realignment that made revision ``number``, when this process saved it and still keeps it."""
    hit = _entry(catalog, episode_id, number)
    return hit.realignment if hit is not None else None


def stored(catalog: Catalog, episode_id: int, number: int) -> tuple[Transcript, dict] | None:
    """(transcript, stored dict) of revision ``number``, when this process saved it and still keeps it."""
    hit = _entry(catalog, episode_id, number)
    return (hit.transcript, hit.data) if hit is not None and hit.data is not None else None


def transcript_data(t: Transcript, previous: tuple[Transcript, dict] | None = None) -> dict:
    """``t.to_dict()`` (what revisions store), several times faster on long transcripts: ``dataclasses.asdict``
    deep-copies every one of 20,000 words' fields. With ``previous`` (a transcript and its dict), a segment
    that ``t`` shares with it (the same object: a paragraph realignment reused) takes its dict as it is.

    >>> from transcripts import Word
    >>> t = Transcript("en", 2.0, [Segment(0, 1, "Hi", "A", [Word("Hi", 0.1, 0.4, 0.9, "A")])], gaps=[(1.0, 2.0)])
    >>> import json
    >>> json.dumps(transcript_data(t), sort_keys=True) == json.dumps(t.to_dict(), sort_keys=True)
    True
    """
    done: dict[int, tuple[Segment, dict]] = {}
    if previous is not None:
        done = {id(s): (s, d) for s, d in zip(previous[0].segments, previous[1]["segments"])}
    out = {name: getattr(t, name) for name in _TRANSCRIPT_FIELDS}
    out["segments"] = [hit[1] if (hit := done.get(id(s))) is not None and hit[0] is s else
                       {**{name: getattr(s, name) for name in _SEGMENT_FIELDS}, "words": [dict(vars(w)) for w in s.words]}
                       for s in t.segments]
    out["options"] = dataclasses.asdict(t.options)
    out["gaps"] = [list(g) for g in t.gaps]
    return out
