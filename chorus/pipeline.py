"""The steps of publishing one recording, as plain functions (the Prefect flow wraps each in a task).

Side effects live in named steps: ``claim`` and ``finish`` write the catalog, ``publish_objects``
and ``rebuild_show`` write the bucket, ``archive`` and ``quarantine`` move the source. Nothing
here deletes or overwrites a user's recording: sources are moved, never removed, and a name clash
in archive/ or failed/ gets a numbered name.
"""
from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision, utcnow
from chorus.errors import ChorusError
from chorus.settings import Settings, ShowSettings, slugify
from chorus.storage import IMMUTABLE, Bucket, StoredObject, sha256_file

T = TypeVar("T")

__all__ = [
    "Claim", "claim", "cached_step", "step_key", "read_sidecar", "episode_title", "master_options", "transcribe_options",
    "render_files", "publish_objects", "rebuild_show", "finish", "fail", "archive", "quarantine",
    "one_line",
]

_SIDECAR_SUFFIXES = (".json", ".toml")
_DONE = ("published", "unpublished", "in_review", "approved")
"""Statuses after which the same bytes offered again are a duplicate; any other status resumes."""


def one_line(exc: BaseException | str) -> str:
    """A single human line for an error (what went wrong), never a traceback.

    >>> one_line(ValueError("bad\\n  input"))
    'bad input'
    """
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


@dataclass
class Claim:
    """A recording taken into the catalog (or recognised as already published)."""

    source: Path
    sha256: str
    show: str
    episode_id: int
    duplicate: bool = False
    sidecar: dict[str, Any] = field(default_factory=dict)


