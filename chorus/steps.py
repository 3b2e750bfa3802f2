"""The steps of publishing an episode, as plain functions with typed inputs and outputs.

``chorus.sequence`` runs them in order; the Prefect flows wrap each one as a task. Side effects
live in named steps: ``claim``, ``draft``, ``record`` and ``finish`` write the catalog,
``publish_objects`` and ``feed`` write the bucket, ``archive`` and ``quarantine`` move the
pipeline's own copy of a recording. Nothing here deletes or overwrites a user's recording: a file
named on the command line is copied into the data directory, never moved; copies are moved, never
removed; a name clash in archive/ or failed/ gets a numbered name.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

import media
import transcripts
import transcripts.formats
import transcripts.notes
from sqlalchemy.exc import IntegrityError

from chorus import publishing, staging
from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision, unique_slug, utcnow
from chorus.errors import ChorusError
from chorus.settings import Settings, ShowSettings, validate_slug
from chorus.sidecar import SIDECAR_SUFFIXES, Sidecar, find_sidecar, load_sidecar
from chorus.storage import IMMUTABLE, Bucket, StoredObject, sha256_file
from chorus.watcher import sha256_path

T = TypeVar("T")

__all__ = [
    "Context", "Claim", "Release", "claim", "probe", "master", "transcribe", "notes", "draft", "load_release",
    "render", "publish_objects", "record", "feed", "finish", "fail", "archive", "quarantine",
    "cached_step", "step_key", "sha256_path", "one_line", "episode_title", "master_options", "transcribe_options",
    "notes_options", "remaster", "park", "hold", "set_aside", "transcribed", "object_records", "error_note", "DONE",
    "archive_claimed", "claimed_root", "drop_copy",
]

DONE = ("published", "scheduled", "unpublished", "in_review", "approved")
"""Statuses after which the same bytes offered again are a duplicate."""
PARKED = ("waiting", "held", "failed")
"""Statuses in which nobody works on an episode: the same bytes offered again, from anywhere, resume it."""


def one_line(exc: BaseException | str) -> str:
    """A single human line for an error (what went wrong), never a traceback.

    >>> one_line(ValueError("bad\\n  input"))
    'bad input'
    """
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


@dataclass
class Context:
    """What every step may use: the settings, the catalog and (for publishing steps) the bucket."""

    settings: Settings
    catalog: Catalog
    bucket: Bucket | None = None


@dataclass
class Claim:
    """A recording taken into the catalog (or recognised as already published)."""

    source: Path
    """The pipeline's own copy, under ``<data>/claimed/<sha256>/`` (an inbox item was moved there)."""
    sha256: str
    show: str
    episode_id: int
    duplicate: bool = False
    sidecar: Sidecar = field(default_factory=Sidecar)
    original: Path | None = None
    """Where the recording was offered (a command-line path, or the inbox item before the watcher moved it)."""


@dataclass
class Release:
    """Everything ``render`` needs about an episode, read back from the catalog."""

    episode: Episode
    show: str
    show_settings: ShowSettings
    transcript: Any
    notes: Any
    source: Path | None
    source_sha256: str


def episode_title(source: Path, sidecar: Sidecar) -> str:
    """The sidecar's title, else one made from the file name.

    >>> episode_title(Path("2026-03-supervision_in_first_year.mp3"), Sidecar())
    '2026 03 Supervision In First Year'
    """
    if (sidecar.title or "").strip():
        return sidecar.title.strip()
    stem = source.name if source.is_dir() else source.stem
    return " ".join(w.capitalize() if w.islower() else w for w in stem.replace("_", " ").replace("-", " ").split())


def claimed_root(settings: Settings) -> Path:
    """``<data>/claimed``: the pipeline's copies of recordings being processed."""
    return settings.data_dir.resolve() / "claimed"


