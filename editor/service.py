"""What the editor does, without HTTP: save with a three-way merge, restore, drafts, approve, republish.

Every save appends a revision (the catalog's revisions are append-only) with a ``RevisionInfo`` row
saying which revision it was edited from, whether it was merged, and a one-line summary:

- the base is still the newest revision: the edited paragraphs are timed again
  (``transcripts.alignment.realign_from``, which reuses the unchanged paragraphs of a revision this process
  saved) against the episode's **original machine transcript** (its first
  machine revision), never against an earlier alignment, so timings cannot drift;
- someone saved in between: the paragraphs are merged three ways (``transcripts.revisions.merge3`` of
  the base, the newest revision and the edit). Edits to different paragraphs merge; edits to the same
  paragraph are refused with :class:`Conflict`, which carries both versions. Nothing is overwritten.

Saves of one episode are serialised by a lock in this process; the catalog's unique revision number
refuses a second process that races (it is then retried against the new newest revision).
Approval records who approved which revision and starts the republish: the ``republish-episode``
deployment when ``chorus up`` serves one, else :func:`chorus.sequence.release_episode` in a thread.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from chorus.catalog import Catalog, Episode
from transcripts import Transcript
from transcripts.alignment import EditParagraph, paragraph_words, paragraphs, realign_from

from editor import _cache
from editor._notes import NOTE_FIELDS, merge_notes, notes_changes, notes_view, updated_notes
from editor.errors import Conflict, EditorError

__all__ = ["SaveResult", "save_transcript", "save_notes", "restore", "approve", "Republisher",
           "thread_republisher", "transcript_view", "to_paragraphs", "save_draft", "load_draft", "machine_transcript",
           "need"]

_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass
class SaveResult:
    """The revision a save made (or the newest one, when the edit changed nothing)."""

    revision: int
    merged: bool = False
    changed: bool = True
    summary: str = ""


def _lock(kind: str, episode_id: int) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((kind, episode_id), threading.Lock())


def to_paragraphs(items: Any) -> list[EditParagraph]:
    """``[{"speaker", "text"}]`` from a request body as paragraphs; a one-line :class:`EditorError` otherwise."""
    if not isinstance(items, list) or not items:
        raise EditorError("paragraphs must be a non-empty list of {speaker, text}")
    out = []
    for n, p in enumerate(items):
        if not isinstance(p, dict) or not isinstance(p.get("text"), str) \
                or not isinstance(p.get("speaker") or "", str):
            raise EditorError(f"paragraph {n} must be an object with a text and a speaker")
        out.append(EditParagraph(speaker=(p.get("speaker") or None), text=p["text"]))
    return out


def need(catalog: Catalog, kind: str, episode_id: int, number: int | None):
    """Revision row ``number`` (the newest when None), or a 404 :class:`EditorError`."""
    rev = (catalog.latest_revision(kind, episode_id) if number is None
           else catalog.revision(kind, episode_id, number))
    if rev is None:
        raise _missing(kind, episode_id, number)
    return rev


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise EditorError("base_revision must be the number of the revision the edit started from")
    return value


def _missing(kind: str, episode_id: int, number: int | None) -> EditorError:
    what = f"{kind} revision {number}" if number is not None else kind
    return EditorError(f"episode {episode_id} has no {what}", 404)


def _save(catalog: Catalog, kind: str, episode_id: int, author: str, base_number: int,
          load: Callable[[int], Any], latest_number: Callable[[], int | None],
          build: Callable[[Any, Any, int, int], tuple[dict, str, Any] | None],
          load_base: Callable[[int], Any] | None = None) -> SaveResult:
    """The shared save: ``build(base, latest, base_n, latest_n)`` (contents from ``load``; the base's from
    ``load_base`` when given) returns
    (data, summary, saved) or None when nothing changed, or raises :class:`Conflict`; ``saved(number)``,
    if given, is called once the revision is written. Reading the newest revision, building on it and
    appending the next happen under one lock, so no save in this process is ever merged against a stale
    revision. (The build stays inside the lock: a save built outside it would have to be built again
    whenever another save got in first, and under the GIL the builds of concurrent saves cannot run in
    parallel anyway.)"""
    base = (load_base or load)(base_number)
    if base is None:
        raise _missing(kind, episode_id, base_number)
    with _lock(kind, episode_id):
        latest_n = latest_number()
        latest = base if latest_n == base_number and load_base is None else load(latest_n)
        built = build(base, latest, base_number, latest_n)
        if built is None:
            catalog.drop_draft(episode_id, author, kind)
            return SaveResult(latest_n, merged=False, changed=False, summary="no change")
        data, text, saved = built
        data = _after_redactions(catalog, kind, episode_id, base_number, data)
        merging = latest_n != base_number
        number = catalog.add_revision(kind, episode_id, data, author=author, base=base_number, merged=merging,
                                      summary=text)
        if saved is not None:
            saved(number)
    catalog.drop_draft(episode_id, author, kind)
    return SaveResult(number, merging, True, text)


def _after_redactions(catalog: Catalog, kind: str, episode_id: int, base_number: int, data: dict) -> dict:
    """An edit begun before a redaction may still hold the removed words (its base was scrubbed since, so a
    merge would keep them as the volunteer's change): its words inside every redacted span become
    ``[redacted]`` again, and the rest of the edit is kept. A notes edit cannot be matched by time, so it is
    refused with 409 (the server draft and the page keep it; reload and apply it again)."""
    from sqlalchemy import select

    from chorus.catalog import KINDS, Redaction

    with catalog.session() as s:
        if kind == "transcript":
            newer = Redaction.revision > base_number
        else:  # notes revisions are numbered on their own: compare times
            made = s.scalar(select(KINDS[kind].created_at).where(KINDS[kind].episode_id == episode_id,
                                                                 KINDS[kind].number == base_number))
            newer = Redaction.at > made
        spans = [tuple(x) for r in s.scalars(select(Redaction.spans).where(Redaction.episode_id == episode_id, newer))
                 for x in (r or {}).get("times", [])]
    if not spans:
        return data
    if kind != "transcript":
        raise EditorError(f"words were redacted after revision {base_number}: reload the notes and apply the edit "
                          "again", 409)
    from transcripts.redaction import scrub_transcript

    return scrub_transcript(data, spans, [])


def machine_transcript(catalog: Catalog, episode_id: int) -> Transcript:
    """The episode's original machine words (parsed, cached): what every realignment is measured against."""
    number = _cache.machine_number(catalog, episode_id)
    if number is None:
        raise EditorError(f"episode {episode_id} has no transcript yet", 404)
    return _cache.transcript(catalog, episode_id, number)


def save_transcript(catalog: Catalog, episode_id: int, author: str, base_revision: Any,
                    edited: list[EditParagraph]) -> SaveResult:
    """Save edited paragraphs made from ``base_revision``: a new revision, a merged one, or :class:`Conflict`."""
    from transcripts.revisions import merge3, summary, word_diff

    base_number = _number(base_revision)
    machine = machine_transcript(catalog, episode_id)

    def build(base_ps, latest_t, base_n, latest_n):
        theirs = _cache.paragraphs_of(catalog, episode_id, latest_n)
        if latest_n != base_n:
            m = merge3(base_ps, edited, theirs)
            if m.paragraphs is None:
                raise Conflict(f"someone saved revision {latest_n} since you opened revision {base_n}, and you "
                               "both changed the same words", conflicts=[_conflict(c) for c in m.conflicts],
                               latest_revision=latest_n)
            target = m.paragraphs
        else:
            target = edited
        if _same(target, theirs):
            return None
        r = realign_from(_cache.realignment(catalog, episode_id, latest_n), machine, latest_t, target)
        data = _cache.transcript_data(r.transcript, _cache.stored(catalog, episode_id, latest_n))
        now = paragraphs(r.transcript)
        return (data, summary(word_diff(theirs, now)),
                lambda number: _cache.remember(catalog, episode_id, number, r.transcript, r, data, now))

    return _save(catalog, "transcript", episode_id, author, base_number,
                 lambda n: _cache.transcript(catalog, episode_id, n),
                 lambda: _cache.latest_number(catalog, episode_id), build,
                 lambda n: _cache.paragraphs_of(catalog, episode_id, n))


def save_notes(catalog: Catalog, episode_id: int, author: str, base_revision: Any, fields: dict) -> SaveResult:
    """Save edited notes (title, description, summary, keywords, chapters) the same way as transcripts:
    field by field three-way merge; the same field changed by both is a :class:`Conflict`."""

    def build(base_rev, latest_rev, base_n, latest_n):
        base_v = notes_view(base_rev.data)
        latest_v = notes_view(latest_rev.data)
        mine = {**base_v, **{k: v for k, v in fields.items() if k in NOTE_FIELDS}}
        target, conflicts = (merge_notes(base_v, latest_v, mine) if latest_n != base_n else (mine, []))
        if conflicts:
            raise Conflict(f"someone saved notes revision {latest_n} since you opened revision {base_n}, and "
                           f"you both changed {', '.join(c['field'] for c in conflicts)}",
                           conflicts=conflicts, latest_revision=latest_n)
        if target == latest_v:
            return None
        return updated_notes(latest_rev.data, target), notes_changes(latest_v, target), None

    def latest() -> int | None:
        rev = catalog.latest_revision("notes", episode_id)
        return rev.number if rev is not None else None

    return _save(catalog, "notes", episode_id, author, _number(base_revision),
                 lambda n: catalog.revision("notes", episode_id, n), latest, build)


def restore(catalog: Catalog, episode_id: int, author: str, number: int, kind: str = "transcript") -> SaveResult:
    """A new revision whose content is revision ``number`` (history is never rewritten)."""
    old = need(catalog, kind, episode_id, number)
    with _lock(kind, episode_id):
        latest = need(catalog, kind, episode_id, None)
        text = f"restored revision {number}"
        got = catalog.add_revision(kind, episode_id, old.data, author=author, base=latest.number, summary=text)
    return SaveResult(got, False, True, text)


def _same(a: list[EditParagraph], b: list[EditParagraph]) -> bool:
    """Whether two paragraph lists say the same (speakers and words; spacing aside)."""
    return len(a) == len(b) and all(p.speaker == q.speaker and (p.text == q.text or p.text.split() == q.text.split())
                                    for p, q in zip(a, b))


def _conflict(c: Any) -> dict:
    """A merge conflict as JSON: ``{paragraph, base, ours, theirs}``, each version ``{speaker, text}``
    (``ours``: the save being refused; ``theirs``: the newest revision)."""
    return {"paragraph": c.paragraph,
            **{side: {"speaker": getattr(c, f"{side}_speaker"), "text": getattr(c, side)}
               for side in ("base", "ours", "theirs")}}


def transcript_view(t: Transcript) -> dict:
    """The editor's view of a transcript: its paragraphs, and every word (a marked gap is one word of
    confidence 0) with the number of the paragraph it is in."""
    words = [{"text": w.text, "start": w.start, "end": w.end, "speaker": w.speaker, "probability": w.probability,
              "origin": w.origin, "paragraph": n} for n, ws in enumerate(paragraph_words(t)) for w in ws]
    return {"speakers": t.speakers(), "paragraphs": [{"speaker": p.speaker, "text": p.text} for p in paragraphs(t)],
            "words": words, "gaps": [list(g) for g in t.gaps]}


# -- drafts ------------------------------------------------------------------------------------------------
def save_draft(catalog: Catalog, episode_id: int, user: str, kind: str, base: Any, data: dict) -> str:
    """Keep a user's unsaved work on the server (one row per user, episode and kind); returns saved_at."""
    with catalog.session() as s:
        if s.get(Episode, episode_id) is None:
            raise EditorError(f"there is no episode {episode_id}", 404)
    row = catalog.put_draft(episode_id, user, kind, data, base if isinstance(base, int) and not isinstance(base, bool)
                            else None)
    return row.saved_at.isoformat()


def load_draft(catalog: Catalog, episode_id: int, user: str, kind: str = "transcript") -> dict | None:
    """``{"base_revision", ...the saved fields, "saved_at"}`` of the user's draft, or None."""
    row = catalog.get_draft(episode_id, user, kind)
    if row is None:
        return None
    return {"base_revision": row.base, **row.data, "saved_at": row.saved_at.isoformat()}


# -- approval and republishing ------------------------------------------------------------------------------
Republisher = Callable[[int], str]
"""``republish(episode_id) -> "started" | "done"``: renders and publishes an episode again."""


@dataclass
class _Background:
    threads: list[threading.Thread] = field(default_factory=list)


def thread_republisher(settings, catalog: Catalog, bucket) -> Republisher:
    """Republish in a background thread with :func:`chorus.sequence.release_episode` (standalone editor)."""
    from chorus import sequence
    from chorus.steps import Context

    state = _Background()

    def release(episode_id: int) -> None:
        try:
            with _lock("release", episode_id):  # one release of an episode at a time (redactions in a row)
                out = sequence.release_episode(Context(settings, catalog, bucket), episode_id)
            if out.status != "in_review":  # a held episode's status and reason were recorded by its hold step
                catalog.set_status(episode_id, out.status, detail="republished from the editor")
        except Exception as e:  # noqa: BLE001 - reported in the catalog, where the queue shows it
            catalog.set_status(episode_id, "failed", detail=f"republish after approval: {' '.join(str(e).split())}")

    def start(episode_id: int) -> str:
        t = threading.Thread(target=release, args=(episode_id,), name=f"republish-{episode_id}", daemon=True)
        state.threads.append(t)
        t.start()
        return "started"

    start.threads = state.threads  # type: ignore[attr-defined] - tests wait for them
    return start


def approve(catalog: Catalog, episode_id: int, organiser: str, revision: Any, notes_revision: Any = None,
            republish: Republisher | None = None) -> dict:
    """Record that ``organiser`` approved transcript ``revision`` (and notes ``notes_revision``), then
    republish: the approved revisions are what the episode publishes from now on."""
    for name, value in (("revision", revision), ("notes_revision", notes_revision)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise EditorError(f"{name} must be a revision number")
    if revision is None:
        raise EditorError("revision must be the number of the transcript revision to approve")
    need(catalog, "transcript", episode_id, revision)
    notes = need(catalog, "notes", episode_id, notes_revision) if notes_revision is not None else None
    catalog.approve(episode_id, "transcript", revision, organiser)
    result: dict[str, Any] = {"approved": revision, "republish": "none"}
    if notes is not None:
        catalog.approve(episode_id, "notes", notes.number, organiser)
        result["approved_notes"] = notes.number
        title = (notes.data.get("title") or "").strip()
        if title:
            with catalog.session() as s:
                s.get_one(Episode, episode_id).title = title
    if republish is not None:
        catalog.set_status(episode_id, "approved", detail=f"transcript revision {revision} approved by {organiser}")
        result["republish"] = republish(episode_id)
    return result
