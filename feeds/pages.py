"""Static show and episode pages (Jinja2 templates inside the package, autoescape on).

Pages are self-contained HTML (style and script inlined), so publishing one is one object.
They work with JavaScript off: the transcript is plain text, timestamps link to ``media#t=s``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ._text import safe_html
from .errors import FeedError
from .model import EpisodeEntry, ShowInfo

__all__ = ["render_show_page", "render_episode_page"]

_HERE = Path(__file__).resolve().parent
_FORMATS = {"text/vtt": "WebVTT captions", "application/x-subrip": "SRT", "application/srt": "SRT",
            "application/json": "JSON", "text/html": "HTML", "text/plain": "Text"}
_LANGS = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
          "nl": "Nederlands", "pt": "Português", "pl": "Polski", "sv": "Svenska", "da": "Dansk"}


def _clock(seconds) -> str:
    """``h:mm:ss`` or ``m:ss``.

    >>> _clock(5), _clock(75.9), _clock(3725)
    ('0:05', '1:15', '1:02:05')
    """
    s = int(float(seconds or 0))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _secs(seconds) -> str:
    """Seconds with at most 2 decimals, for data attributes and ``#t=`` fragments.

    >>> _secs(1.0), _secs(1.256), _secs(0)
    ('1', '1.26', '0')
    """
    return (f"{float(seconds):.2f}".rstrip("0").rstrip(".")) or "0"


def _mb(n) -> str:
    return f"{int(n) / 1_000_000:.1f} MB"


def _longdate(dt) -> str:
    return f"{dt.day} {dt:%B %Y}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(_HERE / "templates")),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters.update(clock=_clock, secs=_secs, mb=_mb, longdate=_longdate,
                       fmtname=lambda t: _FORMATS.get(t, t),
                       langname=lambda code: _LANGS.get((code or "").split("-")[0], code or "Captions"))
    env.globals.update(css=Markup((_HERE / "static" / "style.css").read_text("utf-8")),
                       js=Markup((_HERE / "static" / "player.js").read_text("utf-8")))
    return env


def _field(obj, name, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def render_show_page(show: ShowInfo, episodes: list[EpisodeEntry]) -> str:
    """The show's page: artwork, description, subscribe links and the episode list (newest first).
    Every user-supplied string is HTML-escaped."""
    eps = sorted(episodes, key=lambda e: e.pub_date, reverse=True)
    return _env().get_template("show.html.j2").render(show=show, episodes=eps)


def render_episode_page(show: ShowInfo, episode: EpisodeEntry, transcript: dict | None = None,
                        chapters=()) -> str:
    """An episode's page: player (video with captions tracks when the episode has video), show
    notes (sanitised as in the feed: nh3, and no markup in their text), chapters, and the interactive transcript.

    ``transcript`` is ``Transcript.to_dict()`` (segments with speaker and timed words) or None;
    ``chapters`` are objects or dicts with ``start``, ``end`` and ``title``. Every word is a
    ``<span data-s data-e>``: click it to seek; the word being spoken is highlighted. With
    JavaScript off the text stays readable and each segment's timestamp links to ``media#t=``.
    """
    if transcript is not None and not isinstance(transcript.get("segments") if isinstance(
            transcript, dict) else None, list):
        raise FeedError(f"episode {episode.guid!r}: transcript is not a Transcript.to_dict() dict")
    segments = [s for s in (transcript or {}).get("segments", []) if (s.get("text") or "").strip()
                or s.get("words")]
    chs = [{"start": float(_field(c, "start", 0)), "title": str(_field(c, "title", ""))} for c in chapters]
    media = episode.video.url if episode.video else episode.enclosure.url
    captions = [t for t in episode.transcripts if t.type == "text/vtt"]
    lang = episode.language or show.language
    return _env().get_template("episode.html.j2").render(
        show=show, episode=episode, segments=segments, chapters=chs, media_url=media,
        captions=captions, lang=lang, tlang=(transcript or {}).get("language") or lang,
        notes_html=Markup(safe_html(episode.notes_html or "")),
    )
