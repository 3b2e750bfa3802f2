"""The confidentiality steps of a release: flag personal data, hold for review, purge, check redactions.

``chorus.sequence.release_episode`` calls them in order (see docs/privacy.md)::

    review → render → publish-objects (private prefix while held) → hold | record → feed → finish
           → purge → verify

* ``review`` finds personal data in the transcript the release publishes (``transcripts.privacy``), stores
  the flags, and applies the show's policy (``after`` | ``flagged`` | ``before``): it returns why the
  episode must be held, or None. An approved episode, or one that is already public, is never held.
* ``hold_for_review`` records a held episode: its objects live under the private prefix, it has no feed
  item and no page, and ``chorus status`` and the editor's queue say why it is held (kinds and counts,
  never the flagged words).
* ``purge`` deletes, with every version and delete marker, the objects a release replaced; after a
  redaction also the older versions of the show's feed and pages, and the keys of an episode folder named
  by a slug that said the removed words (``privacy_review`` gave the episode a new one).
* ``verify`` checks every redaction not yet checked: the audio around each span is transcribed again
  and must not contain the removed words, and every text object and ID3 tag in the bucket, in every
  version, is searched for them, and the keys' own names too. A failure keeps (or puts) the episode held.
"""
from __future__ import annotations

import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from chorus.catalog import Episode, PrivacyFlag, Show, TranscriptRevision
from chorus.steps import Context, Release

__all__ = ["review", "hold_for_review", "purge", "verify", "withdraw", "known_people", "hold_reason",
           "Check", "is_private", "private_folder", "FLAGGED_LANGUAGES", "TEXT_SUFFIXES", "redaction_spans", "scrub_work", "failed_line"]

_log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".vtt", ".srt", ".json", ".txt", ".html", ".xml", ".htm")
"""Objects the check after a redaction reads as text (every version)."""
FLAGGED_LANGUAGES = ("en",)
"""Languages ``transcripts.privacy`` flags (spaCy's small English model); under ``review = "flagged"`` an
episode in any other language is held for a person to review, never published unchecked."""
_DECIDED_TOLERANCE = 0.5
"""Seconds: a flag found again where a reviewer already decided one of the same kind is not raised again."""


def private_folder(settings, show: str, episode_id: int) -> str:
    """The folder of a held episode's objects: ``<private_prefix>/<show>/<episode id>/``."""
    return settings.private_key(show, episode_id, "x")[:-1]


def is_private(objects: dict[str, Any] | None) -> bool:
    """True when an episode's recorded objects are its held (private) copies."""
    mp3 = (objects or {}).get("mp3") or {}
    return bool(mp3.get("private"))


def known_people(ctx: Context, release: Release) -> list[str]:
    """Names never flagged: the show's ``people``, the episode's sidecar people, and the speaker names the
    transcript carries (a volunteer's rename, the sidecar's labels)."""
    names = list(release.show_settings.people)
    names += [w.speaker for w in release.transcript.words() if w.speaker and not w.speaker.startswith("Speaker ")]
    side = _sidecar_people(release)
    return list(dict.fromkeys(n.strip() for n in [*names, *side] if n and n.strip()))


def _sidecar_people(release: Release) -> list[str]:
    from chorus.sidecar import find_sidecar, load_sidecar

    if release.source is None or not release.source.exists():
        return []
    try:
        side = find_sidecar(release.source)
        return [name for name, _role in load_sidecar(side).people] if side else []
    except Exception:  # noqa: BLE001 - a sidecar that no longer parses names nobody; flagging still runs
        return []


def _find(ctx: Context, release: Release) -> list:
    from transcripts.privacy import find_personal_data

    return find_personal_data(release.transcript.words(), known_people=known_people(ctx, release),
                              allow=list(release.show_settings.privacy_allow))


def _decided(ctx: Context, episode_id: int) -> list[tuple[str, float, float]]:
    with ctx.catalog.session() as s:
        rows = s.execute(select(PrivacyFlag.kind, PrivacyFlag.start, PrivacyFlag.end)
                         .where(PrivacyFlag.episode_id == episode_id, PrivacyFlag.state != "open")).all()
    return [(k, a, b) for k, a, b in rows]


