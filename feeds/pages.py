"""Static show and episode pages (Jinja2 templates inside the package, autoescape on).

Pages are self-contained HTML (style and script inlined), so publishing one is one object.
They work with JavaScript off: the transcript is plain text, timestamps link to ``media#t=s``, and
the controls that need the script stay hidden until it runs.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import html as _lhtml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ._text import safe_html
from .errors import FeedError
from .model import EpisodeEntry, ShowInfo

__all__ = ["render_show_page", "render_episode_page"]

_HERE = Path(__file__).resolve().parent
_FORMATS = {"text/vtt": "WebVTT captions", "application/x-subrip": "SRT", "application/srt": "SRT",
            "application/json": "JSON", "text/html": "HTML", "text/plain": "Text"}
_LOW = 0.5   # a word below this probability is shown greyed (and the page explains why)
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


def _summary_parts(text: str) -> tuple[str, list[tuple[str, list[str]]]]:
    r"""A plain-text summary (``ShowNotes.text``: paragraphs, then blocks such as ``"With:"``,
    ``"Chapters:"`` whose first line is a label) as ``(head, [(label, lines), ...])``, so that the
    show page shows each block apart instead of running them into one paragraph.

    >>> _summary_parts("We talk.\n\nWith:\nAnn (host)\nBo (guest)\n\nChapters:\n00:00 Intro")
    ('We talk.', [('With', ['Ann (host)', 'Bo (guest)']), ('Chapters', ['00:00 Intro'])])
    >>> _summary_parts("One line only")
    ('One line only', [])
    """
    head, parts = [], []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if len(lines) >= 2 and lines[0].endswith(":") and len(lines[0]) <= 40:
            parts.append((lines[0][:-1], lines[1:]))
        elif lines:
            head.append(" ".join(lines))
    return " ".join(head), parts


def _without_chapters(notes: str) -> str:
    """Sanitised notes HTML without their "Chapters" heading and list (the page lists the chapters
    itself, as links that play from each one), so chapters appear once.

    >>> _without_chapters("<p>Hi</p><h3>Chapters</h3><ul><li>00:00 Intro</li></ul><h3>Links</h3>")
    '<p>Hi</p><h3>Links</h3>'
    >>> _without_chapters("<p>No chapters here</p>")
    '<p>No chapters here</p>'
    """
    if "Chapters" not in notes:
        return notes
    root = _lhtml.fragment_fromstring(notes, create_parent="div")
    found = False
    for h in root.xpath("./h2|./h3|./h4"):
        nxt = h.getnext()
        if h.text_content().strip().rstrip(":") == "Chapters" and nxt is not None and nxt.tag in ("ul", "ol"):
            for el in (nxt, h):
                el.drop_tree()
            found = True
    if not found:
        return notes
    return (root.text or "") + "".join(_lhtml.tostring(el, encoding="unicode") for el in root)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(_HERE / "templates")),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters.update(clock=_clock, secs=_secs, mb=_mb, longdate=_longdate,
                       fmtname=lambda t: _FORMATS.get(t, t), summary_parts=_summary_parts,
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
    the page calls it automatic (not yet checked) unless it has ``"approved": True``, and explains
    the greyed low-confidence words and the ``[inaudible …]`` gaps when there are any. ``chapters`` are objects or dicts with
    ``start``, ``end`` and ``title``; when given, the notes' own chapter list is left out, so they
    appear once. Every word is a ``<span data-s data-e>``: the script makes the transcript one tab
    stop (arrow keys between words, Enter or Space or a click plays from a word) and marks the word
    being spoken (``aria-current``). With JavaScript off the text stays readable, each segment's
    timestamp links to ``media#t=``, and the script's controls stay hidden.
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
    notes = safe_html(episode.notes_html or "")
    has_low = any(isinstance(w.get("probability"), (int, float)) and w["probability"] < _LOW
                  for s in segments for w in s.get("words") or [])
    return _env().get_template("episode.html.j2").render(
        show=show, episode=episode, segments=segments, chapters=chs, media_url=media,
        captions=captions, lang=lang, tlang=(transcript or {}).get("language") or lang,
        notes_html=Markup(_without_chapters(notes) if chs else notes), low=_LOW, has_low=has_low,
        approved=(transcript or {}).get("approved") is True, has_gap=any(s.get("gap") for s in segments),
    )
