"""The organiser's episode sidecar: one pydantic model, read from YAML, TOML or JSON, checked at claim time.

``talk.mp3`` takes ``talk.yaml`` (or ``.yml``, ``.toml``, ``.json``) beside it; a multitrack folder
``zoom/`` takes ``zoom.yaml`` beside the folder, else ``episode.yaml`` inside it. Every field is
optional. An unknown key, a wrong type or a malformed file is a :class:`SidecarError` of one line that
names the file, the field and what is wrong. The fields are documented in docs/configuration.md.

>>> s = Sidecar.model_validate({"host": ["Ann Lee", "Bo Chen"], "guests": [{"name": "Cy", "role": "co-host"}]})
>>> s.people
[('Ann Lee', 'host'), ('Bo Chen', 'host'), ('Cy', 'co-host')]
"""
from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      field_validator, model_validator)

from chorus.settings import validate_http_url, validate_language, validate_slug
from chorus.validation import describe_validation_error
from transcripts.notes import parse_time

__all__ = ["SIDECAR_SUFFIXES", "Sidecar", "SidecarPerson", "SidecarChapter", "SidecarResource", "SidecarSoundbite", "SidecarError",
           "find_sidecar", "load_sidecar"]

SIDECAR_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
_ROLE = re.compile(r"^[A-Za-z][A-Za-z -]{0,39}$")
_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
_Url = Annotated[str, AfterValidator(lambda v: validate_http_url(v, ""))]
_Start = Annotated[float, BeforeValidator(parse_time)]
"""A time from the start of the episode: ``HH:MM:SS``, ``MM:SS`` or seconds."""
"""A plain http(s) address (no quotes, spaces or angle brackets): the only kind that becomes a link."""


class SidecarError(ValueError):
    """A sidecar that cannot be used. ``str(e)`` is one line: ``talk.yaml: guests.0.name: field required``."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{_display(self.path)}: {self.reason}")


def _display(path: Path) -> str:
    """The file's name, with its folder when the name alone says nothing (``zoom/episode.yaml``)."""
    return f"{path.parent.name}/{path.name}" if path.stem == "episode" and path.parent.name else path.name


def _words(value: Any) -> Any:
    """A comma-separated string as a list; anything else unchanged (pydantic checks it).

    >>> _words("peer support, fees,, supervision ")
    ['peer support', 'fees', 'supervision']
    """
    return [w.strip() for w in value.split(",") if w.strip()] if isinstance(value, str) else value


def _people(value: Any) -> Any:
    """One person or a list of them, each a name or a table, as a list of tables (never a list's repr).

    >>> _people("Ann Lee"), _people(["Ann Lee", {"name": "Bo"}])
    ([{'name': 'Ann Lee'}], [{'name': 'Ann Lee'}, {'name': 'Bo'}])
    """
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [{"name": v} if isinstance(v, str) else v for v in items]


class SidecarPerson(BaseModel):
    """A host or a guest; ``role`` is a Podcasting 2.0 person role (``host``, ``co-host``, ``guest``...)."""

    model_config = _STRICT
    name: str = Field(min_length=1, description="The person's name as listeners should read it.")
    role: str | None = Field(None, description="Role; None: host for hosts, guest for guests.")
    href: _Url | None = Field(None, description="A page about the person (http or https).")

    @field_validator("role")
    @classmethod
    def _plain_role(cls, v: str | None) -> str | None:
        if v is not None and not _ROLE.match(v):
            raise ValueError(f"role {v!r} may hold only letters, spaces and dashes (such as host, co-host, guest)")
        return v


class SidecarChapter(BaseModel):
    """A chapter the organiser set: ``start`` as ``HH:MM:SS``, ``MM:SS`` or seconds."""

    model_config = _STRICT
    start: _Start = Field(description="Seconds from the start of the episode.")
    title: str = Field(min_length=1)
    url: _Url | None = None