def read_sidecar(source: Path) -> dict[str, Any]:
    """The organiser's episode metadata next to the recording (``talk.mp3`` + ``talk.json``/``talk.toml``).

    A malformed sidecar is an error (organisers must know their title was ignored).
    """
    for suffix in _SIDECAR_SUFFIXES:
        side = source.with_suffix(suffix) if source.suffix.lower() not in _SIDECAR_SUFFIXES else None
        if side is None or not side.is_file():
            continue
        try:
            if suffix == ".json":
                data = json.loads(side.read_text(encoding="utf-8"))
            else:
                data = tomllib.loads(side.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ChorusError(f"episode sidecar is not valid {suffix[1:].upper()}: {one_line(e)}", path=side) from e
        if not isinstance(data, dict):
            raise ChorusError("episode sidecar must be an object/table of fields", path=side)
        return data
    return {}


def episode_title(source: Path, sidecar: dict[str, Any]) -> str:
    """The sidecar's title, else one made from the file name.

    >>> episode_title(Path("2026-03-supervision_in_first_year.mp3"), {})
    '2026 03 Supervision In First Year'
    """
    title = str(sidecar.get("title") or "").strip()
    if title:
        return title
    stem = source.name if source.is_dir() else source.stem
    return " ".join(w.capitalize() if w.islower() else w for w in stem.replace("_", " ").replace("-", " ").split())


def claim(settings: Settings, catalog: Catalog, source: Path, show: str | None = None) -> Claim:
    """Hash the source, refuse exact duplicates, and create (or resume) its episode row."""
    source = Path(source).resolve()
    if not source.exists():
        raise ChorusError("file does not exist", path=source)
    show_slug, _ = settings.get_show(show)
    digest = sha256_file(source) if source.is_file() else _sha256_folder(source)
    sidecar = read_sidecar(source) if source.is_file() else {}
    with catalog.session() as s:
        existing = catalog.find_by_sha(s, digest)
        if existing is not None and existing.status in _DONE:
            return Claim(source, digest, existing.show.slug, existing.id, duplicate=True, sidecar=sidecar)
        show_row = catalog.show(s, show_slug)
        title = episode_title(source, sidecar)
        if existing is not None:  # an earlier attempt that failed or crashed midway: resume that episode
            ep = existing
            ep.source_path, ep.title = str(source), title
        else:
            number = int(sidecar["number"]) if str(sidecar.get("number", "")).isdigit() else None
            ep = Episode(show_id=show_row.id, title=title, source_name=source.name, source_sha256=digest,
                         source_path=str(source), number=number or catalog.next_number(s, show_row.id),
                         slug=_unique_slug(s, show_row.id, title))
            s.add(ep)
        s.flush()
        episode_id = ep.id
    catalog.set_status(episode_id, "claimed")
    return Claim(source, digest, show_slug, episode_id, sidecar=sidecar)


def _sha256_folder(folder: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


def _unique_slug(s, show_id: int, title: str) -> str:
    from sqlalchemy import select

    base = slugify(title)
    taken = set(s.scalars(select(Episode.slug).where(Episode.show_id == show_id, Episode.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def cached_step(work: Path, step: str, key: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` once per ``key``: its result is kept in ``work/.steps/<step>.pickle``.

    A rerun after a crash (same input bytes, same options) reuses the result instead of mastering
    or transcribing again, as long as every file the result names still exists.
    """
    store = work / ".steps" / f"{step}.pickle"
    if store.is_file():
        try:
            saved_key, result = pickle.loads(store.read_bytes())
        except Exception:  # unreadable (older version, partial write): recompute
            saved_key, result = None, None
        if saved_key == key and all(p.exists() for p in _paths_in(result)):
            return result
    result = fn()
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps((key, result)))
    tmp.replace(store)  # atomic: a crash never leaves a half-written cache entry
    return result


def _paths_in(obj: Any) -> list[Path]:
    if isinstance(obj, Path):
        return [obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [p for f in dataclasses.fields(obj) for p in _paths_in(getattr(obj, f.name))]
    return []


def master_step(work: Path, source: Path, options, key: str):
    """``media.master`` of ``source`` into ``work/master``, cached under ``key`` (see :func:`cached_step`)."""
    from media import master

    return cached_step(work, "master", key, lambda: master(source, work / "master", options))


def step_key(*parts: Any) -> str:
    """A cache key from the input hash and the options that shape a step's result.

    >>> step_key("abc", {"a": 1}) == step_key("abc", {"a": 1}) != step_key("abc", {"a": 2})
    True
    """
    import hashlib

    return hashlib.sha256(repr(parts).encode()).hexdigest()


def master_options(show: ShowSettings):
    """The show's settings as ``media.MasterOptions``."""
    from media import MasterOptions

    return MasterOptions(target_lufs=show.loudness_lufs, channels=show.channels, bitrate_kbps=show.bitrate_kbps)


def transcribe_options(show: ShowSettings, sidecar: dict[str, Any]):
    """The show's (and the episode's) settings as ``transcripts.TranscribeOptions``."""
    from transcripts import TranscribeOptions

    people = [p.get("name") if isinstance(p, dict) else str(p)
              for p in ([sidecar["host"]] if sidecar.get("host") else []) + list(sidecar.get("guests") or [])]
    # People's names are speaker labels, not hotwords: with tiny.en, long hotword lists make
    # faster-whisper skip speech (measured: WER 0.10 -> 0.39 on the panel clip with two names).
    glossary = list(dict.fromkeys([*show.glossary, *(sidecar.get("glossary") or [])]))
    # an episode's sidecar may name its own language, or "auto" to let a multilingual model detect it
    language = sidecar.get("language") or show.language
    return TranscribeOptions(model=show.whisper_model, language=None if language == "auto" else language,
                             glossary=glossary, speakers=[p for p in people if p])


def render_files(work: Path, episode: Episode, mastered, transcript, notes, show: ShowSettings) -> dict[str, Path]:
    """Every per-episode file to publish, by kind: mp3 (tagged), vtt, srt, json, txt, html, chapters."""
    from media import Id3Tags, write_id3
    from transcripts import write_formats
    from transcripts.notes import chapters_json

    out = work / "publish"
    out.mkdir(parents=True, exist_ok=True)
    files = dict(write_formats(transcript, out, "transcript", title=episode.title))
    mp3 = out / "episode.mp3"
    shutil.copyfile(mastered.mp3, mp3)
    artwork = show.artwork if show.artwork and Path(show.artwork).is_file() else _default_artwork()
    write_id3(mp3, Id3Tags(title=episode.title, show=show.title, author=show.author,
                           date=utcnow().date().isoformat(), episode=episode.number, cover=artwork),
              notes.chapters)
    files["mp3"] = mp3
    if notes.chapters:
        chapters = out / "chapters.json"
        chapters.write_text(json.dumps(chapters_json(notes.chapters, title=episode.title), indent=1), encoding="utf-8")
        files["chapters"] = chapters
    if getattr(mastered, "video", None):
        files["mp4"] = Path(mastered.video)
    if getattr(mastered, "poster", None):
        files["poster"] = Path(mastered.poster)
    return files


def _default_artwork() -> Path:
    return Path(__file__).parent / "assets" / "artwork.jpg"


_CTYPE_OVERRIDES = {"chapters": "application/json+chapters"}


def publish_objects(bucket: Bucket, settings: Settings, show: str, episode_slug: str,
                    files: dict[str, Path]) -> dict[str, StoredObject]:
    """Upload media and transcripts under immutable content-addressed keys (skipping unchanged ones).

    Raises ``ChorusError`` (one line) when a file cannot be read or the store refuses it; the live
    feed is untouched because it is only rebuilt afterwards.
    """
    base = f"{settings.show_prefix(show)}/{episode_slug}"
    stored = {}
    for kind, path in files.items():
        try:
            digest = sha256_file(path)
        except OSError as e:
            raise ChorusError(f"cannot read the file to upload ({e.strerror or e}); nothing new was published, "
                              "the live feed is unchanged", path=path) from e
        key = f"{base}/{digest[:16]}{path.suffix.lower()}"
        stored[kind] = bucket.put_file(key, path, cache_control=IMMUTABLE, ctype=_CTYPE_OVERRIDES.get(kind))
    bucket.wait_visible(list(stored.values()))
    return stored


def rebuild_show(bucket: Bucket, settings: Settings, catalog: Catalog, show: str) -> StoredObject:
    """Regenerate and upload the show's pages, then its feed LAST (after every referenced object answers).

    The feed goes up with a conditional write on the live feed's ETag; when a concurrent publisher
    wins, the show is rebuilt from the catalog and written again (``chorus.publishing.publish_show``).
    An invalid feed, an invisible object or a failed upload leaves the previous feed live.
    """
    from chorus.publishing import publish_show

    return publish_show(bucket, settings, catalog, show).feed


def finish(catalog: Catalog, episode_id: int, mastered, stored: dict[str, StoredObject],
           transcript, notes) -> None:
    """Record the published episode: revisions (append-only) and its objects, in the catalog."""
    catalog.add_revision(TranscriptRevision, episode_id, transcript.to_dict())
    catalog.add_revision(NotesRevision, episode_id, notes.to_dict())
    media_info = {k: v for k, v in vars(mastered).items() if isinstance(v, (int, float, str, bool)) or v is None}
    # the source spans mastering kept: maps a time in the original recording onto the published audio
    media_info["kept"] = [[round(a, 3), round(b, 3)] for a, b in (mastered.kept or [])]
    catalog.set_status(
        episode_id, "published", duration=mastered.duration, published_at=utcnow(), media=media_info,
        objects=object_records(stored))


def object_records(stored: dict[str, StoredObject]) -> dict[str, dict[str, Any]]:
    """Published objects as the catalog keeps them (``Episode.objects``)."""
    return {k: {"key": o.key, "url": o.url, "length": o.length, "type": o.type, "sha256": o.sha256}
            for k, o in stored.items()}


def _move_aside(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    is_file = source.is_file()
    stem, suffix = (source.stem, source.suffix) if is_file else (source.name, "")
    target, n = folder / source.name, 1
    while target.exists() or any(target.with_suffix(s).exists() for s in _SIDECAR_SUFFIXES if is_file):
        target, n = folder / f"{stem}.{n}{suffix}", n + 1
    shutil.move(str(source), str(target))
    if is_file and suffix.lower() not in _SIDECAR_SUFFIXES:
        for side_suffix in _SIDECAR_SUFFIXES:  # the organiser's sidecar travels with its recording
            side = source.with_suffix(side_suffix)
            if side.is_file():
                shutil.move(str(side), str(target.with_suffix(side_suffix)))
    return target


def archive(settings: Settings, source: Path) -> Path:
    """Move a successfully published original to ``<data>/archive/`` (kept, never deleted)."""
    return _move_aside(Path(source), settings.path("archive"))


def quarantine(settings: Settings, source: Path, reason: str) -> Path | None:
    """Move a failed input to ``<data>/failed/`` beside ``<name>.error.txt`` saying why and how to retry."""
    source = Path(source)
    if not source.exists():
        return None
    target = _move_aside(source, settings.path("failed"))
    note = target.parent / f"{target.name}.error.txt"
    note.write_text(f"{reason}\n\nTo retry: fix the problem, then move {target.name} back into the inbox "
                    f"(or run: chorus run {target}).\n", encoding="utf-8")
    return target


def fail(settings: Settings, catalog: Catalog, claim_: Claim | None, source: Path, reason: str) -> Path | None:
    """Record a failure (catalog + quarantine); returns where the source now is."""
    moved = quarantine(settings, source, reason)
    if claim_ is not None and not claim_.duplicate:
        catalog.set_status(claim_.episode_id, "failed", detail=reason,
                           source_path=str(moved) if moved else None)
    return moved
