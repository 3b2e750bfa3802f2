"""Plain dataclasses describing a show and its episodes, as the feed and the pages need them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "MediaLink", "Person", "Funding", "Soundbite", "Category", "ShowInfo", "EpisodeEntry",
    "podcast_guid", "PODCAST_GUID_NAMESPACE",
]

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The UUIDv5 namespace the Podcasting 2.0 spec fixes for ``podcast:guid``."""


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 ``podcast:guid`` of a feed URL: UUIDv5 of the URL without its scheme
    and trailing slashes. Compute it once, store it with the show, and never change it.

    >>> podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml")
    '917393e3-1b1e-5cef-ace4-edaa54e1f810'
    >>> podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == podcast_guid("mp3s.nashownotes.com/pc20rss.xml")
    True
    """
    url = feed_url.strip()
    if "://" in url:
        url = url.split("://", 1)[1]
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, url.rstrip("/")))


@dataclass
class MediaLink:
    """A URL to one published file: an enclosure, a transcript, chapters, an alternate encoding."""

    url: str
    type: str
    """MIME type, e.g. ``audio/mpeg``, ``text/vtt``, ``application/json``."""
    length: int | None = None
    """Exact size in bytes (required for enclosures)."""
    language: str | None = None
    """Language of a transcript or of an alternate enclosure (BCP 47, e.g. ``en``, ``de``)."""
    rel: str | None = None
    """``captions`` for a timed caption transcript (VTT/SRT)."""
    title: str | None = None
    """Human label, e.g. ``Video 720p`` for an alternate enclosure."""
    bitrate: int | None = None
    """Bits per second (alternate enclosures)."""
    height: int | None = None
    """Pixel height (video alternate enclosures)."""
    default: bool = False
    """Marks the alternate enclosure that is also the item's ``enclosure``."""


@dataclass
class Person:
    """``podcast:person``: a host (channel) or a guest (item)."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass
class Funding:
    """``podcast:funding``: where listeners can support the show."""

    url: str
    text: str = "Support the show"


@dataclass
class Soundbite:
    """``podcast:soundbite``: a short shareable excerpt (seconds from the start)."""

    start: float
    duration: float
    title: str = ""


@dataclass
class Category:
    """An Apple Podcasts category with an optional subcategory.

    >>> Category.parse("Health & Fitness / Mental Health")
    Category(name='Health & Fitness', sub='Mental Health')
    >>> Category.parse("Education")
    Category(name='Education', sub=None)
    """

    name: str
    sub: str | None = None

    @classmethod
    def parse(cls, value: "str | Category") -> "Category":
        """Accept a Category or ``"Main / Sub"`` text (``>`` also separates)."""
        if isinstance(value, Category):
            return value
        text = str(value).replace(">", "/")
        main, _, sub = text.partition("/")
        return cls(main.strip(), sub.strip() or None)


@dataclass
class ShowInfo:
    """Everything the channel of a show's feed and its show page need.

    The first eight fields are required; the rest have defaults that give a valid feed.
    """

    slug: str
    """ASCII slug; also the show's folder in the bucket."""
    title: str
    description: str
    author: str
    language: str
    """BCP 47 language of the show (``en``, ``de-AT``)."""
    link: str
    """The show page URL."""
    feed_url: str
    """The audio feed URL (the ``atom:link rel=self``)."""
    image_url: str
    """Artwork URL: a square 1400–3000 px RGB JPEG/PNG (see :func:`feeds.prepare_artwork`)."""
    categories: list = field(default_factory=list)
    """:class:`Category` objects or ``"Main / Sub"`` strings; the first is the primary one."""
    explicit: bool = False
    owner_name: str = ""
    owner_email: str = ""
    """Owner e-mail: ``itunes:owner`` and the ``podcast:locked`` owner."""
    podcast_guid: str | None = None
    """Stored once per show; None computes it from ``feed_url`` (:func:`podcast_guid`)."""
    itunes_type: str = "episodic"
    """``episodic`` (newest first) or ``serial`` (in order)."""
    locked: bool = True
    """``podcast:locked``: other hosts may not import the feed."""
    persons: list[Person] = field(default_factory=list)
    """Hosts (``podcast:person`` on the channel)."""
    funding: list[Funding] = field(default_factory=list)
    copyright: str | None = None
    video_feed_url: str | None = None
    """Set when the show publishes video: its separate video feed URL."""
    video_podcast_guid: str | None = None
    """Stored guid of the video feed; None computes it from ``video_feed_url``."""
    subscribe_links: dict[str, str] = field(default_factory=dict)
    """Directory links for the show page, e.g. ``{"Apple Podcasts": "https://..."}``."""
    image_alt: str = ""
    """Text alternative for the artwork on the show page."""


@dataclass
class EpisodeEntry:
    """One episode as the feed and the pages show it.

    The first eleven fields follow the seam in docs/architecture.md; the rest have defaults.
    """

    guid: str
    """Stable, never changes once published (e.g. the catalog's episode id or a UUID)."""
    title: str
    pub_date: datetime
    """Timezone-aware publication time."""
    summary_text: str
    """Plain-text summary (RSS ``description``)."""
    notes_html: str
    """Show notes HTML (``content:encoded``), as ``transcripts.make_notes`` renders it; sanitised again
    when written (nh3, and no markup in its text)."""
    enclosure: MediaLink
    """The audio file (``audio/mpeg``) with its exact byte length."""
    duration: float
    """Seconds."""
    link: str
    """The episode page URL."""
    number: int | None = None
    transcripts: list[MediaLink] = field(default_factory=list)
    """One per format and language: VTT (``rel='captions'``), SRT, JSON, HTML."""
    chapters: MediaLink | None = None
    """Podcasting 2.0 JSON chapters (``application/json+chapters``)."""
    season: int | None = None
    episode_type: str = "full"
    """``full``, ``trailer`` or ``bonus``."""
    persons: list[Person] = field(default_factory=list)
    """Guests (and hosts of this episode when they differ from the show's)."""
    soundbites: list[Soundbite] = field(default_factory=list)
    alternate_enclosures: list[MediaLink] = field(default_factory=list)
    """Other encodings (opus, lower bitrate …) besides ``enclosure`` and ``video``."""
    video: MediaLink | None = None
    """The video file (``video/mp4``): the enclosure in the video feed, an alternate in the audio feed."""
    image_url: str | None = None
    """Episode artwork; None uses the show's."""
    explicit: bool | None = None
    """None inherits the show's setting."""
    language: str | None = None
    """Spoken language when it differs from the show's."""
    slug: str = ""
    """ASCII slug of the episode's folder (pages); empty derives nothing."""
    poster_url: str | None = None
    """Poster frame for the video player on the episode page."""
    keywords: list[str] = field(default_factory=list)
    """Topics (``itunes:keywords``, comma-separated in the feed)."""
