"""Reviewing personal data: store an episode's flags, redact or dismiss them, and keep the record.

A redaction leaves nothing behind in the catalog. It adds a transcript revision in which the words, and every
other occurrence of them, read ``[redacted]`` (``transcripts.redaction``); a notes revision when the notes said
them; and it scrubs, in the same transaction, every earlier transcript and notes revision, every draft, the
revision summaries, the flags' texts and reasons, the episode's title and its events; a slug that says them
(it is in the episode's public keys) is replaced by one made from the scrubbed title. Rewriting earlier
revisions is the audited exception to the catalog's append-only rule: the ``Redaction`` row records who
redacted what kind of item, when, where in the audio, and how many rows were scrubbed, but never the words;
only salted digests of them (for the check after republishing; cleared once it passes). The catalog is
then vacuumed (SQLite: the whole file, and its write-ahead log truncated; PostgreSQL: ``VACUUM FULL`` of the
scrubbed tables), so the old words survive in no free page either.

Every function takes the catalog first and raises :class:`~chorus.errors.ChorusError` with one line;
its ``code`` is ``"invalid"`` (a bad request), ``"not_found"`` or ``"conflict"`` (the transcript changed:
only its latest revision may be redacted), for the HTTP layer to map to 400, 404 and 409.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from chorus.catalog import (Catalog, Draft, Episode, EpisodeEvent, NotesRevision, PrivacyFlag, Redaction,
                            RevisionInfo, TranscriptRevision, unique_slug, utcnow)
from chorus.errors import ChorusError
from transcripts.model import Transcript
from transcripts.redaction import (REDACTED, count_digests, phrase_digests, redact_words, scrub_data, scrub_notes,
                                   scrub_terms, scrub_text, scrub_transcript, to_data, tokens)

__all__ = ["store_flags", "flags", "open_flags", "redact", "accept", "dismiss", "redactions", "pending_check",
           "record_check", "redacted_since", "purge_original", "REASON_LIMIT"]

REASON_LIMIT = 500
"""Most characters a dismissal's reason may have."""
_log = logging.getLogger(__name__)


def _error(reason: str, code: str = "invalid") -> ChorusError:
    e = ChorusError(reason)
    e.code = code  # type: ignore[attr-defined] - read by the editor's HTTP layer
    return e


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _episode(s, episode_id: int) -> Episode:
    ep = s.get(Episode, episode_id)
    if ep is None:
        raise _error(f"there is no episode {episode_id}; `chorus status` lists them", "not_found")
    return ep


def _user(by: Any) -> str:
    if not isinstance(by, str) or not by.strip() or len(by) > 40:
        raise _error("say who is redacting: a user name of at most 40 characters")
    return by


