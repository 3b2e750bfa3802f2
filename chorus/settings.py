"""Every setting, declared once: ``chorus.toml`` plus ``CHORUS_`` environment variables.

Precedence, highest first: environment variables (``CHORUS_PUBLISH__BUCKET``; ``__`` nests), the
TOML file (``--config FILE``, else ``./chorus.toml`` when present), then the defaults here.
``chorus.example.toml`` documents every field; ``tests/test_docs.py`` fails when one is missing.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings", "ShowSettings", "PublishSettings", "EmbeddedSettings", "load_settings", "slugify"]

DEFAULT_SHOW = "community-podcast"


def slugify(text: str) -> str:
    """An ASCII slug for keys and URLs.

    >>> slugify("Ça va? Thérapie & Co — Épisode 3")
    'ca-va-therapie-co-episode-3'
    >>> slugify("###")
    'episode'
    """
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or "episode"


class ShowSettings(BaseModel):
    """One podcast show: what listeners see in their app, and how its episodes are produced."""

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
    loudness_lufs: float | None = Field(None, description="Integrated loudness target; None: -16 LUFS stereo, -19 LUFS mono.")
    channels: Literal[1, 2] = Field(1, description="MP3 channels: 1 (speech, 96 kb/s) or 2 (128 kb/s).")
    bitrate_kbps: int | None = Field(None, description="MP3 bitrate; None: 96 mono, 128 stereo.")
    whisper_model: str | None = Field(None, description="None: the bundled tiny.en; \"base\": the multilingual base (extra); or a CTranslate2 model directory.")
    glossary: list[str] = Field(default_factory=list, description="Names and terms to spell right in transcripts.")

    @field_validator("artwork", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if v in ("", None) else v

    @model_validator(mode="after")
    def _language_needs_a_model_that_speaks_it(self) -> "ShowSettings":
        english_only = self.whisper_model in (None, "", "bundled", "tiny.en") or str(self.whisper_model).endswith(".en")
        if english_only and self.language.split("-")[0].lower() != "en":
            raise ValueError(
                f"show language {self.language!r} needs a multilingual Whisper model, but whisper_model is the "
                "English-only tiny.en: set whisper_model = \"base\" (pip install 'chorus-podcast[multilingual]')")
        return self


class PublishSettings(BaseModel):
    """Where episodes are published."""

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


class EmbeddedSettings(BaseModel):
    """The embedded services that `chorus up` starts when no external ones are configured."""

    s3_host: str = Field("127.0.0.1", description="Address the embedded SeaweedFS listens on (loopback by default).")
    s3_port: int = Field(8333, description="Port of the embedded SeaweedFS S3 endpoint.")
    prefect_port: int = Field(4200, description="Port of the local Prefect server started by `chorus up`.")


class Settings(BaseSettings):
    """All of Chorus's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="CHORUS_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(Path("chorus-data"), description="Catalog, Prefect home, embedded S3 data, work, archive, failed.")
    inbox: Path = Field(Path("inbox"), description="Folder `chorus up` watches; a sub-folder named after a show slug targets that show.")
    poll_seconds: float = Field(5.0, description="How often `chorus up` looks for new files in the inbox.")
    catalog_url: str | None = Field(None, description="SQLAlchemy URL of the catalog; None: SQLite at <data_dir>/catalog.db.")
    default_show: str = Field(DEFAULT_SHOW, description="Slug of the show that inputs go to when none is named.")
    show: ShowSettings | None = Field(None, description="[show] table: the default show, for a single-show setup.")
    shows: dict[str, ShowSettings] = Field(
        default_factory=dict, description="More shows by slug: [shows.<slug>] tables (a trainee series, a chapter)."
    )
    publish: PublishSettings = Field(default_factory=PublishSettings, description="[publish] table.")
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings, description="[embedded] table.")

    _toml_file: Path | None = None

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

    @field_validator("shows")
    @classmethod
    def _slugs_are_ascii(cls, shows: dict[str, ShowSettings]) -> dict[str, ShowSettings]:
        for slug in shows:
            if slug != slugify(slug):
                raise ValueError(f"show slug {slug!r} must be lowercase ASCII letters, digits and dashes")
        return shows

    @model_validator(mode="after")
    def _default_show_exists(self) -> "Settings":
        if self.show is not None or not self.shows:
            self.shows = {self.default_show: self.show or ShowSettings(), **self.shows}
        elif self.default_show not in self.shows:
            self.default_show = next(iter(self.shows))
        return self

    def get_show(self, slug: str | None = None) -> tuple[str, ShowSettings]:
        """The slug and settings of a show (the default show when ``slug`` is None)."""
        slug = slug or self.default_show
        if slug not in self.shows:
            known = ", ".join(sorted(self.shows))
            raise ValueError(f"unknown show {slug!r} (configured shows: {known}); add a [shows.{slug}] table to chorus.toml")
        return slug, self.shows[slug]

    # Derived paths: one place decides the data-directory layout.
    @property
    def catalog(self) -> str:
        return self.catalog_url or f"sqlite:///{(self.data_dir / 'catalog.db').resolve()}"

    def show_prefix(self, show: str) -> str:
        """The bucket key prefix of a show's objects: ``<prefix>/<show>``."""
        prefix = self.publish.prefix.strip("/")
        return f"{prefix}/{show}" if prefix else show

    def path(self, name: Literal["prefect", "s3", "work", "archive", "failed"]) -> Path:
        return (self.data_dir / name).resolve()


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def load_settings(config: Path | None = None, data_dir: Path | None = None) -> Settings:
    """Load settings from ``config`` (else ./chorus.toml if it exists), env vars and defaults.

    A missing ``config`` file named explicitly is an error; a malformed one names the problem.
    """
    if config is not None and not Path(config).is_file():
        raise FileNotFoundError(f"config file {config} does not exist")
    default = Path("chorus.toml")
    _CONFIG_FILE["path"] = Path(config) if config else (default if default.is_file() else None)
    try:
        settings = Settings()
    finally:
        _CONFIG_FILE["path"] = None
    if data_dir is not None:
        settings.data_dir = Path(data_dir)
    return settings