def _own_copy(settings: Settings, source: Path, side: Path | None, digest: str) -> tuple[Path, Path | None]:
    """The pipeline's copy of ``source`` under ``claimed/<sha256>/``: used in place when it is already
    there (the watcher moved it), else copied (a path named on the command line stays where it is)."""
    root = claimed_root(settings) / digest
    if root in source.parents:
        return source, side
    root.mkdir(parents=True, exist_ok=True)
    target = root / source.name
    if not target.exists():
        tmp = root / f".{source.name}.copying"
        if source.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(source, tmp)
        else:
            shutil.copy2(source, tmp)
        tmp.replace(target)
    side_copy = None
    if side is not None and side.parent != source:  # a sidecar inside a track folder came with the folder
        side_copy = root / side.name
        shutil.copy2(side, side_copy)
    elif side is not None:
        side_copy = target / side.name
    return target, side_copy


def claim(ctx: Context, source: Path, show: str | None = None, handed_over: bool = False) -> Claim:
    """Validate the sidecar, hash the recording, refuse exact duplicates, and create (or resume) its episode.

    An episode of the same bytes that is not done is resumed when nobody else is working on it: it is parked
    (``PARKED``), or this data directory claimed it (a rerun after a crash, ``chorus retry``), or the run was
    ``handed_over`` (a worker's run of a recording the watcher staged: Prefect runs one at a time, and reruns a
    lost worker's). Otherwise another watcher claimed it a moment ago and is processing it: a duplicate of
    that episode, as when both insert at once (the unique content hash).

    Raises ``ChorusError`` for a missing file, and ``SidecarError`` (one line naming the file and
    the field) for a bad sidecar: both before anything is written.
    """
    settings, catalog = ctx.settings, ctx.catalog
    source = Path(source).resolve()
    if not source.exists():
        raise ChorusError("file does not exist", path=source)
    side_path = find_sidecar(source)
    sidecar = load_sidecar(side_path) if side_path else Sidecar()
    show_slug, _ = settings.get_show(validate_slug(show, "show") if show else sidecar.show)
    digest = sha256_path(source)
    with catalog.session() as s:
        existing = catalog.find_by_sha(s, digest)
        if existing is not None and existing.status in DONE:
            return Claim(source, digest, existing.show.slug, existing.id, duplicate=True, sidecar=sidecar,
                         original=source)
    own, _ = _own_copy(settings, source, side_path, digest)
    try:
        with catalog.session() as s:
            existing = catalog.find_by_sha(s, digest)
            show_row = catalog.show(s, show_slug)
            title = episode_title(source, sidecar)
            if existing is not None and existing.status not in DONE:
                if not (handed_over or existing.status in PARKED or existing.source_path == str(own)):
                    return Claim(own, digest, existing.show.slug, existing.id, duplicate=True, sidecar=sidecar,
                                 original=source)  # another watcher's, in progress
                ep = existing  # an earlier attempt: resume that episode
                ep.source_path, ep.title = str(own), title
            else:
                ep = Episode(show_id=show_row.id, title=title, source_name=source.name, source_sha256=digest,
                             source_path=str(own), number=sidecar.episode or catalog.next_number(s, show_row.id),
                             slug=unique_slug(s, show_row.id, title))
                s.add(ep)
            s.flush()
            episode_id = ep.id
    except IntegrityError:  # another watcher or worker claimed the same bytes a moment ago: one episode, theirs
        with catalog.session() as s:
            winner = catalog.find_by_sha(s, digest)
            if winner is None:
                raise
            return Claim(own, digest, winner.show.slug, winner.id, duplicate=True, sidecar=sidecar, original=source)
    catalog.set_status(episode_id, "claimed", source_path=str(own))
    return Claim(own, digest, show_slug, episode_id, sidecar=sidecar, original=source)