class SidecarSoundbite(BaseModel):
    """An excerpt for sharing (``podcast:soundbite``): ``start`` as a time, ``duration`` in seconds."""

    model_config = _STRICT
    start: _Start = Field(description="Seconds from the start of the episode.")
    duration: float = Field(gt=0, le=300, description="Seconds (Podcasting 2.0 suggests 15 to 120).")
    title: str | None = None


class SidecarResource(BaseModel):
    """A link or a book: a bare URL, a bare title, or ``{title, url}`` with at least one of them."""

    model_config = _STRICT
    title: str | None = None
    url: _Url | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"url": v} if re.match(r"https?://", v.strip(), re.IGNORECASE) else {"title": v}
        return v

    @model_validator(mode="after")
    def _something(self) -> "SidecarResource":
        if not (self.title or self.url):
            raise ValueError("a resource needs a title or a url")
        return self


class Sidecar(BaseModel):
    """What an organiser wrote about one episode; whatever is given wins over what Chorus generates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    show: str | None = Field(None, description="Slug of the show the episode belongs to; None: the inbox's or the default show.")
    title: str = Field("", description="Episode title; empty: from the file name.")
    description: str = Field("", description="Replaces the generated summary at the top of the notes.")
    season: int | None = Field(None, ge=1, description="Season number.")
    episode: int | None = Field(None, ge=0, validation_alias=AliasChoices("episode", "number"),
                                description="Episode number (the old key `number` works too); None: the next one.")
    host: list[SidecarPerson] = Field(default_factory=list, exclude=True, description="One host or a list; joins `hosts`.")
    hosts: list[SidecarPerson] = Field(default_factory=list, description="Hosts: names or {name, role, href}.")
    guests: list[SidecarPerson] = Field(default_factory=list, description="Guests: names or {name, role, href}.")
    language: str | None = Field(None, description="BCP 47 language of the episode, or \"auto\"; None: the show's.")
    explicit: bool | None = Field(None, description="Explicit content; None: the show's setting.")
    keywords: list[str] = Field(default_factory=list, description="Replaces generated keywords (list or comma-separated).")
    chapters: list[SidecarChapter] = Field(default_factory=list, description="Replaces generated chapters.")
    glossary: list[str] = Field(default_factory=list, description="Names and terms to spell right, on top of the show's.")
    resources: list[SidecarResource] = Field(default_factory=list, description="Links and books listed in the notes.")
    soundbites: list[SidecarSoundbite] = Field(default_factory=list, description="Excerpts for sharing (podcast:soundbite).")
    publish_at: datetime | None = Field(None, description="When the episode appears in the feed (ISO 8601 with a zone).")

    @field_validator("host", "hosts", "guests", mode="before")
    @classmethod
    def _as_people(cls, v: Any) -> Any:
        return _people(v)

    @field_validator("keywords", "glossary", mode="before")
    @classmethod
    def _as_words(cls, v: Any) -> Any:
        return _words(v)

    @field_validator("show")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        return None if v is None else validate_slug(v, "")

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        return v if v in (None, "auto") else validate_language(v, "")

    @field_validator("keywords", "glossary")
    @classmethod
    def _no_blanks(cls, v: list[str]) -> list[str]:
        return [w for w in v if w]

    @field_validator("chapters")
    @classmethod
    def _distinct_starts(cls, chapters: list[SidecarChapter]) -> list[SidecarChapter]:
        starts = [c.start for c in chapters]
        twice = sorted({s for s in starts if starts.count(s) > 1})
        if twice:
            raise ValueError(f"two chapters start at {twice[0]:g} s")
        return chapters

    @field_validator("publish_at", mode="before")
    @classmethod
    def _moment(cls, v: Any) -> Any:
        hint = "use ISO 8601 with a time zone, such as 2026-05-01T09:00:00+01:00 or 2026-05-01T08:00:00Z"
        if isinstance(v, str):
            try:
                v = datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"not a date and time ({hint})") from None
        if not isinstance(v, datetime):
            kind = "a date without a time" if isinstance(v, date) else "not a date and time"
            raise ValueError(f"{kind} ({hint})")
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{v.isoformat()} has no time zone ({hint})")
        return v

    @model_validator(mode="after")
    def _defaults(self) -> "Sidecar":
        self.hosts, self.host = [*self.host, *self.hosts], []
        for people, role in ((self.hosts, "host"), (self.guests, "guest")):
            for p in people:
                p.role = p.role or role
        return self

    @property
    def people(self) -> list[tuple[str, str]]:
        """``(name, role)`` of every host, then every guest."""
        return [(p.name, p.role or "") for p in (*self.hosts, *self.guests)]

    def to_notes_dict(self) -> dict[str, Any]:
        """The plain dict that ``transcripts.notes`` (``make_notes``' sidecar) understands; empty fields left out."""
        d: dict[str, Any] = {k: v for k, v in (("title", self.title), ("description", self.description),
                                               ("keywords", list(self.keywords))) if v}
        for key, people in (("hosts", self.hosts), ("guests", self.guests)):
            if people:
                d[key] = [{"name": p.name, "role": p.role} for p in people]
        if self.chapters:
            d["chapters"] = [{"start": c.start, "title": c.title, **({"url": c.url} if c.url else {})}
                             for c in self.chapters]
        if self.soundbites:
            d["soundbites"] = [{"start": b.start, "duration": b.duration, "title": b.title or ""}
                               for b in self.soundbites]
        if self.resources:
            d["resources"] = [{k: v for k, v in (("title", r.title), ("url", r.url)) if v} for r in self.resources]
        return d


def find_sidecar(recording: Path) -> Path | None:
    """The sidecar of a recording, or None.

    For a file ``talk.mp3``: ``talk.yaml|yml|toml|json`` beside it. For a multitrack folder ``zoom/``:
    ``zoom.yaml`` (etc.) beside the folder, else ``episode.yaml`` (etc.) inside it. Suffixes match in
    any case. Two sidecars for one recording are a :class:`SidecarError` (one would be ignored).
    """
    recording = Path(recording)
    if recording.is_dir():
        places = [(recording.parent, recording.name), (recording, "episode")]
    elif recording.suffix.lower() in SIDECAR_SUFFIXES:
        return None
    else:
        places = [(recording.parent, recording.stem)]
    for folder, stem in places:
        try:
            found = sorted(p for p in folder.iterdir()
                           if p.stem == stem and p.suffix.lower() in SIDECAR_SUFFIXES and p.is_file())
        except OSError:
            continue
        if len(found) > 1:
            raise SidecarError(found[0], f"{len(found)} sidecars for one recording "
                                         f"({', '.join(p.name for p in found)}): keep one")
        if found:
            return found[0]
    return None


def load_sidecar(path: Path) -> Sidecar:
    """Read and check a sidecar (YAML with ``yaml.safe_load``, TOML or JSON, by suffix); :class:`SidecarError` if bad."""
    path = Path(path)
    data = _read(path)
    try:
        return Sidecar.model_validate(data)
    except ValidationError as e:
        raise SidecarError(path, describe_validation_error(e, Sidecar, noun="field")[1]) from None


def _read(path: Path) -> dict[str, Any]:
    suffix = path.suffix.lower()
    if suffix not in SIDECAR_SUFFIXES:
        raise SidecarError(path, f"a sidecar ends in {', '.join(SIDECAR_SUFFIXES)}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise SidecarError(path, f"cannot read the sidecar ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise SidecarError(path, "the sidecar is not UTF-8 text") from None
    try:
        if suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
            data = {} if data is None else data
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SidecarError(path, f"not valid YAML: {getattr(e, 'problem', None) or e}{where}") from None
    except tomllib.TOMLDecodeError as e:
        raise SidecarError(path, f"not valid TOML: {e}") from None
    except json.JSONDecodeError as e:
        raise SidecarError(path, f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    if not isinstance(data, dict):
        raise SidecarError(path, f"the sidecar must be a table of fields (key: value), not {type(data).__name__}")
    return data
