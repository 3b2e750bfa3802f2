"""The drop folder: what is waiting, when it is ready, and claiming it into the data directory.

An item is one recording: a media file, or a folder of per-speaker tracks (a multitrack episode), at
the top of the inbox or inside a sub-folder named after a show. It is ready once it (and its sidecar)
kept its size and mtime for ``stable_seconds`` and it is complete: no local process holds it open for
writing and its container holds as much as its header declares. An incomplete item waits; after
``max_wait_seconds`` without a change it is handed over anyway, with the reason, to be quarantined.
Events come from ``watchfiles`` (inotify); a full scan runs at start, on every wake-up and at least
every ``poll_seconds``, for what events miss (network mounts, files present before the start).
See docs/watching.md.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chorus.completeness import open_for_writing, shortfall
from chorus.errors import ChorusError
from chorus.sidecar import SidecarError, find_sidecar
from chorus.storage import sha256_file
from media.probe import AUDIO_EXTS

import watchfiles

__all__ = ["WatchOptions", "Item", "InboxWatcher", "Claimed", "claim_item", "sha256_path", "is_ignored"]

_log = logging.getLogger(__name__)

_PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".opdownload", ".filepart", ".tmp",
                     ".temp", ".!ut", ".!qb", ".aria2")
"""Firefox, Edge, Chrome, Safari, Opera, WinSCP, Syncthing/Office/Drive, uTorrent, qBittorrent, aria2."""
_PARTIAL_PREFIXES = (".", "~$", "~syncthing~", ".sb-")
"""Hidden files (rsync, Syncthing's ``.syncthing.*.tmp``, macOS ``.sb-*`` safe-saves), Office lock files."""
_QUIET = {".DS_Store", "Thumbs.db", "desktop.ini"}  # hidden files a file manager leaves; not a copy in progress
_DUPLICATES = "duplicates"
_TICK_MS = 100  # the longest a blocked wait goes without looking at the clock
_DEBOUNCE_MS = 400  # events that keep coming are grouped this long


@dataclass(frozen=True)
class WatchOptions:
    """How long an item must keep still, how long an incomplete one is waited for, how often to rescan."""

    stable_seconds: float = 15.0
    max_wait_seconds: float = 600.0
    poll_seconds: float = 5.0


@dataclass(frozen=True)
class Item:
    """One recording in the inbox. ``complete`` False with a ``reason``: still waiting (``pending``) or,
    from ``ready``, handed over after ``max_wait_seconds`` to be quarantined."""

    path: Path
    show: str | None
    sidecar: Path | None
    complete: bool
    reason: str | None


@dataclass(frozen=True)
class Claimed:
    """Where a claimed recording now is: ``<claimed_root>/<sha256>/<original name>``."""

    path: Path
    sidecar: Path | None
    sha256: str
    duplicate: bool


@dataclass
class _Track:
    show: str | None
    sidecar: Path | None
    sig: tuple
    since: float
    offered: tuple | None = None
    reason: str = ""
    checked: dict = field(default_factory=dict)  # signature of one file -> why it is incomplete ("" when whole)


def is_ignored(name: str) -> bool:
    """True for hidden, temporary and partial-download names, which are never recordings.

    >>> [is_ignored(n) for n in ("a.wav", ".a.wav", "a.wav.part", "~$notes.docx", "A.WAV.CRDOWNLOAD", "a.wav~")]
    [False, True, True, True, True, True]
    """
    low = name.lower()
    return low.startswith(_PARTIAL_PREFIXES) or low.endswith(_PARTIAL_SUFFIXES) or low.endswith("~")


def _is_media(p: Path) -> bool:
    return p.suffix.lower() in AUDIO_EXTS and not is_ignored(p.name)


def _scan(inbox: Path, shows: frozenset[str], show: str | None = None) -> dict[Path, str | None]:
    """Every item in ``inbox`` with its show: media files, folders with media, and show sub-folders' items."""
    found: dict[Path, str | None] = {}
    try:
        entries = sorted(inbox.iterdir())
    except OSError:
        return found
    for entry in entries:
        if is_ignored(entry.name):
            continue
        try:
            if entry.is_dir() and show is None and entry.name in shows:
                found |= _scan(entry, shows, entry.name)
            elif entry.is_dir() and any(p.is_file() and _is_media(p) for p in entry.iterdir()):
                found[entry] = show
            elif entry.is_file() and _is_media(entry):
                found[entry] = show
        except OSError:  # it vanished (or was claimed) while we looked
            continue
    return found


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _signature(path: Path, sidecar: Path | None) -> tuple | None:
    try:
        own = tuple((f.relative_to(path).as_posix() if path.is_dir() else "", st.st_size, st.st_mtime_ns, st.st_ino)
                    for f in _files(path) for st in [f.stat()])
        side = (sidecar.name, *(lambda st: (st.st_size, st.st_mtime_ns))(sidecar.stat())) if sidecar else None
    except OSError:
        return None
    return own, side


def _is_whole(path: Path, checked: dict) -> str:
    """Why an item is not whole yet ("" when it is); results per file signature are kept in ``checked``."""
    files = _files(path)
    if partial := next((f for f in files if is_ignored(f.name) and f.name not in _QUIET), None):
        return f"a track is still being copied ({partial.relative_to(path).as_posix()})"
    if held := open_for_writing(files):
        return "still open for writing by " + ", ".join(sorted(set(held.values())))
    for f in (f for f in files if f == path or _is_media(f)):
        st = f.stat()
        key = (f, st.st_size, st.st_mtime_ns)
        if key not in checked:
            checked[key] = shortfall(f)
        if checked[key]:
            return checked[key] if f == path else f"{f.name}: {checked[key]}"
    return ""


class InboxWatcher:
    """Watches ``inbox`` and hands over each item once, when it is ready (see the module docstring).

    ``clock`` gives the time used for stability and age (tests may pass their own).
    """

    def __init__(self, inbox: Path, shows: Iterable[str], options: WatchOptions | None = None, clock=time.time):
        for tool in ("ffmpeg", "ffprobe"):
            if shutil.which(tool) is None:
                raise ChorusError(f"{tool} is not installed; the inbox cannot check recordings without it", path=inbox)
        self.inbox, self.shows = Path(inbox), frozenset(shows)
        self.options, self._clock = options or WatchOptions(), clock
        self._tracks: dict[Path, _Track] = {}
        self._stop = threading.Event()
        self._scanned = float("-inf")
        self._events = None
        if self.inbox.is_dir():
            self._events = watchfiles.watch(self.inbox, watch_filter=None, debounce=_DEBOUNCE_MS, stop_event=self._stop,
                                            rust_timeout=_TICK_MS, yield_on_timeout=True, raise_interrupt=False,
                                            ignore_permission_denied=True)

    def ready(self, timeout: float) -> list[Item]:
        """Wait up to ``timeout`` seconds; return the items that became ready (each once), as soon as there are any."""
        end = time.monotonic() + timeout
        while True:
            self._rescan()
            items = [item for item, ready in self._evaluate() if ready]
            for item in items:
                self._tracks[item.path].offered = self._tracks[item.path].sig
            left = end - time.monotonic()
            if items or left <= 0 or self._stop.is_set():
                return items
            self._wait(min(left, self._next_due()))

    def pending(self) -> list[Item]:
        """What is still waiting, each with the reason (for a status command)."""
        self._rescan()
        return [item for item, ready in self._evaluate() if not ready]

    def close(self) -> None:
        """Stop watching (a blocked ``ready`` returns within a fraction of a second)."""
        self._stop.set()
        events, self._events = self._events, None
        if events is not None:
            try:
                events.close()
            except ValueError:  # ``ready`` is waiting in another thread: the stop event ends that wait
                pass

    def __enter__(self) -> InboxWatcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _rescan(self) -> None:
        now, found = self._clock(), _scan(self.inbox, self.shows)
        self._scanned = time.monotonic()
        for gone in set(self._tracks) - set(found):
            del self._tracks[gone]
        for path, show in found.items():
            try:
                sidecar, conflict = find_sidecar(path), ""
            except (SidecarError, OSError) as e:  # two sidecars: the organiser must keep one
                sidecar, conflict = None, str(e)
            sig = _signature(path, sidecar)
            track = self._tracks.get(path)
            if sig is None:
                self._tracks.pop(path, None)
            elif track is None or track.sig != (*sig, conflict) or track.show != show:
                checked = track.checked if track else {}
                self._tracks[path] = _Track(show, sidecar, (*sig, conflict), now, track.offered if track else None,
                                            checked=checked)

    def _evaluate(self) -> list[tuple[Item, bool]]:
        """Every item not yet handed over in its current state, with whether it is ready."""
        out = []
        now, o = self._clock(), self.options
        for path, t in sorted(self._tracks.items()):
            if t.offered == t.sig:
                continue
            still = now - t.since
            if still < o.stable_seconds:
                t.reason = f"still changing (unchanged for {still:.1f} of {o.stable_seconds:g} s)"
                out.append((Item(path, t.show, t.sidecar, False, t.reason), False))
                continue
            try:
                why = t.sig[-1] or _is_whole(path, t.checked)
            except (OSError, subprocess.SubprocessError) as e:
                why = f"cannot be read yet ({e})"
            if not why:
                out.append((Item(path, t.show, t.sidecar, True, None), True))
            elif still >= o.max_wait_seconds:
                reason = f"{why} (unchanged for {still:.0f} s)" if why.startswith("copy never completed") \
                    else f"not a whole recording after {still:.0f} s without a change: {why}"
                out.append((Item(path, t.show, t.sidecar, False, reason), True))
            else:
                t.reason = f"{why}; waiting up to {o.max_wait_seconds:g} s after its last change"
                out.append((Item(path, t.show, t.sidecar, False, t.reason), False))
        return out

    def _next_due(self) -> float:
        """Seconds until something may change without an event: a stability window ends, a rescan is due."""
        now, o = self._clock(), self.options
        due = [o.poll_seconds - (time.monotonic() - self._scanned)]
        for t in self._tracks.values():
            if t.offered != t.sig:
                due += [t.since + o.stable_seconds - now if now - t.since < o.stable_seconds
                        else min(o.poll_seconds, t.since + o.max_wait_seconds - now)]
        return max(0.05, min(due))

    def _wait(self, seconds: float) -> bool:
        """Block up to ``seconds``; True as soon as the filesystem reports a change."""
        end = time.monotonic() + seconds
        events = self._events
        if events is not None:
            try:
                while time.monotonic() < end and not self._stop.is_set():
                    if next(events):
                        return True
                return False
            except StopIteration:
                return False
            except (OSError, RuntimeError) as e:  # e.g. out of inotify watches: fall back to polling
                _log.warning("watching %s failed (%s); scanning every %g s instead", self.inbox, e,
                             self.options.poll_seconds)
                self._events = None
        self._stop.wait(max(0.0, end - time.monotonic()))
        return False


def sha256_path(path: Path) -> str:
    """SHA-256 of a file, or of a folder: each file's relative posix path, NUL, its SHA-256, in sorted order."""
    path = Path(path)
    if not path.is_dir():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in _files(path):
        h.update(f.relative_to(path).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


def claim_item(item: Item, claimed_root: Path) -> Claimed:
    """Move ``item`` (and its sidecar) into ``claimed_root/<sha256>/``, keeping their names.

    A rename where the data directory shares the inbox's filesystem; elsewhere a copy under a temporary
    name, flushed to disk and checked by size and hash before it takes its name and the source is removed.
    When that folder already holds the same recording, the new copy goes to its ``duplicates/`` folder
    (a user's file is never deleted) and the earlier one is returned with ``duplicate=True``.
    """
    src, claimed_root = Path(item.path), Path(claimed_root)
    before = _signature(src, None)
    digest = sha256_path(src)
    if before is None or _signature(src, None) != before:
        raise ChorusError("it changed while it was being hashed; it will be offered again once it is stable", path=src)
    home = claimed_root / digest
    sidecar = item.sidecar if item.sidecar and item.sidecar.is_file() else None
    inside = sidecar is not None and src.is_dir() and sidecar.parent == src
    earlier = _recording_in(home)
    if earlier is not None:
        target = _free_name(home / _DUPLICATES, src.name)
        _move(src, target, digest)
        if sidecar is not None and not inside:
            _move(sidecar, _free_name(target.parent, sidecar.name), sha256_file(sidecar))
        return Claimed(earlier, _claimed_sidecar(earlier), digest, True)
    target = home / src.name
    _move(src, target, digest)
    if inside:
        return Claimed(target, target / sidecar.name, digest, False)
    if sidecar is not None:
        side = _free_name(home, sidecar.name)
        _move(sidecar, side, sha256_file(sidecar))
        return Claimed(target, side, digest, False)
    return Claimed(target, None, digest, False)


def _recording_in(home: Path) -> Path | None:
    """The recording an earlier claim left in ``home`` (not its sidecar, duplicates or a half-done copy)."""
    if not home.is_dir():
        return None
    for p in sorted(home.iterdir()):
        if p.name == _DUPLICATES or p.name.startswith("."):
            continue
        if p.is_dir() or p.suffix.lower() in AUDIO_EXTS:
            return p
    return None


def _claimed_sidecar(recording: Path) -> Path | None:
    try:
        return find_sidecar(recording)
    except SidecarError:
        return None


def _free_name(folder: Path, name: str) -> Path:
    target, n = folder / name, 2
    while target.exists():
        stem, dot, suffix = name.partition(".")
        target, n = folder / f"{stem}-{n}{dot}{suffix}", n + 1
    return target


def _move(src: Path, target: Path, digest: str) -> None:
    """Rename ``src`` to ``target``; across filesystems copy, fsync, verify by size and hash, then remove ``src``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, target)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise ChorusError(f"cannot move it into {target.parent}: {e.strerror}", path=src) from e
        tmp = target.with_name(f".claiming-{target.name}")
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink(missing_ok=True)  # a copy a crash left behind
        shutil.copytree(src, tmp) if src.is_dir() else shutil.copyfile(src, tmp)
        for f in _files(tmp):
            with open(f, "rb+") as out:
                os.fsync(out.fileno())
        if sum(f.stat().st_size for f in _files(tmp)) != sum(f.stat().st_size for f in _files(src)) \
                or sha256_path(tmp) != digest:
            raise ChorusError(f"the copy in {target.parent} does not match; the original stays in place", path=src)
        os.rename(tmp, target)
        shutil.rmtree(src) if src.is_dir() else src.unlink()
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
