"""Every setting, declared once: ``chorus.toml`` plus ``CHORUS_`` environment variables.

Precedence, highest first: environment variables (``CHORUS_PUBLISH__BUCKET``; ``__`` nests), the
TOML file (``--config FILE``, else ``./chorus.toml`` when present), then the defaults here.
Every model forbids unknown keys: a misspelt setting is a :class:`SettingsError` that names the file
(or the environment variable), the dotted key and a suggestion. ``chorus.example.toml`` and
``docs/configuration.md`` document every field; ``tests/chorus/test_settings.py`` fails when one is missing.
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chorus.errors import ChorusError
from chorus.validation import closest_key, describe_validation_error

__all__ = [
    "Settings", "ShowSettings", "FundingSettings", "PublishSettings", "InboxSettings", "ProcessingSettings",
    "EmbeddedSettings", "EditorSettings", "SettingsError", "load_settings", "slugify", "validate_slug", "validate_language",
    "validate_http_url",
]

DEFAULT_SHOW = "community-podcast"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
_HTTP_URL = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)
_STRICT = ConfigDict(extra="forbid")


class SettingsError(ChorusError, ValueError):
    """Bad configuration: ``str(e)`` is one line, ``<file or CHORUS_VAR>: <dotted.key>: <what is wrong>``."""


def slugify(text: str) -> str:
    """An ASCII slug for keys and URLs.

    >>> slugify("Ça va? Thérapie & Co — Épisode 3")
    'ca-va-therapie-co-episode-3'
    >>> slugify("###")
    'episode'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or "episode"


def validate_slug(text: Any, what: str = "slug") -> str:
    """``text`` when it is a slug (lowercase ASCII letters, digits, single dashes; at most 80), else a one-line error.

    Call it wherever a show or episode name enters: settings, ``--show``, sidecars, inbox sub-folders.

    >>> validate_slug("trainees", "show")
    'trainees'
    >>> validate_slug("../../etc", "show")
    Traceback (most recent call last):
    ...
    chorus.settings.SettingsError: show '../../etc' must be a slug: lowercase ASCII letters, digits and single dashes, such as 'etc'
    """
    if isinstance(text, str) and len(text) <= 80 and _SLUG.match(text):
        return text
    raise SettingsError(f"{what} {text!r} must be a slug: lowercase ASCII letters, digits and single dashes, "
                        f"such as {slugify(str(text))!r}".lstrip())


def validate_language(text: Any, what: str = "language") -> str:
    """``text`` when it looks like a BCP 47 tag (``en``, ``pt-BR``, ``zh-Hant-TW``), else a one-line error.

    >>> validate_language("pt-BR")
    'pt-BR'
    >>> validate_language("English")
    Traceback (most recent call last):
    ...
    chorus.settings.SettingsError: language 'English' is not a BCP 47 tag such as en, de or pt-BR
    """
    if isinstance(text, str) and _BCP47.match(text):
        return text
    raise SettingsError(f"{what} {text!r} is not a BCP 47 tag such as en, de or pt-BR".lstrip())


def validate_http_url(text: Any, what: str = "url") -> str:
    """``text`` when it is a plain ``http(s)://`` address with no quotes, spaces or angle brackets.

    >>> validate_http_url("javascript:alert(1)")
    Traceback (most recent call last):
    ...
    chorus.settings.SettingsError: url 'javascript:alert(1)' must be a plain http:// or https:// address
    """
    if isinstance(text, str) and _HTTP_URL.match(text.strip()):
        return text.strip()
    raise SettingsError(f"{what} {text!r} must be a plain http:// or https:// address".lstrip())


class FundingSettings(BaseModel):
    """One ``podcast:funding`` link: where listeners can support the show."""

    model_config = _STRICT
    url: str = Field(description="Donation or membership page (http or https).")
    text: str = Field("Support the show", max_length=128, description="Link text podcast apps show (at most 128 characters).")

    @field_validator("url")
    @classmethod
    def _plain_url(cls, v: str) -> str:
        return validate_http_url(v, "")