def _new_flags(ctx: Context, episode_id: int, found: list) -> list:
    """Flags not already decided by a reviewer (same kind at the same time)."""
    decided = _decided(ctx, episode_id)
    return [f for f in found if not any(k == f.kind and abs(a - f.start) <= _DECIDED_TOLERANCE
                                        and abs(b - f.end) <= _DECIDED_TOLERANCE for k, a, b in decided)]


def hold_reason(kinds: Counter, policy: str, decided: int = 0) -> str | None:
    """Why an episode is held, in one line of kinds and counts (never the words), or None. Under ``flagged``
    an episode in which anything was flagged waits for an organiser's approval, even once every flag is
    redacted or dismissed (someone must see the result before listeners do).

    >>> hold_reason(Counter({"person": 2, "phone": 1}), "flagged")
    'held for review: personal data flagged (2 person, 1 phone); an organiser approves it in the editor'
    >>> hold_reason(Counter({"person": 1}), "flagged", decided=1)
    'held for review: personal data flagged (1 person; 1 redacted or dismissed); an organiser approves it in the editor'
    >>> hold_reason(Counter(), "before"), hold_reason(Counter({"person": 1}), "after")
    ('held for review: the show reviews every episode before publishing (review = "before")', None)
    """
    if policy == "before":
        return 'held for review: the show reviews every episode before publishing (review = "before")'
    if policy == "flagged" and kinds:
        listed = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        done = f"; {decided} redacted or dismissed" if decided else ""
        return f"held for review: personal data flagged ({listed}{done}); an organiser approves it in the editor"
    return None


def review(ctx: Context, release: Release) -> str | None:
    """Flag personal data in the transcript being released and apply the show's review policy.

    Returns the one-line reason the episode is held, or None when it may be public: the policy is
    ``after``, nothing was flagged under ``flagged`` (in English), an organiser approved it, or it is public
    already (a republish never takes a public episode down; its new flags wait in the editor). A redaction
    whose check failed holds it whatever the policy, until a later check passes.
    """
    from chorus import privacy_review

    ep = release.episode
    latest = ctx.catalog.latest_revision(TranscriptRevision, ep.id)
    language = (release.transcript.language or release.show_settings.language or "en").split("-")[0].lower()
    found = _new_flags(ctx, ep.id, _find(ctx, release)) if language in FLAGGED_LANGUAGES else []
    if latest is not None:
        privacy_review.store_flags(ctx.catalog, ep.id, latest.number, found)
    approved = ctx.catalog.approved_revision(TranscriptRevision, ep.id) is not None
    public = bool(ep.objects) and not is_private(ep.objects) and ep.status in ("published", "scheduled",
                                                                                  "rendering", "releasing")
    failed_check = _failed_checks(ctx, ep.id)
    if failed_check:
        return failed_check
    if approved or public:
        return None
    with ctx.catalog.session() as s:
        rows = s.execute(select(PrivacyFlag.kind, PrivacyFlag.state).where(PrivacyFlag.episode_id == ep.id)).all()
    kinds = Counter(kind for kind, _state in rows)
    if language not in FLAGGED_LANGUAGES and release.show_settings.review == "flagged":
        return (f"held for review: personal data is flagged automatically only in English, and this episode is in "
                f"{language!r}; a person must listen before it is published")
    return hold_reason(kinds, release.show_settings.review, decided=sum(state != "open" for _k, state in rows))


def _failed_checks(ctx: Context, episode_id: int) -> str | None:
    """A redaction whose last check failed (and that has not been checked again since) holds the episode."""
    from chorus import privacy_review

    failed = [r for r in privacy_review.redactions(ctx.catalog, episode_id) if r.get("verified") is False]
    if not failed:
        return None
    return (f"held for review: the check after {len(failed)} redaction(s) failed (the removed words were still "
            "found); see the editor, redact what remains, then approve again")