def _number(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error(f"{what} must be a whole number")
    return value


def _flag_dict(f: PrivacyFlag) -> dict:
    return {"id": f.id, "revision": f.revision, "first": f.first, "last": f.last, "start": f.start, "end": f.end,
            "kind": f.kind, "text": f.text, "score": f.score, "state": f.state, "decided_by": f.decided_by,
            "decided_at": _iso(f.decided_at), "reason": f.reason}


def _redaction_dict(r: Redaction) -> dict:
    return {"id": r.id, "kind": r.kind, "by": r.redacted_by, "at": _iso(r.at),
            "occurrences": len((r.spans or {}).get("times") or []), "verified": r.verified,
            "verified_at": _iso(r.verified_at), "check": r.check}


def store_flags(catalog: Catalog, episode_id: int, revision: int, flags: Iterable[Any]) -> int:
    """Store ``transcripts.privacy.Flag`` s found in transcript ``revision``; returns how many were added.

    Open flags of this or earlier revisions are replaced; decided ones are kept, and a flag saying what a
    reviewer already dismissed (same kind and words) or words already redacted is not added again."""
    with catalog.session() as s:
        _episode(s, episode_id)
        s.execute(delete(PrivacyFlag).where(PrivacyFlag.episode_id == episode_id, PrivacyFlag.state == "open",
                                            PrivacyFlag.revision <= revision))
        dismissed = {(f.kind, " ".join(tokens(f.text or ""))) for f in s.scalars(
            select(PrivacyFlag).where(PrivacyFlag.episode_id == episode_id, PrivacyFlag.state == "dismissed"))}
        added = 0
        for f in flags:
            said = str(f.text)
            if REDACTED in said or not tokens(said) or (f.kind, " ".join(tokens(said))) in dismissed:
                continue
            s.add(PrivacyFlag(episode_id=episode_id, revision=revision, first=int(f.first), last=int(f.last),
                              start=float(f.start), end=float(f.end), kind=str(f.kind), text=said,
                              score=float(f.score)))
            added += 1
        return added


def flags(catalog: Catalog, episode_id: int) -> list[dict]:
    """The episode's flags in time order, each ``{"id", "revision", "first", "last", "start", "end", "kind",
    "text", "score", "state", "decided_by", "decided_at", "reason"}`` (``text`` None once redacted)."""
    with catalog.session() as s:
        _episode(s, episode_id)
        q = select(PrivacyFlag).where(PrivacyFlag.episode_id == episode_id).order_by(PrivacyFlag.start,
                                                                                     PrivacyFlag.id)
        return [_flag_dict(f) for f in s.scalars(q)]


def open_flags(catalog: Catalog, episode_id: int) -> int:
    """How many of the episode's flags nobody has decided on yet."""
    with catalog.session() as s:
        return s.scalar(select(func.count()).select_from(PrivacyFlag)
                        .where(PrivacyFlag.episode_id == episode_id, PrivacyFlag.state == "open")) or 0


def _known_people(catalog: Catalog, episode_id: int, t: Transcript) -> list[str]:
    """The episode's hosts and guests (notes people and speaker labels): their names are never scrubbed alone."""
    notes = catalog.latest_revision("notes", episode_id)
    people = [p.get("name", "") for p in (notes.data.get("people") or [])] if notes is not None else []
    return [*people, *t.speakers()]


def _locate(t: Transcript, start: float, end: float) -> tuple[int, int] | None:
    """The words (not yet redacted) that mostly lie within ``start..end``, as ``(first, last)``."""
    hits = [i for i, w in enumerate(t.words()) if w.text != REDACTED
            and min(w.end, end) - max(w.start, start) > 0.5 * max(w.end - w.start, 1e-6)]
    return (hits[0], hits[-1]) if hits else None


def redact(catalog: Catalog, episode_id: int, by: str, revision: int, first: int, last: int, kind: str = "manual",
           flag_id: int | None = None) -> dict:
    """Redact words ``first..last`` of transcript ``revision`` (which must be the latest) and every other
    occurrence of them, everywhere in the catalog (see the module's docstring).

    Returns ``{"redaction": id, "revision": n, "occurrences": k, "spans": [[start, end], ...]}``; words
    already redacted give ``{"redaction": None, "revision": <latest>, "occurrences": 0, "spans": []}``."""
    by, revision = _user(by), _number(revision, "revision")
    first, last = _number(first, "first"), _number(last, "last")
    if not isinstance(kind, str) or not kind.replace("_", "").isalpha() or len(kind) > 20:
        raise _error("kind must be a flag kind (person, phone...) or manual")
    latest = catalog.latest_revision("transcript", episode_id)
    if latest is None:
        with catalog.session() as s:
            _episode(s, episode_id)
        raise _error(f"episode {episode_id} has no transcript yet", "not_found")
    if revision != latest.number:
        raise _error(f"transcript revision {revision} is not the latest of episode {episode_id} (revision "
                     f"{latest.number} is): reload and redact there", "conflict")
    t = Transcript.from_dict(latest.data)
    words = t.words()
    if not 0 <= first <= last < len(words):
        raise _error(f"words {first}-{last} are not in transcript revision {revision} (it has {len(words)} words, "
                     f"numbered 0-{len(words) - 1})")
    if all(w.text == REDACTED for w in words[first:last + 1]):
        if flag_id is not None:
            _close_flag(catalog, episode_id, flag_id, by)
        return {"redaction": None, "revision": latest.number, "occurrences": 0, "spans": []}
    known = _known_people(catalog, episode_id, t)
    phrase = " ".join(w.text for w in words[first:last + 1] if w.text != REDACTED)
    terms = scrub_terms(phrase, kind, keep=known)
    new_t, spans, said = redact_words(t, first, last, also=terms[1:])
    phrases = list(dict.fromkeys([*said, *terms]))
    digests = phrase_digests([phrase], kind, os.urandom(16), keep=known)
    summary = f"redacted 1 item ({kind})"
    try:
        with catalog.session() as s:
            ep = _episode(s, episode_id)
            top = s.scalar(select(func.max(TranscriptRevision.number)).where(TranscriptRevision.episode_id == episode_id))
            if top != revision:
                raise _error(f"transcript revision {revision} is not the latest of episode {episode_id} any more "
                             "(someone saved meanwhile): reload and redact there", "conflict")
            number = revision + 1
            s.add(TranscriptRevision(episode_id=episode_id, number=number, author=by,
                                     data=scrub_transcript(to_data(new_t), [], phrases)))
            s.add(RevisionInfo(kind="transcript", episode_id=episode_id, number=number, base=revision, summary=summary))
            scrubbed = _scrub_revisions(s, TranscriptRevision, episode_id, number,
                                        lambda d: scrub_transcript(d, spans, phrases))
            scrubbed += _scrub_notes(s, episode_id, by, phrases, summary)
            scrubbed += _scrub_rest(s, ep, phrases)
            _reslug(s, ep, phrases, digests)
            _settle_flags(s, episode_id, spans, phrases, by, flag_id, revision, number, new_t)
            row = Redaction(episode_id=episode_id, kind=kind, flag_id=flag_id,
                            spans={"times": [[a, b] for a, b in spans]}, redacted_by=by, revision=number,
                            scrubbed=scrubbed, digests=digests)
            s.add(row)
            s.flush()
            result = {"redaction": row.id, "revision": number, "occurrences": len(spans),
                      "spans": [[a, b] for a, b in spans]}
    except IntegrityError as e:
        raise _error(f"transcript revision {revision} is not the latest of episode {episode_id} any more "
                     "(someone saved meanwhile): reload and redact there", "conflict") from e
    compacted = _compact(catalog)
    with catalog.session() as s:
        s.get_one(Redaction, result["redaction"]).check = {"catalog": compacted}
    return result


def _compact(catalog: Catalog) -> str:
    """Leave the overwritten words in no free page or log: SQLite's file is rebuilt (``VACUUM``, which also
    clears what a catalog made before ``secure_delete`` freed) and its write-ahead log truncated; PostgreSQL's
    scrubbed tables get ``VACUUM FULL`` (``Catalog.forget_removed``). Returns ``"vacuumed"``, or why not."""
    try:
        if catalog.engine.dialect.name == "sqlite":
            with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM")
        catalog.forget_removed()
        return "vacuumed"
    except Exception as e:  # noqa: BLE001 - the redaction itself is committed; say what was not done
        _log.warning("catalog not vacuumed after a redaction: %s", e)
        return f"not vacuumed: {' '.join(str(e).split())[:200]}"


def _scrub_revisions(s, cls, episode_id: int, skip: int | None, scrub) -> int:
    """Rewrite the episode's revisions of one kind through ``scrub`` (Core: the audited exception to
    append-only); returns how many changed."""
    table, n = cls.__table__, 0
    ids = s.scalars(select(cls.id).where(cls.episode_id == episode_id, cls.number != (skip or -1))).all()
    for rid in ids:
        data = s.scalar(select(table.c.data).where(table.c.id == rid))
        new = scrub(data)
        if new != data:
            s.execute(update(table).where(table.c.id == rid).values(data=new))
            n += 1
    return n


def _scrub_notes(s, episode_id: int, by: str, phrases: list[str], summary: str) -> int:
    """A new notes revision when the latest notes said the words; every notes revision scrubbed."""
    latest = s.scalar(select(NotesRevision).where(NotesRevision.episode_id == episode_id)
                      .order_by(NotesRevision.number.desc()).limit(1))
    skip = None
    if latest is not None:
        new = scrub_notes(latest.data, phrases)
        if new != latest.data:
            skip = latest.number + 1
            s.add(NotesRevision(episode_id=episode_id, number=skip, author=by, data=new))
            s.add(RevisionInfo(kind="notes", episode_id=episode_id, number=skip, base=latest.number, summary=summary))
            s.flush()
    return _scrub_revisions(s, NotesRevision, episode_id, skip, lambda d: scrub_notes(d, phrases))


def _scrub_rest(s, ep: Episode, phrases: list[str]) -> int:
    """Drafts, revision summaries, the title, the error and the events; returns how many drafts changed."""
    n = 0
    for draft in s.scalars(select(Draft).where(Draft.episode_id == ep.id)).all():
        new = scrub_data(draft.data, phrases)
        if new != draft.data:
            s.execute(update(Draft.__table__).where(Draft.__table__.c.id == draft.id).values(data=new))
            n += 1
    for cls, col in ((RevisionInfo, "summary"), (EpisodeEvent, "detail")):
        table = cls.__table__
        for rid, value in s.execute(select(table.c.id, table.c[col]).where(table.c.episode_id == ep.id)).all():
            if value and scrub_text(value, phrases) != value:
                s.execute(update(table).where(table.c.id == rid).values({col: scrub_text(value, phrases)}))
    ep.title = scrub_text(ep.title, phrases)
    if ep.error:
        ep.error = scrub_text(ep.error, phrases)
    return n


def _reslug(s, ep: Episode, phrases: list[str], digests: dict) -> bool:
    """An episode slug (its public keys and page address) that says the removed words is replaced by one made
    from the scrubbed title (``episode-<id>`` if that still says them); the next release publishes under it and
    purges the old keys (``chorus.review.purge``). Returns whether the slug changed."""
    def says(slug: str) -> bool:
        words = slug.replace("-", " ")
        return count_digests(slug, digests) > 0 or scrub_text(words, phrases) != words

    if not says(ep.slug):
        return False
    slug = unique_slug(s, ep.show_id, ep.title)
    ep.slug = slug if not says(slug) else unique_slug(s, ep.show_id, f"episode {ep.id}")
    return True


def _settle_flags(s, episode_id: int, spans, phrases: list[str], by: str, flag_id: int | None, old: int, new: int,
                  t: Transcript) -> None:
    """Flags within the redacted spans (or saying the words) become ``redacted`` with no text; others are
    scrubbed, and open ones of the redacted revision point into the new one."""
    now, said = utcnow(), {" ".join(tokens(p)) for p in phrases}
    for f in s.scalars(select(PrivacyFlag).where(PrivacyFlag.episode_id == episode_id)).all():
        inside = any(min(f.end, b) - max(f.start, a) > 0.5 * max(f.end - f.start, 1e-6) for a, b in spans)
        if f.id == flag_id or (f.state == "open" and (inside or " ".join(tokens(f.text or "")) in said)):
            f.state, f.text, f.decided_by, f.decided_at = "redacted", None, by, now
            continue
        if f.text:
            f.text = scrub_text(f.text, phrases)
        if f.reason:
            f.reason = scrub_text(f.reason, phrases)
        if f.state == "open" and f.revision == old:
            where = _locate(t, f.start, f.end)
            if where is not None:
                f.revision, (f.first, f.last) = new, where


def _close_flag(catalog: Catalog, episode_id: int, flag_id: int, by: str) -> None:
    with catalog.session() as s:
        f = s.get(PrivacyFlag, flag_id)
        if f is not None and f.episode_id == episode_id and f.state != "redacted":
            f.state, f.text, f.decided_by, f.decided_at = "redacted", None, by, utcnow()


def _flag(s, episode_id: int, flag_id: Any) -> PrivacyFlag:
    f = s.get(PrivacyFlag, _number(flag_id, "flag"))
    if f is None or f.episode_id != episode_id:
        raise _error(f"episode {episode_id} has no flag {flag_id}; `chorus flags {episode_id}` lists them",
                     "not_found")
    return f


def accept(catalog: Catalog, episode_id: int, flag_id: int, by: str) -> dict:
    """Redact a flag's words in the latest transcript revision (found again by time when the flag was made
    on an earlier one); a flag already redacted answers its redaction again. Returns :func:`redact`'s result."""
    with catalog.session() as s:
        f = _flag(s, episode_id, flag_id)
        done = s.scalar(select(Redaction).where(Redaction.flag_id == f.id).order_by(Redaction.id.desc()).limit(1))
        if f.state == "redacted":
            times = (done.spans or {}).get("times") or [] if done else []
            return {"redaction": done.id if done else None, "revision": done.revision if done else f.revision,
                    "occurrences": len(times), "spans": times}
        flag_rev, first, last, start, end, kind = f.revision, f.first, f.last, f.start, f.end, f.kind
    latest = catalog.latest_revision("transcript", episode_id)
    if latest is None:
        raise _error(f"episode {episode_id} has no transcript yet", "not_found")
    t = Transcript.from_dict(latest.data)
    if flag_rev != latest.number or last >= len(t.words()):
        where = _locate(t, start, end)
        if where is None:
            _close_flag(catalog, episode_id, flag_id, by)
            return {"redaction": None, "revision": latest.number, "occurrences": 0, "spans": []}
        first, last = where
    return redact(catalog, episode_id, by, latest.number, first, last, kind=kind, flag_id=flag_id)


def dismiss(catalog: Catalog, episode_id: int, flag_id: int, by: str, reason: str) -> dict:
    """Record that ``by`` decided a flag is not personal data to remove, and why (required, at most
    ``REASON_LIMIT`` characters, stored as typed). Returns the flag as :func:`flags` lists it."""
    by = _user(by)
    if not isinstance(reason, str) or not reason.strip():
        raise _error("say why this flag is dismissed (a reason is required)")
    if len(reason) > REASON_LIMIT:
        raise _error(f"the reason is {len(reason)} characters long; at most {REASON_LIMIT}")
    with catalog.session() as s:
        f = _flag(s, episode_id, flag_id)
        if f.state == "redacted":
            raise _error(f"flag {flag_id} is already redacted", "conflict")
        f.state, f.decided_by, f.decided_at, f.reason = "dismissed", by, utcnow(), reason
        s.flush()
        return _flag_dict(f)


def redactions(catalog: Catalog, episode_id: int) -> list[dict]:
    """The episode's redactions, oldest first: ``{"id", "kind", "by", "at", "occurrences", "verified",
    "verified_at", "check"}`` (``verified``: None until checked, then True or False)."""
    with catalog.session() as s:
        q = select(Redaction).where(Redaction.episode_id == episode_id).order_by(Redaction.id)
        return [_redaction_dict(r) for r in s.scalars(q)]


def pending_check(catalog: Catalog, episode_id: int) -> list[Redaction]:
    """The episode's redactions whose check has not passed yet (never checked, or failed): what the check
    after republishing looks for, with their ``digests`` and ``spans``."""
    with catalog.session() as s:
        q = select(Redaction).where(Redaction.episode_id == episode_id, Redaction.verified.is_not(True))
        return list(s.scalars(q.order_by(Redaction.id)))


def record_check(catalog: Catalog, redaction_id: int, passed: bool, check: dict) -> dict:
    """Record the check after republishing (``check``: counts per place, never words; merged into what the
    row had). A pass clears the digests. Returns the redaction as :func:`redactions` lists it."""
    with catalog.session() as s:
        r = s.get(Redaction, redaction_id)
        if r is None:
            raise _error(f"there is no redaction {redaction_id}", "not_found")
        r.verified, r.verified_at = bool(passed), utcnow()
        r.check = {**(r.check or {}), **(check or {})}
        if passed:
            r.digests = None
        s.flush()
        return _redaction_dict(r)


def redacted_since(catalog: Catalog, episode_id: int, base: int) -> bool:
    """Whether a redaction made a transcript revision after ``base``: an edit started from ``base`` may
    still hold the removed words, so the editor refuses to save it (reload instead)."""
    with catalog.session() as s:
        return s.scalar(select(func.count()).select_from(Redaction)
                        .where(Redaction.episode_id == episode_id, Redaction.revision > base)) > 0


def purge_original(catalog: Catalog, settings, episode_id: int) -> str:
    """Replace the episode's original (``Episode.source_path``, in archive/) with the redacted master: the
    mastered audio (or video) with every redacted span bleeped or silenced as the show says. The file keeps
    its name; the Redaction row's check records ``{"original": "replaced"}``. Returns one line."""
    from chorus import steps
    from media.errors import MediaError
    from media.redact import RedactOptions, redact_audio

    with catalog.session() as s:
        rows = s.scalars(select(Redaction).where(Redaction.episode_id == episode_id).order_by(Redaction.id)).all()
        times = [t for r in rows for t in (r.spans or {}).get("times") or []]
        last = rows[-1].id if rows else None
    ctx = steps.Context(settings, catalog)
    release = steps.load_release(ctx, episode_id)
    src = release.source
    if last is None or not times:
        raise _error(f"episode {episode_id} has no redactions; the original stays as it is")
    if src is None or not src.is_file():
        raise _error(f"the original of episode {episode_id} is not a file at {src}; nothing to replace", "not_found")
    mastered = steps.remaster(ctx, release)
    master = Path(mastered.video or mastered.mp3)
    tmp = src.with_name(f".{src.name}.redacted{master.suffix}")
    try:
        redact_audio(master, tmp, times, RedactOptions(mode=release.show_settings.redaction))
    except MediaError as e:
        raise _error(f"the original of episode {episode_id} was not replaced: {e}") from e
    os.replace(tmp, src)
    with catalog.session() as s:
        row = s.get_one(Redaction, last)
        row.check = {**(row.check or {}), "original": "replaced"}
    return f"the original {src.name} now holds the redacted master"