class ShowSettings(BaseModel):
    """One podcast show: what listeners see in their app, and how its episodes are produced."""

    model_config = _STRICT
    title: str = Field("Community Podcast", description="Show title as podcast apps display it.")
    author: str = Field("Chorus Community", description="Author (itunes:author).")
    description: str = Field(
        "Conversations from our community, published with Chorus.",
        description="Show description (plain text, at most 4000 bytes).",
    )
    language: str = Field("en", description="Show language (BCP 47, e.g. en, de, pt-BR); also the transcription language.")
    artwork: Path | None = Field(None, description="Square cover art (JPEG/PNG); None uses the bundled placeholder.")
    category: str = Field("Health & Fitness", description="Apple Podcasts category.")
    subcategory: str | None = Field("Mental Health", description="Apple Podcasts subcategory, or none.")
    explicit: bool = Field(False, description="Whether episodes contain explicit content.")
    owner_name: str = Field("Chorus Community", description="Owner name (itunes:owner).")
    owner_email: str = Field("podcast@example.org", description="Owner e-mail (itunes:owner); Apple uses it to verify the show.")
    website: str | None = Field(None, description="Show website; None uses the show page in the bucket.")
    funding: list[FundingSettings] = Field(
        default_factory=list, description="podcast:funding links ([[show.funding]] tables with url and text).")
    loudness_lufs: float | None = Field(None, description="Integrated loudness target; None: -16 LUFS stereo, -19 LUFS mono.")
    channels: Literal[1, 2] = Field(1, description="MP3 channels: 1 (speech, 96 kb/s) or 2 (128 kb/s).")
    bitrate_kbps: int | None = Field(None, description="MP3 bitrate; None: 96 mono, 128 stereo.")
    intro: Path | None = Field(None, description="Jingle before every episode (audio file), loudness-matched and crossfaded.")
    outro: Path | None = Field(None, description="Jingle after every episode (audio file), loudness-matched and crossfaded.")
    denoise: bool = Field(False, description="FFT noise reduction (ffmpeg afftdn) for hiss and hum; off keeps clean voices untouched.")
    shorten_pauses_over: float | None = Field(
        None, gt=0, description="Pauses inside an episode longer than this many seconds are cut to it; None keeps every pause.")
    whisper_model: str | None = Field(None, description="None: the bundled tiny.en; \"base\": the multilingual base (extra); or a CTranslate2 model directory.")
    glossary: list[str] = Field(default_factory=list, description="Names and terms to spell right in transcripts.")
    languages: list[str] = Field(
        default_factory=list, description="Languages the show's episodes may be in (BCP 47, two or more, e.g. "
        "[\"sv\", \"en\"]): each episode's is detected among them, and held when unsure; empty: always `language`.")
    review: Literal["after", "flagged", "before"] = Field(
        "flagged", description="Review before publishing: \"after\" publishes at once (review later); \"flagged\" "
        "holds an episode in which personal data was flagged until an organiser approves it; \"before\" holds every episode.")
    redaction: Literal["bleep", "silence"] = Field(
        "bleep", description="What a redacted span sounds like: a 1 kHz bleep or silence (its words' times plus 100 ms each side).")
    people: list[str] = Field(
        default_factory=list, description="Hosts and regular guests: their names are never flagged as personal data "
        "(an episode's sidecar `people` are added to these).")
    privacy_allow: list[str] = Field(
        default_factory=list, description="Names and phrases never flagged as personal data (helplines, public "
        "organisations the show mentions, e.g. \"Samaritans\").")

    @field_validator("artwork", "intro", "outro", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if v in ("", None) else v

    @field_validator("language")
    @classmethod
    def _bcp47(cls, v: str) -> str:
        return validate_language(v, "")

    @field_validator("languages")
    @classmethod
    def _two_or_more_tags(cls, v: list[str]) -> list[str]:
        tags = [validate_language(x, "") for x in v]
        if len(tags) == 1:
            raise ValueError(f"languages lists the languages to detect among: give two or more, or set "
                             f"language = {tags[0]!r} instead")
        return tags

    @model_validator(mode="after")
    def _language_needs_a_model_that_speaks_it(self) -> "ShowSettings":
        english_only = self.whisper_model in (None, "", "bundled", "tiny.en") or str(self.whisper_model).endswith(".en")
        other = next((x for x in [self.language, *self.languages] if x.split("-")[0].lower() != "en"), None)
        if english_only and other is not None:
            raise ValueError(
                f"show language {other!r} needs a multilingual Whisper model, but whisper_model is the "
                "English-only tiny.en: set whisper_model = \"base\" (pip install 'chorus-podcast[multilingual]')")
        return self


class PublishSettings(BaseModel):
    """Where episodes are published."""

    model_config = _STRICT
    bucket: str = Field("podcasts", description="S3 bucket name.")
    prefix: str = Field("", description="Key prefix inside the bucket (e.g. 'public'); empty for none.")
    public_base_url: str | None = Field(
        None,
        description="Public URL that serves the bucket's objects (CDN or website endpoint); None: <endpoint>/<bucket>.",
    )
    endpoint_url: str | None = Field(
        None,
        description="S3 endpoint; None uses boto3's chain (AWS_ENDPOINT_URL_S3, profiles), else the embedded SeaweedFS.",
    )
    region: str | None = Field(None, description="S3 region; None uses boto3's chain (AWS_REGION), else us-east-1.")
    private_prefix: str = Field(
        "private", description="Key prefix of what is never anonymously readable (held episodes, staged originals); "
                               "the editor streams it to logged-in reviewers.")

    @field_validator("prefix", "private_prefix")
    @classmethod
    def _safe_key_segments(cls, prefix: str, info: ValidationInfo) -> str:
        """Segments of ASCII letters, digits, ``._-``; no ``..``, no leading ``/``, no backslash."""
        prefix = prefix.strip().rstrip("/")
        if prefix and (prefix.startswith("/") or any(
                seg in (".", "..") or not _KEY_SEGMENT.match(seg) for seg in prefix.split("/"))):
            raise ValueError(f"{info.field_name} {prefix!r} must be key segments of ASCII letters, digits, '.', '_' "
                             "and '-' separated by '/' (no leading '/', no '..', no backslash)")
        if not prefix and info.field_name == "private_prefix":
            raise ValueError("private_prefix must not be empty: held episodes would be mixed with public objects")
        return prefix

    @model_validator(mode="after")
    def _private_apart_from_public(self) -> "PublishSettings":
        public, private = self.prefix, self.private_prefix
        if public and (private == public or private.startswith(public + "/") or public.startswith(private + "/")):
            raise ValueError(f"private_prefix {private!r} must lie outside the public prefix {public!r} "
                             "(anything under the public prefix is readable by anyone)")
        return self


class InboxSettings(BaseModel):
    """The drop folder that `chorus up` watches. ``inbox = "path"`` is short for ``[inbox] path = "path"``."""

    model_config = _STRICT
    path: Path = Field(Path("inbox"), description="Folder `chorus up` watches; a sub-folder named after a show slug targets that show.")
    poll_seconds: float = Field(5.0, gt=0, description="How often the inbox is scanned as well (watch events can be missed).")
    stable_seconds: float = Field(
        15.0, ge=0, description="A file or folder is claimed once its sizes and mtimes kept still this long; "
                                "a sidecar may arrive up to this long after its recording.")
    max_wait_seconds: float = Field(
        600.0, gt=0, description="An item that does not decode whole, or that a process still holds open for writing, "
                                 "is waited for up to this age, then quarantined as truncated.")

    @model_validator(mode="before")
    @classmethod
    def _path_shorthand(cls, v: Any) -> Any:
        return {"path": v} if isinstance(v, (str, Path)) else v

    @model_validator(mode="after")
    def _wait_at_least_the_window(self) -> "InboxSettings":
        if self.max_wait_seconds < self.stable_seconds:
            raise ValueError(f"max_wait_seconds ({self.max_wait_seconds:g}) must be at least stable_seconds "
                             f"({self.stable_seconds:g})")
        return self


class ProcessingSettings(BaseModel):
    """How much runs at once, and how long a store outage is waited out."""

    model_config = _STRICT
    max_parallel_episodes: int = Field(2, ge=1, description="Episodes processed at the same time.")
    transcriptions_at_once: int = Field(1, ge=1, description="Transcriptions running at the same time (each uses every core).")
    store_retry_minutes: float = Field(
        10.0, gt=0, description="How long an S3 outage is retried before the episode is parked (never quarantined).")


class EmbeddedSettings(BaseModel):
    """The embedded services that `chorus up` starts when no external ones are configured."""

    model_config = _STRICT
    s3_host: str = Field("127.0.0.1", description="Address the embedded SeaweedFS listens on (loopback by default).")
    s3_port: int = Field(8333, description="Port of the embedded SeaweedFS S3 endpoint.")
    prefect_port: int = Field(4200, description="Port of the local Prefect server started by `chorus up`.")
    prefect_database: str | None = Field(
        None, description="Database of that Prefect server (postgresql+asyncpg://…); None: SQLite under <data_dir>/prefect.")


class EditorSettings(BaseModel):
    """The volunteer transcript editor that `chorus up` serves and `chorus editor` runs alone."""

    model_config = _STRICT
    host: str = Field("127.0.0.1", description="Address the editor listens on (loopback by default; put it behind HTTPS).")
    port: int = Field(8750, ge=0, le=65535, description="Port of the editor (env CHORUS_EDITOR__PORT).")
    session_hours: float = Field(12.0, gt=0, description="A login lasts this long; drafts stay on the server after it ends.")
    login_attempts: int = Field(5, ge=1, description="Failed logins allowed per name and address within login_window_seconds.")
    login_window_seconds: float = Field(300.0, gt=0, description="Window of the login rate limit, in seconds.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of the editor (e.g. [\"127.0.0.1\"]): "
                    "from them only, X-Forwarded-Proto (the login cookie is Secure behind HTTPS) and "
                    "X-Forwarded-For (the login limit counts each volunteer's own address) are believed.")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        """Each an IP address or network, written as Python writes it (uvicorn would take a typo for a name)."""
        out = []
        for item in value:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False) if "/" in item
                               else ipaddress.ip_address(item.strip())))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (for example 127.0.0.1, ::1 "
                                 f"or 10.0.0.0/8)") from None
        return out