def hold_for_review(ctx: Context, release: Release, stored: dict, reason: str) -> str:
    """Record a held episode: private objects, no feed item or page, the reason for ``chorus status``."""
    from chorus.steps import archive_claimed, object_records

    records = object_records(stored)
    for rec in records.values():
        rec["private"] = True
        rec["url"] = None  # never a public URL: reviewers listen through the editor
    with ctx.catalog.session() as s:
        source = s.get_one(Episode, release.episode.id).source_path
    kept = archive_claimed(ctx.settings, Path(source) if source else None)  # processed: kept in archive/
    ctx.catalog.set_status(release.episode.id, "in_review", detail=reason, objects=records, error=reason,
                           source_path=str(kept) if kept else None)
    return reason


def withdraw(ctx: Context, episode_id: int, reason: str) -> None:
    """Take a public episode out of its feed and pages (its check failed): held, not deleted."""
    from chorus import publishing

    with ctx.catalog.session() as s:
        show = s.get_one(Episode, episode_id).show.slug
    ctx.catalog.set_status(episode_id, "in_review", detail=reason, error=reason)
    publishing.publish_show(ctx.bucket, ctx.settings, ctx.catalog, show)


def _keys(objects: dict[str, Any] | None) -> set[str]:
    return {o["key"] for o in (objects or {}).values() if isinstance(o, dict) and o.get("key")}


def purge(ctx: Context, release: Release, stored: dict) -> int:
    """Delete, with every version and delete marker, the objects this release replaced (the episode's
    earlier private or public copies), and after a redaction the older versions of the show's feed and
    pages and the keys whose names say the removed words (an old slug's folder). Returns how many versions
    were removed."""
    from chorus import privacy_review

    bucket, ep = ctx.bucket, release.episode
    keep = {o.key for o in stored.values()}
    removed = bucket.purge(sorted(_keys(ep.objects) - keep))
    private = private_folder(ctx.settings, release.show, ep.id)
    if not any(k.startswith(private) for k in keep):  # released: nothing of it stays private
        removed += bucket.purge_prefix(private)
    pending = privacy_review.pending_check(ctx.catalog, ep.id)
    if pending:
        ctx.catalog.forget_removed()  # the scrubbed revisions' old bytes, out of the database files too
        prefix = ctx.settings.show_prefix(release.show) + "/"
        listed = bucket.versions(prefix)
        stale = stale_keys(ctx.catalog, ctx.settings, release.show, listed, [r.digests for r in pending if r.digests])
        removed += bucket.purge(stale)  # the folder of a slug that said the words: its page, its media
        for key in sorted({v.key for v in listed if Path(v.key).suffix in (".xml", ".html")} - set(stale)):
            removed += bucket.purge_old_versions(key)
    return removed


def stale_keys(catalog, settings, show: str, listed: list, digests: list[dict]) -> list[str]:
    """Keys of ``listed`` (object versions in the show's folder) that say removed words in their own name (an
    episode folder named by a slug that a redaction replaced, ``privacy_review``), outside the folders of the
    show's current episodes. Used by ``purge`` and ``chorus.publishing.unpublish``."""
    prefix = settings.show_prefix(show) + "/"
    with catalog.session() as s:
        current = set(s.scalars(select(Episode.slug).join(Show).where(Show.slug == show)))
    keys = set()
    for v in listed:
        rest = v.key[len(prefix):]
        if "/" in rest and rest.split("/", 1)[0] not in current and _count(rest, digests):
            keys.add(v.key)
    return sorted(keys)


@dataclass
class Check:
    """What the check after a redaction found (counts only, never words)."""

    redactions: int = 0
    spans: int = 0
    heard: int = 0
    """Removed words the transcriber still recognised in the published audio."""
    objects: int = 0
    versions: int = 0
    found: int = 0
    """Removed words found in text objects and ID3 tags, over every version."""
    where: list[str] = field(default_factory=list)
    """Keys (never words) where they were found."""

    @property
    def passed(self) -> bool:
        return self.heard == 0 and self.found == 0

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "spans": self.spans, "heard": self.heard, "objects": self.objects,
                "versions": self.versions, "found": self.found, "where": self.where[:20]}


