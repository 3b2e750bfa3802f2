"""The episode sidecar: what organisers write by hand, checked and normalised. See docs/notes.md."""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._render import safe_url
from ._types import Chapter, Link, NotesError, Person, Soundbite

_TS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def parse_time(value: Any, path: Path | None = None) -> float:
    """Seconds from ``"HH:MM:SS"``, ``"MM:SS"`` (optionally with fractions) or a number.

    >>> parse_time("00:01:30"), parse_time("1:02:03.5"), parse_time("4:05"), parse_time(75), parse_time("12.5")
    (90.0, 3723.5, 245.0, 75.0, 12.5)
    >>> parse_time("soon")
    Traceback (most recent call last):
    ...
    transcripts.notes._types.NotesError: chapter start 'soon' is not a time (use HH:MM:SS, MM:SS or seconds)
    """
    if isinstance(value, bool):
        raise NotesError(path, f"chapter start {value!r} is not a time (use HH:MM:SS, MM:SS or seconds)")
    if isinstance(value, (int, float)):
        if value < 0 or value != value:
            raise NotesError(path, f"chapter start {value!r} is negative")
        return float(value)
    s = str(value).strip()
    m = _TS.match(s)
    if m:
        h, mi, se = int(m.group(1) or 0), int(m.group(2)), float(m.group(3))
        if mi >= 60 and m.group(1) or se >= 60:
            raise NotesError(path, f"chapter start {value!r} has minutes or seconds of 60 or more")
        return h * 3600 + mi * 60 + se
    try:
        f = float(s)
    except ValueError:
        raise NotesError(path, f"chapter start {value!r} is not a time (use HH:MM:SS, MM:SS or seconds)") from None
    if f < 0 or f != f:
        raise NotesError(path, f"chapter start {value!r} is negative")
    return f


@dataclass
class Sidecar:
    """A checked sidecar; ``None``/empty means 'not given' (generate it)."""

    title: str = ""
    description: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    resources: list[Link] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)


def _str(d: dict, key: str, path: Path | None) -> str:
    v = d.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise NotesError(path, f"'{key}' must be text, not {type(v).__name__}")
    return v.strip()


def _person(v: Any, role: str, path: Path | None) -> Person:
    if isinstance(v, str) and v.strip():
        return Person(v.strip(), role)
    if isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"].strip():
        r = v.get("role", role)
        return Person(v["name"].strip(), str(r).strip() or role)
    raise NotesError(path, f"each {role} needs a name (text, or {{\"name\": ..., \"role\": ...}})")


def check(d: dict | None, duration: float | None = None, path: Path | str | None = None) -> Sidecar:
    """Validate and normalise a sidecar dict; raise :class:`NotesError` naming the first problem."""
    path = Path(path) if path else None
    if d is None:
        return Sidecar()
    if not isinstance(d, dict):
        raise NotesError(path, "the sidecar must be a table/object of settings")
    out = Sidecar(title=_str(d, "title", path), description=_str(d, "description", path))
    kws = d.get("keywords") or []
    if isinstance(kws, str):
        kws = [k for k in re.split(r"\s*,\s*", kws) if k]
    if not isinstance(kws, list) or not all(isinstance(k, str) for k in kws):
        raise NotesError(path, "'keywords' must be a list of words or a comma-separated string")
    out.keywords = [k.strip() for k in kws if k.strip()]
    for key, role in (("host", "host"), ("hosts", "host"), ("guests", "guest")):
        v = d.get(key)
        if v is None:
            continue
        for item in v if isinstance(v, list) else [v]:
            out.people.append(_person(item, role, path))
    res = d.get("resources") or []
    if not isinstance(res, list):
        raise NotesError(path, "'resources' must be a list of {title, url}")
    for r in res:
        if isinstance(r, str):
            r = {"url": r} if re.match(r"https?://", r) else {"title": r}
        if not isinstance(r, dict) or not (r.get("title") or r.get("url")):
            raise NotesError(path, "each resource needs a title or a url")
        url = str(r["url"]).strip() if r.get("url") else None
        if url and not safe_url(url):
            raise NotesError(path, f"resource url {url!r} must be a plain http:// or https:// address")
        out.resources.append(Link(str(r.get("title") or url).strip(), url, "sidecar"))
    bites = d.get("soundbites") or []
    if not isinstance(bites, list):
        raise NotesError(path, "'soundbites' must be a list of {start, duration, title}")
    for b in bites:
        if not isinstance(b, dict) or "start" not in b or "duration" not in b:
            raise NotesError(path, "each soundbite needs a start and a duration")
        start, length = parse_time(b["start"], path), float(b["duration"])
        if length <= 0 or (duration and start + length > duration + 0.5):
            raise NotesError(path, f"soundbite at {start:g} s ({length:g} s) is not inside the episode")
        out.soundbites.append(Soundbite(start, length, str(b.get("title") or "").strip()))
    chs = d.get("chapters") or []
    if not isinstance(chs, list):
        raise NotesError(path, "'chapters' must be a list of {start, title}")
    starts: list[tuple[float, str, str | None]] = []
    for c in chs:
        if not isinstance(c, dict) or "start" not in c or not str(c.get("title") or "").strip():
            raise NotesError(path, "each chapter needs a start and a title")
        t = parse_time(c["start"], path)
        if duration and t >= duration:
            raise NotesError(path, f"chapter {c['title']!r} starts at {t:g} s, after the end of the episode")
        url = str(c["url"]).strip() if c.get("url") else None
        if url and not safe_url(url):
            raise NotesError(path, f"chapter url {url!r} must be a plain http:// or https:// address")
        starts.append((t, str(c["title"]).strip(), url))
    starts.sort(key=lambda x: x[0])
    for k, (t, title, url) in enumerate(starts):
        if k and t == starts[k - 1][0]:
            raise NotesError(path, f"two chapters start at {t:g} s")
        end = starts[k + 1][0] if k + 1 < len(starts) else (duration or t)
        out.chapters.append(Chapter(t, end, title, url))
    return out


def load_sidecar(path: Path | str) -> dict:
    """Read an episode sidecar (``.json`` or ``.toml``) into a dict; :class:`NotesError` when unreadable."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise NotesError(p, f"cannot read the sidecar ({e.strerror or e})") from None
    try:
        if p.suffix.lower() == ".toml":
            d = tomllib.loads(raw.decode("utf-8"))
        else:
            d = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotesError(p, "the sidecar is not UTF-8 text") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise NotesError(p, f"the sidecar is not valid {p.suffix.lstrip('.').upper() or 'JSON'}: {e}") from None
    if not isinstance(d, dict):
        raise NotesError(p, "the sidecar must be a table/object of settings")
    check(d, path=p)
    return d