class Settings(BaseSettings):
    """All of Chorus's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="CHORUS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(Path("chorus-data"), description="Catalog, Prefect home, embedded S3 data, work, archive, failed.")
    catalog_url: str | None = Field(None, description="SQLAlchemy URL of the catalog; None: SQLite at <data_dir>/catalog.db.")
    default_show: str = Field(DEFAULT_SHOW, description="Slug of the show that inputs go to when none is named.")
    inbox: Annotated[InboxSettings, NoDecode] = Field(default_factory=InboxSettings, description="[inbox] table.")
    processing: ProcessingSettings = Field(default_factory=ProcessingSettings, description="[processing] table.")
    show: ShowSettings | None = Field(None, description="[show] table: the default show, for a single-show setup.")
    shows: dict[str, ShowSettings] = Field(
        default_factory=dict, description="More shows by slug: [shows.<slug>] tables (a trainee series, a chapter)."
    )
    publish: PublishSettings = Field(default_factory=PublishSettings, description="[publish] table.")
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings, description="[embedded] table.")
    editor: EditorSettings = Field(default_factory=EditorSettings, description="[editor] table.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_CONFIG_FILE.get("path"))
        return (init_settings, env_settings, toml)

    @field_validator("default_show")
    @classmethod
    def _default_is_a_slug(cls, v: str) -> str:
        return validate_slug(v, "")

    @field_validator("shows")
    @classmethod
    def _slugs_are_ascii(cls, shows: dict[str, ShowSettings]) -> dict[str, ShowSettings]:
        for slug in shows:
            validate_slug(slug, "show slug")
        return shows

    @model_validator(mode="after")
    def _default_show_exists(self) -> "Settings":
        if self.show is not None or not self.shows:
            self.shows = {self.default_show: self.show or ShowSettings(), **self.shows}
        elif self.default_show not in self.shows:
            self.default_show = next(iter(self.shows))
        return self

    @model_validator(mode="after")
    def _private_prefix_is_no_show(self) -> "Settings":
        first = self.publish.private_prefix.split("/")[0]
        if not self.publish.prefix and first in self.shows:
            raise ValueError(f"publish.private_prefix {self.publish.private_prefix!r} starts with the show slug "
                             f"{first!r}: that show's public objects would share it; choose another private_prefix")
        return self

    def get_show(self, slug: str | None = None) -> tuple[str, ShowSettings]:
        """The slug and settings of a show (the default show when ``slug`` is None)."""
        slug = validate_slug(slug, "show") if slug else self.default_show
        if slug not in self.shows:
            known = ", ".join(sorted(self.shows))
            raise SettingsError(f"unknown show {slug!r} (configured shows: {known}); "
                                f"add a [shows.{slug}] table to chorus.toml")
        return slug, self.shows[slug]

    # Derived paths: one place decides the data-directory layout.
    @property
    def catalog(self) -> str:
        return self.catalog_url or f"sqlite:///{(self.data_dir / 'catalog.db').resolve()}"

    def show_prefix(self, show: str) -> str:
        """The bucket key prefix of a show's objects: ``<prefix>/<show>``."""
        prefix = self.publish.prefix.strip("/")
        return f"{prefix}/{show}" if prefix else show

    def private_key(self, show: str, episode_id: int | str, name: str) -> str:
        """The bucket key of a held episode's object: ``<private_prefix>/<show>/<episode_id>/<name>``.

        ``name`` is a content hash plus an extension, never spoken words (keys outlive redactions).

        >>> Settings().private_key("community-podcast", 7, "1f3e9a0b.mp3")
        'private/community-podcast/7/1f3e9a0b.mp3'
        """
        show = validate_slug(show, "show")
        if not re.fullmatch(r"[0-9]+", str(episode_id)) or not _KEY_SEGMENT.match(name) or name in (".", ".."):
            raise SettingsError(f"a private key needs a numeric episode id and a plain file name, not "
                                f"{str(episode_id)!r} and {name!r}")
        return f"{self.publish.private_prefix.strip('/')}/{show}/{episode_id}/{name}"

    def path(self, name: Literal["prefect", "s3", "work", "archive", "failed"]) -> Path:
        return (self.data_dir / name).resolve()


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def load_settings(config: Path | None = None, data_dir: Path | None = None) -> Settings:
    """Load settings from ``config`` (else ./chorus.toml if it exists), env vars and defaults.

    A missing ``config`` file named explicitly is an error. Anything wrong (malformed TOML, an
    unknown or misspelt key, a wrong type, a path that is not a slug, a jingle or artwork file that
    does not exist) is a :class:`SettingsError` of one line naming the file or variable and the key.
    Relative artwork and jingle paths are read from the config file's folder.
    """
    if config is not None and not Path(config).is_file():
        raise FileNotFoundError(f"config file {config} does not exist")
    default = Path("chorus.toml")
    path = Path(config) if config else (default if default.is_file() else None)
    _check_env_names()
    _CONFIG_FILE["path"] = path
    try:
        settings = Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"not valid TOML: {e}", path=path) from None
    except ValidationError as e:
        loc, text = describe_validation_error(e, Settings)
        raise SettingsError(text, path=_origin(loc, path)) from None
    finally:
        _CONFIG_FILE["path"] = None
    _resolve_files(settings, (path.parent if path else Path.cwd()), path)
    if data_dir is not None:
        settings.data_dir = Path(data_dir)
    return settings