def verify(ctx: Context, release: Release, files: dict[str, Path]) -> Check | None:
    """Check every redaction not yet checked (None when there is none); record the result on each."""
    from chorus import privacy_review

    pending = privacy_review.pending_check(ctx.catalog, release.episode.id)
    if not pending:
        return None
    digests = [r.digests for r in pending if r.digests]
    spans = [tuple(s) for r in pending for s in (r.spans or {}).get("times", [])]
    check = Check(redactions=len(pending), spans=len(spans))
    check.heard = _heard(ctx, release, files, spans, digests)
    _search_bucket(ctx, release, digests, check)
    for r in pending:
        privacy_review.record_check(ctx.catalog, r.id, check.passed, check.to_dict())
    return check


def _count(text: str, digests: list[dict]) -> int:
    from transcripts.redaction import count_digests

    return sum(count_digests(text, d) for d in digests)


def _heard(ctx: Context, release: Release, files: dict[str, Path], spans: list, digests: list[dict]) -> int:
    """Transcribe the published audio again around each span; count removed words recognised."""
    from chorus.sidecar import Sidecar
    from chorus.steps import transcribe_options
    from transcripts.heard import heard_in_spans

    audio = files.get("mp3")
    if not spans or audio is None:
        return 0
    opts = transcribe_options(release.show_settings, Sidecar())
    opts.language = release.transcript.language or opts.language
    heard = heard_in_spans(Path(audio), [(float(a), float(b)) for a, b in spans], opts)
    return sum(_count(text, digests) for text in heard)


def _search_bucket(ctx: Context, release: Release, digests: list[dict], check: Check) -> None:
    """Every version of the episode's objects (public and private) and of the show's own files (feed, pages):
    text bodies and ID3 tags. Other episodes' folders are not read (a large show would cost minutes, and an
    episode's check must not fail for words another episode says)."""
    bucket, show = ctx.bucket, ctx.settings.show_prefix(release.show) + "/"
    episode = f"{show}{release.episode.slug}/"
    private = private_folder(ctx.settings, release.show, release.episode.id)
    every = bucket.versions(show)
    listed = [v for v in every if v.key.startswith(episode) or "/" not in v.key[len(show):]]
    for key in [*{v.key for v in listed}, *stale_keys(ctx.catalog, ctx.settings, release.show, every, digests)]:
        hits = _count(key[len(show):], digests)  # a key's own name (never spoken words, unless a slug said them)
        if hits:
            check.found += hits
            check.where.append(key)
    for v in [*listed, *bucket.versions(private)]:
        if v.is_delete_marker:
            continue
        check.versions += 1
        suffix = Path(v.key).suffix.lower()
        if suffix in TEXT_SUFFIXES:
            text = _get(bucket, v.key, v.version_id).decode("utf-8", "replace")
        elif suffix == ".mp3":
            text = _id3_text(_id3_bytes(bucket, v.key, v.version_id))
        else:
            continue
        check.objects += 1
        hits = _count(text, digests)
        if hits:
            check.found += hits
            check.where.append(v.key)


def _get(bucket, key: str, version_id: str | None, head: int | None = None) -> bytes:
    args: dict[str, Any] = {"Bucket": bucket.name, "Key": key}
    if version_id and version_id != "null":
        args["VersionId"] = version_id
    if head:
        args["Range"] = f"bytes=0-{head - 1}"
    return bucket.client.get_object(**args)["Body"].read()


def _id3_bytes(bucket, key: str, version_id: str | None) -> bytes:
    """The whole ID3v2 tag at the start of an MP3 (its size is in the tag's 10-byte header), however large its
    cover art, without reading the audio."""
    head = _get(bucket, key, version_id, head=10)
    if len(head) < 10 or head[:3] != b"ID3":
        return b""
    size = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
    return _get(bucket, key, version_id, head=size + 10)  # a footer, if any