def cached_step(work: Path, step: str, key: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` once per ``key``: its result is kept in ``work/.steps/<step>.pickle``.

    A rerun after a crash or a failed upload (same input bytes, same options) reuses the result
    instead of mastering or transcribing again, as long as every file the result names still
    exists. (Prefect's own result cache cannot check that the files a result names still exist,
    and the plain sequence must resume without Prefect too: ``chorus regenerate``, the tests.)
    """
    store = work / ".steps" / f"{step}.pickle"
    found, result = _cached(store, key)
    if found:
        return result
    result = fn()
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps((key, result)))
    tmp.replace(store)  # atomic: a crash never leaves a half-written cache entry
    return result


def _cached(store: Path, key: str) -> tuple[bool, Any]:
    """(True, result) when ``store`` holds a result for ``key`` whose files all still exist."""
    if not store.is_file():
        return False, None
    try:
        saved_key, result = pickle.loads(store.read_bytes())
    except Exception:  # unreadable (older version, partial write): recompute
        return False, None
    return saved_key == key and all(p.exists() for p in _paths_in(result)), result


def _paths_in(obj: Any) -> list[Path]:
    if isinstance(obj, Path):
        return [obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [p for f in dataclasses.fields(obj) for p in _paths_in(getattr(obj, f.name))]
    return []


def step_key(*parts: Any) -> str:
    """A cache key from the input hash and the options that shape a step's result.

    >>> step_key("abc", {"a": 1}) == step_key("abc", {"a": 1}) != step_key("abc", {"a": 2})
    True
    """
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _work(settings: Settings, episode_id: int) -> Path:
    return settings.path("work") / str(episode_id)


def master_options(show: ShowSettings):
    """The show's settings as ``media.MasterOptions``."""
    return media.MasterOptions(target_lufs=show.loudness_lufs, channels=show.channels, bitrate_kbps=show.bitrate_kbps,
                         denoise=show.denoise, shorten_pauses_over=show.shorten_pauses_over, intro=show.intro,
                         outro=show.outro)


def transcribe_options(show: ShowSettings, sidecar: Sidecar):
    """The show's (and the episode's) settings as ``transcripts.TranscribeOptions``."""
    # People's names are speaker labels, not hotwords: with tiny.en, long hotword lists make
    # faster-whisper skip speech (measured: WER 0.10 -> 0.39 on the panel clip with two names).
    glossary = list(dict.fromkeys([*show.glossary, *sidecar.glossary]))
    # an episode's sidecar may name its own language, or "auto" to let a multilingual model detect it; a show
    # that lists its languages has each episode's detected among them (held when unsure, see `hold`)
    language = sidecar.language or (None if show.languages else show.language)
    return transcripts.TranscribeOptions(model=show.whisper_model, language=None if language == "auto" else language,
                             languages=list(show.languages), glossary=glossary,
                             speakers=[name for name, _role in sidecar.people])


def notes_options(show: ShowSettings, transcript):
    """``NotesOptions`` in the transcript's language (stop words and stemming follow it)."""
    return transcripts.notes.NotesOptions(language=transcript.language or show.language)


def probe(claim_: Claim):
    """``media.probe`` of the claimed recording: a bad file fails here, before anything is produced."""
    return media.probe(claim_.source)


def master(ctx: Context, claim_: Claim):
    """Master the recording into ``work/<episode>/master`` (cached by content and options)."""
    _slug, show = ctx.settings.get_show(claim_.show)
    opts = master_options(show)
    work = _work(ctx.settings, claim_.episode_id)
    ctx.catalog.set_status(claim_.episode_id, "mastering")
    return cached_step(work, "master", step_key(claim_.sha256, opts),
                       lambda: media.master(claim_.source, work / "master", opts))


def _transcribe_key(ctx: Context, claim_: Claim):
    _slug, show = ctx.settings.get_show(claim_.show)
    opts = transcribe_options(show, claim_.sidecar)
    return opts, step_key(claim_.sha256, master_options(show), opts)


def transcribed(ctx: Context, claim_: Claim, mastered) -> bool:  # noqa: ARG001 - the step's own arguments
    """True when ``transcribe`` would return its cached result (no transcription slot is needed then)."""
    _opts, key = _transcribe_key(ctx, claim_)
    return _cached(_work(ctx.settings, claim_.episode_id) / ".steps" / "transcribe.pickle", key)[0]


def transcribe(ctx: Context, claim_: Claim, mastered):
    """Transcribe the mastered speech (cached by content and options)."""
    opts, key = _transcribe_key(ctx, claim_)
    ctx.catalog.set_status(claim_.episode_id, "transcribing")
    return cached_step(_work(ctx.settings, claim_.episode_id), "transcribe", key,
                       lambda: transcripts.transcribe(mastered.speech_wav, opts,
                                                timeline=getattr(mastered, "timeline", None)))


def notes(ctx: Context, claim_: Claim, transcript):
    """Draft show notes and chapters in the transcript's language; the sidecar's values win."""
    _slug, show = ctx.settings.get_show(claim_.show)
    return transcripts.notes.make_notes(transcript, notes_options(show, transcript), claim_.sidecar.to_notes_dict())


def draft(ctx: Context, claim_: Claim, mastered, transcript, notes_) -> int:
    """Store the machine drafts as new revisions (append-only) and what mastering measured."""
    catalog = ctx.catalog
    catalog.add_revision(TranscriptRevision, claim_.episode_id, transcript.to_dict())
    catalog.add_revision(NotesRevision, claim_.episode_id, notes_.to_dict())
    media_info = {k: v for k, v in vars(mastered).items() if isinstance(v, (int, float, str, bool)) or v is None}
    # the source spans mastering kept: maps a time in the original recording onto the published audio
    media_info["kept"] = [[round(a, 3), round(b, 3)] for a, b in (mastered.kept or [])]
    # how much of the speech has words, and the marked [inaudible] gaps: for `chorus status` and volunteers
    media_info["coverage"] = transcript.coverage
    media_info["inaudible"] = [[round(a, 2), round(b, 2)] for a, b in transcript.gaps]
    problems = transcripts.formats.caption_problems(transcripts.formats.make_cues(transcript.words()))
    media_info["caption_problems"] = len(problems)
    fields = {"published_at": claim_.sidecar.publish_at} if claim_.sidecar.publish_at else {}
    catalog.set_status(claim_.episode_id, "drafted", duration=mastered.duration, media=media_info, **fields)
    return claim_.episode_id


def load_release(ctx: Context, episode_id: int) -> Release:
    """The episode and its current transcript and notes revisions (the approved ones, else the machine drafts)."""
    with ctx.catalog.session() as s:
        ep = s.get(Episode, episode_id)
        if ep is None:
            raise ChorusError(f"there is no episode {episode_id}; `chorus status` lists them")
        show = ep.show.slug
        s.expunge(ep)
    t_rev = ctx.catalog.current_revision(TranscriptRevision, episode_id)
    n_rev = ctx.catalog.current_revision(NotesRevision, episode_id)
    if t_rev is None or n_rev is None:
        raise ChorusError(f"episode {episode_id} has no transcript yet; run it again with `chorus retry {episode_id}`")
    _slug, show_settings = ctx.settings.get_show(show)
    source = Path(ep.source_path) if ep.source_path else None
    return Release(ep, show, show_settings, transcripts.Transcript.from_dict(t_rev.data), transcripts.notes.ShowNotes.from_dict(n_rev.data),
                   source, ep.source_sha256)


def remaster(ctx: Context, release: Release):
    """The mastered audio cached when the episode was first processed (mastered again only if the
    work folder was cleaned up, from the original in claimed/ or archive/)."""
    opts = master_options(release.show_settings)
    work = _work(ctx.settings, release.episode.id)
    if release.source is None or not release.source.exists():
        store = work / ".steps" / "master.pickle"
        if store.is_file():
            return pickle.loads(store.read_bytes())[1]
        raise ChorusError(f"the original of episode {release.episode.id} is gone from {release.source}, so its "
                          "audio cannot be rendered again")
    return cached_step(work, "master", step_key(release.source_sha256, opts),
                       lambda: media.master(release.source, work / "master", opts))


def render(ctx: Context, release: Release, mastered) -> dict[str, Path]:
    """Every per-episode file to publish, by kind: mp3 (tagged), vtt, srt, json, txt, html, chapters."""
    ep, show, notes_ = release.episode, release.show_settings, release.notes
    out = _work(ctx.settings, ep.id) / "publish"
    out.mkdir(parents=True, exist_ok=True)
    ctx.catalog.set_status(ep.id, "rendering")
    files = dict(transcripts.write_formats(release.transcript, out, "transcript", title=ep.title))
    from chorus import review  # the confidentiality steps build on these steps

    spans = review.redaction_spans(ctx, ep.id)
    if spans:  # redacted words are bleeped (or silenced) in the work files, so in every file made from them
        review.scrub_work(ctx, release, mastered, spans)
    mp3 = out / "episode.mp3"
    shutil.copyfile(mastered.mp3, mp3)
    artwork = show.artwork if show.artwork and Path(show.artwork).is_file() else _default_artwork()
    when = ep.published_at or utcnow()
    media.write_id3(mp3, media.Id3Tags(title=ep.title, show=show.title, author=show.author, date=when.date().isoformat(),
                           episode=ep.number, cover=artwork), notes_.chapters)
    files["mp3"] = mp3
    if notes_.chapters:
        chapters = out / "chapters.json"
        chapters.write_text(json.dumps(transcripts.notes.chapters_json(notes_.chapters, title=ep.title), indent=1), encoding="utf-8")
        files["chapters"] = chapters
    if getattr(mastered, "video", None):
        files["mp4"] = Path(mastered.video)
    if getattr(mastered, "poster", None):
        files["poster"] = Path(mastered.poster)
    return files


def _default_artwork() -> Path:
    return Path(__file__).parent / "assets" / "artwork.jpg"


_CTYPE_OVERRIDES = {"chapters": "application/json+chapters"}
_PRIVATE = "private, no-store"


def publish_objects(ctx: Context, release: Release, files: dict[str, Path], private: bool = False
                    ) -> dict[str, StoredObject]:
    """Upload media and transcripts under immutable content-addressed keys (skipping unchanged ones);
    ``private``: under the bucket's private prefix (a held episode), never anonymously readable.

    Raises ``ChorusError`` (one line) when a file cannot be read or the store refuses it, and
    ``StoreUnavailable`` while the store cannot be reached; the live feed is untouched because it
    is only rebuilt afterwards.
    """
    bucket = ctx.bucket
    base = f"{ctx.settings.show_prefix(release.show)}/{release.episode.slug}"
    stored = {}
    for kind, path in files.items():
        try:
            digest = sha256_file(path)
        except OSError as e:
            raise ChorusError(f"cannot read the file to upload ({e.strerror or e}); nothing new was published, "
                              "the live feed is unchanged", path=path) from e
        name = f"{digest[:16]}{path.suffix.lower()}"
        key = ctx.settings.private_key(release.show, release.episode.id, name) if private else f"{base}/{name}"
        stored[kind] = bucket.put_file(key, path, cache_control=_PRIVATE if private else IMMUTABLE,
                                       ctype=_CTYPE_OVERRIDES.get(kind))
    bucket.wait_visible(list(stored.values()))
    return stored


def object_records(stored: dict[str, StoredObject]) -> dict[str, dict[str, Any]]:
    """Published objects as the catalog keeps them (``Episode.objects``)."""
    return {k: {"key": o.key, "url": o.url, "length": o.length, "type": o.type, "sha256": o.sha256}
            for k, o in stored.items()}


def record(ctx: Context, release: Release, stored: dict[str, StoredObject]) -> datetime:
    """Record the uploaded objects and the release time; the episode is ``releasing`` until the feed
    that lists it is written (``finish``). Returns when it goes public: its first release time, the
    sidecar's ``publish_at`` (set by ``draft``), or now."""
    ep = release.episode
    when = ep.published_at or utcnow()
    ctx.catalog.set_status(ep.id, "releasing", objects=object_records(stored), published_at=when)
    return when


def feed(ctx: Context, show: str):
    """Regenerate and upload the show's pages, then its feed LAST (``chorus.publishing.publish_show``):
    conditional write, every referenced object checked first; a failure leaves the live feed as it was."""
    return publishing.publish_show(ctx.bucket, ctx.settings, ctx.catalog, show).feed


def finish(ctx: Context, episode_id: int, detail: str | None = None) -> str:
    """Mark the episode ``published`` (its feed is written), or ``scheduled`` while its time is ahead;
    archive the pipeline's copy of the original. Returns the status."""
    with ctx.catalog.session() as s:
        ep = s.get_one(Episode, episode_id)
        when, source = ep.published_at, Path(ep.source_path) if ep.source_path else None
    status = "scheduled" if when is not None and when > utcnow() else "published"
    source = archive_claimed(ctx.settings, source)
    ctx.catalog.set_status(episode_id, status, detail=detail, source_path=str(source) if source else None)
    return status


def archive_claimed(settings: Settings, source: Path | None) -> Path | None:
    """Archive the pipeline's copy of an original once it has been processed (released, or held for
    review); anything else is left where it is. Returns where it is now."""
    if source is not None and source.exists() and claimed_root(settings) in source.parents:
        if staging.is_staged_copy(source):  # a worker's copy: the original is archived on the organisers' machine
            return source
        return archive(settings, source)
    return source


def set_aside(ctx: Context, claim_: Claim) -> Path:
    """A duplicate the watcher had claimed goes to ``archive/`` (kept, never deleted); a file named on
    the command line stays where it is. Returns where the offered recording now is."""
    if claimed_root(ctx.settings) in claim_.source.parents and claim_.source.exists():
        with ctx.catalog.session() as s:
            in_use = s.get_one(Episode, claim_.episode_id).source_path == str(claim_.source)
        if in_use or staging.is_staged_copy(claim_.source):  # the run that won the claim is working on this copy,
            return claim_.source  # or a worker's (drop_copy removes it): the organisers' machine keeps the original
        return archive(ctx.settings, claim_.source)
    return claim_.source


def drop_copy(ctx: Context, claim_: Claim) -> None:
    """On a worker, once the episode is released (or found a duplicate): remove the copy it fetched from the
    bucket and the episode's work files. The organisers' machine keeps the original, and republishing runs
    there, so nothing of the recording (mastered audio, transcripts) stays behind on a worker, where a later
    redaction could not reach it."""
    if not staging.is_staged_copy(claim_.source):
        return
    if claim_.duplicate:
        with ctx.catalog.session() as s:
            if s.get_one(Episode, claim_.episode_id).source_path == str(claim_.source):
                return  # another run on this worker is publishing from this very copy
    folder = claim_.source.parent
    if folder.parent == claimed_root(ctx.settings) and folder.name == claim_.sha256:
        shutil.rmtree(folder, ignore_errors=True)
    if not claim_.duplicate:
        shutil.rmtree(_work(ctx.settings, claim_.episode_id), ignore_errors=True)


def _move_aside(source: Path, folder: Path) -> Path:
    """Move a recording (and the sidecar beside it) into ``folder``, numbering the name on a clash."""
    folder.mkdir(parents=True, exist_ok=True)
    side = find_sidecar(source) if source.exists() else None
    is_file = source.is_file()
    stem, suffix = (source.stem, source.suffix) if is_file else (source.name, "")
    target, n = folder / source.name, 1
    while target.exists() or any((folder / f"{target.stem if is_file else target.name}{s}").exists()
                                 for s in SIDECAR_SUFFIXES):
        target, n = folder / f"{stem}.{n}{suffix}", n + 1
    shutil.move(str(source), str(target))
    if side is not None and side.exists() and side.parent != target:
        base = target.stem if is_file else target.name
        shutil.move(str(side), str(folder / f"{base}{side.suffix}"))
    _drop_empty_claim(source)
    return target


def _drop_empty_claim(source: Path) -> None:
    """Remove ``claimed/<sha256>/`` once nothing is left in it (only our own, empty folder)."""
    parent = source.parent
    if parent.parent.name == "claimed" and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()


def archive(settings: Settings, source: Path) -> Path:
    """Move the pipeline's copy of a published original to ``<data>/archive/`` (kept, never deleted),
    with any exact duplicates of it the watcher set aside in ``claimed/<sha256>/duplicates/``."""
    source = Path(source)
    duplicates = source.parent / "duplicates"
    if source.parent.parent.name == "claimed" and duplicates.is_dir():
        for dup in sorted(duplicates.iterdir()):
            _move_aside(dup, settings.path("archive"))
        if not any(duplicates.iterdir()):
            duplicates.rmdir()
    return _move_aside(source, settings.path("archive"))


def error_note(path: Path) -> Path:
    """The ``<name>.error.txt`` written beside a quarantined input."""
    return path.parent / f"{path.name}.error.txt"


def quarantine(settings: Settings, source: Path, reason: str, original: Path | None = None) -> Path | None:
    """Move a failed input to ``<data>/failed/`` beside ``<name>.error.txt`` saying why and how to retry.

    Only the pipeline's own copy (under the data directory) is moved; a file named on the command
    line stays where it was.
    """
    source = Path(source)
    if not source.exists():
        return None
    data = settings.data_dir.resolve()
    if data not in source.resolve().parents:
        target = _copy_aside(source, settings.path("failed"))
    else:
        target = _move_aside(source, settings.path("failed"))
    where = f" (the original is still at {original})" if original and original.exists() else ""
    error_note(target).write_text(
        f"{reason}\n\nTo retry: fix the problem (the recording, or its sidecar beside it), then run: "
        f"chorus retry {target}{where}, or move {target.name} and its sidecar back into the inbox.\n",
        encoding="utf-8")
    return target


def _copy_aside(source: Path, folder: Path) -> Path:
    """Copy a recording named on the command line (and its sidecar) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    side = find_sidecar(source)
    is_file = source.is_file()
    stem, suffix = (source.stem, source.suffix) if is_file else (source.name, "")
    target, n = folder / source.name, 1
    while target.exists():
        target, n = folder / f"{stem}.{n}{suffix}", n + 1
    (shutil.copy2 if is_file else shutil.copytree)(source, target)
    if side is not None and side.parent != source:
        shutil.copy2(side, folder / f"{target.stem if is_file else target.name}{side.suffix}")
    return target


def fail(ctx: Context, claim_: Claim | None, source: Path, reason: str) -> Path | None:
    """Record a failure (catalog + quarantine); returns where the pipeline's copy now is. A worker drops
    its copy of a staged recording instead: the organisers' machine quarantines the original (``chorus up``)."""
    if claim_ is not None and staging.is_staged_copy(claim_.source):
        drop_copy(ctx, claim_)
        moved = None
    else:
        moved = quarantine(ctx.settings, claim_.source if claim_ else source, reason,
                           original=claim_.original if claim_ else None)
    if claim_ is not None and not claim_.duplicate:
        ctx.catalog.set_status(claim_.episode_id, "failed", detail=reason,
                               source_path=str(moved) if moved else None)
    return moved


def park(ctx: Context, claim_: Claim | None, reason: str, status: str = "waiting") -> None:
    """The store is unreachable (``waiting``: ``chorus up`` runs it again) or refused us (``failed``: fix
    the settings, then ``chorus retry``): the recording is fine, so it stays claimed, never quarantined,
    and every finished step is reused."""
    if claim_ is not None and not claim_.duplicate:
        kept = {"error": reason} if status == "held" else {}  # `chorus status` says why it is held
        ctx.catalog.set_status(claim_.episode_id, status, detail=reason, **kept)


def hold(ctx: Context, claim_: Claim, unsure: transcripts.LanguageUnsure) -> str:
    """Detection could not tell which of the show's languages the episode is in: park it ``held`` (kept
    claimed, nothing published, mastering reused) and return the one line that asks a person for its language."""
    side = find_sidecar(claim_.source) or claim_.source.parent / (
        f"{claim_.source.name if claim_.source.is_dir() else claim_.source.stem}.yaml")
    asks = " or ".join(f"`language: {x}`" for x in unsure.probabilities)
    reason = (f"held: {unsure.reason}; say which in its sidecar ({asks} in {side}) and run "
              f"`chorus retry {claim_.episode_id}`")
    park(ctx, claim_, reason, status="held")
    return reason