def _resolve_files(settings: Settings, base: Path, config: Path | None) -> None:
    """Make relative artwork and jingle paths absolute (from ``base``) and check that they exist."""
    for slug, show in settings.shows.items():
        table = "show" if show is settings.show else f"shows.{slug}"
        for name in ("artwork", "intro", "outro"):
            value = getattr(show, name)
            if value is None:
                continue
            full = (base / value.expanduser()).resolve()
            if not full.is_file():
                raise SettingsError(f"{table}.{name}: no such file {str(value)!r} (looked for {full})",
                                    path=_origin((table.split(".")[0], name), config))
            setattr(show, name, full)


def _check_env_names() -> None:
    """A ``CHORUS_`` variable that looks like a misspelt or moved setting is an error, not ignored."""
    for key in os.environ:
        if not key.upper().startswith("CHORUS_"):
            continue
        parts = tuple(key[len("CHORUS_"):].lower().split("__"))
        if parts[0] in Settings.model_fields:
            continue  # unknown keys below a known table: extra="forbid" reports them
        near = closest_key(Settings, parts)
        if near:
            raise SettingsError(f"unknown setting {'.'.join(parts)!r} (did you mean "
                                f"{'CHORUS_' + '__'.join(near).upper()}?)", path=key)


def _origin(loc: tuple, config: Path | None) -> str:
    """Where a bad value came from: the most specific ``CHORUS_`` variable that holds it, else the file."""
    names = {k.upper() for k in os.environ}
    parts = [str(p).upper() for p in loc]
    for n in range(len(parts), 0, -1):
        name = "CHORUS_" + "__".join(parts[:n])
        if name in names:
            return name
    below = sorted(k for k in names if parts and k.startswith("CHORUS_" + "__".join(parts) + "__"))
    if config is not None:
        return ", ".join([str(config), *below])
    return ", ".join(below) or "settings"