def _id3_text(data: bytes) -> str:
    """Every text in an MP3's ID3v2 tag (title, chapters and their titles, comments)."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(io.BytesIO(data))
    except (ID3NoHeaderError, Exception):  # noqa: BLE001 - no tag, or cut short: nothing to search
        return ""
    out: list[str] = []

    def walk(frames) -> None:
        for frame in frames:
            for attr in ("text", "title", "desc"):
                val = getattr(frame, attr, None)
                if isinstance(val, (list, tuple)):
                    out.extend(str(x) for x in val)
                elif isinstance(val, str):
                    out.append(val)
            sub = getattr(frame, "sub_frames", None)
            if sub:
                walk(sub.values())
    walk(tags.values())
    return "\n".join(out)


def redaction_spans(ctx: Context, episode_id: int) -> list[tuple[float, float]]:
    """Every redacted span of the episode, in mastered-audio seconds (what ``render`` bleeps or silences)."""
    from chorus.catalog import Redaction

    with ctx.catalog.session() as s:
        rows = s.scalars(select(Redaction.spans).where(Redaction.episode_id == episode_id)).all()
    return sorted((float(a), float(b)) for spans in rows for a, b in (spans or {}).get("times", []))


_APPLIED = ".redacted.json"


def scrub_work(ctx: Context, release: Release, mastered, spans: list[tuple[float, float]]) -> int:
    """Redact the episode's local work files in place: the mastered MP3, the speech WAV, the video and the
    other encodings (each re-encoded once per new span, never again), and the cached transcript. Returns how
    many files were rewritten. The archived original is the organiser's private copy and is left alone."""
    import json

    import media
    from media.redact import RedactOptions

    folder = Path(mastered.mp3).parent
    marker = folder / _APPLIED
    done = {tuple(x) for x in json.loads(marker.read_text())} if marker.is_file() else set()
    new = [s for s in spans if tuple(s) not in done]
    if not new:
        return 0
    files = [mastered.mp3, mastered.speech_wav, getattr(mastered, "video", None),
             *(getattr(mastered, "alternates", None) or {}).values()]
    options = RedactOptions(mode=release.show_settings.redaction)
    rewritten = 0
    for path in (Path(p) for p in files if p):
        if not path.is_file():
            continue
        tmp = path.with_name(f".{path.stem}.redacting{path.suffix}")
        media.redact_audio(path, tmp, list(new), options)
        tmp.replace(path)
        rewritten += 1
    _scrub_cached_transcript(ctx, release, spans)
    marker.write_text(json.dumps(sorted([list(s) for s in done | {tuple(s) for s in new}])))
    return rewritten


def _scrub_cached_transcript(ctx: Context, release: Release, spans: list[tuple[float, float]]) -> None:
    """The transcription cache (``work/<episode>/.steps/transcribe.pickle``) keeps the machine transcript: its
    redacted words become ``[redacted]`` too (a retry reuses it instead of transcribing the bleeped audio)."""
    import pickle

    import transcripts
    from transcripts.redaction import scrub_transcript

    store = ctx.settings.path("work") / str(release.episode.id) / ".steps" / "transcribe.pickle"
    if not store.is_file():
        return
    try:
        key, cached = pickle.loads(store.read_bytes())
    except Exception:  # noqa: BLE001 - unreadable: remove it (it would be recomputed from the bleeped audio)
        store.unlink()
        return
    scrubbed = transcripts.Transcript.from_dict(scrub_transcript(cached.to_dict(), spans, []))
    tmp = store.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps((key, scrubbed)))
    tmp.replace(store)


def failed_line(check: Check) -> str:
    """One line saying what the check after a redaction found (counts and keys, never words).

    >>> failed_line(Check(heard=1, found=2, where=["show/ep/ab.vtt"]))
    'the check after a redaction failed: 1 removed word(s) still recognisable in the audio, 2 found in stored objects (first: show/ep/ab.vtt)'
    """
    parts = []
    if check.heard:
        parts.append(f"{check.heard} removed word(s) still recognisable in the audio")
    if check.found:
        parts.append(f"{check.found} found in stored objects (first: {check.where[0]})")
    return "the check after a redaction failed: " + ", ".join(parts)
