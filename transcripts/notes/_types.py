"""Options, results and the one exception type of ``transcripts.notes``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["NotesError", "NotesOptions", "Chapter", "Person", "Link", "ShowNotes"]


class NotesError(ValueError):
    """Bad notes input (usually an organiser's sidecar). ``str(e)`` is one human line."""

    def __init__(self, path: Path | str | None, reason: str):
        self.path = Path(path) if path else None
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}" if self.path else reason)


@dataclass
class NotesOptions:
    """How to draft show notes and chapters. Every default works offline.

    The defaults are for English. For an episode in another language pass the transcript's own
    language, ``NotesOptions(language=transcript.language)``, so that its stop words and stemmer apply.
    """

    language: str = "en"
    """Language of the transcript: a Whisper code or BCP 47 tag (``fr``, ``pt-BR``), as in
    ``Transcript.language``. It picks YAKE's stop words and the Snowball stemmer (English for a language
    neither knows); the extra list of English talk fillers applies to English only."""
    min_chapter: float = 60.0
    """Minimum chapter length in seconds; shortened for short episodes (at most a sixth of the episode, and at least 10 s)."""
    max_chapters: int = 20
    """Never more generated chapters than this."""
    window: float = 45.0
    """Seconds of speech compared on each side of a candidate chapter boundary (TextTiling block)."""
    summary_sentences: int = 4
    """How many summary sentences (3 to 5 are drawn from different chapters)."""
    keywords: int = 10
    """How many keywords; at least one per chapter is kept even when that means more."""
    max_text_bytes: int = 4000
    """UTF-8 byte limit of the plain-text notes (Apple's ``description`` limit)."""
    chapters: bool = True
    """False: no generated chapters (sidecar chapters are still used)."""
    segmenter: str = "auto"
    """``"embeddings"`` (sentence embeddings, the ``embeddings`` extra), ``"texttiling"`` (lexical, no extra),
    or ``"auto"``: embeddings when the extra is installed, else TextTiling."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NotesOptions":
        """Build from a dict, ignoring unknown keys.

        >>> NotesOptions.from_dict({"min_chapter": 30, "bogus": 1}).min_chapter
        30
        """
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in known})


@dataclass
class Chapter:
    """One chapter: seconds from the start of the mastered audio, and a title."""

    start: float
    end: float
    title: str
    url: str | None = None


@dataclass
class Soundbite:
    """A short excerpt the organiser picked for sharing (``podcast:soundbite``): seconds from the start."""

    start: float
    duration: float
    title: str = ""


@dataclass
class Person:
    """Someone credited in the notes; ``role`` follows Podcasting 2.0 person roles (``host``, ``guest``...)."""

    name: str
    role: str = "guest"


@dataclass
class Link:
    """A resource: a URL (``url``), or a title with no URL such as a book.

    ``source`` is ``"sidecar"`` (the organiser listed it) or ``"spoken"`` (heard in the transcript).
    """

    title: str
    url: str | None = None
    source: str = "sidecar"


@dataclass
class ShowNotes:
    """Drafted show notes; a result that records the options that produced it.

    Sidecar values win: ``title``, ``description``, ``keywords`` and ``chapters`` come from the sidecar
    whenever it gives them; ``summary`` is always the generated extractive summary, and the rendered
    ``html``/``text`` show the sidecar description instead of it when there is one.
    """

    summary: list[str]
    keywords: list[str]
    chapters: list[Chapter]
    html: str
    text: str
    options: NotesOptions = field(default_factory=NotesOptions)
    title: str = ""
    description: str = ""
    people: list[Person] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)
    """Excerpts from the sidecar, for ``podcast:soundbite`` (never generated)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where each part came from: ``{"chapters": "sidecar"|"generated", "keywords": ..., "description": ...}``."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (catalog notes revisions store exactly this)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ShowNotes":
        """Inverse of :meth:`to_dict`.

        >>> n = ShowNotes(["A."], ["k"], [Chapter(0, 5, "Intro")], "<p>A.</p>", "A.", people=[Person("Ann", "host")])
        >>> ShowNotes.from_dict(n.to_dict()) == n
        True
        """
        return cls(
            summary=list(d.get("summary") or []),
            keywords=list(d.get("keywords") or []),
            chapters=[Chapter(**c) for c in d.get("chapters") or []],
            html=d.get("html", ""),
            text=d.get("text", ""),
            options=NotesOptions.from_dict(d.get("options") or {}),
            title=d.get("title", ""),
            description=d.get("description", ""),
            people=[Person(**p) for p in d.get("people") or []],
            links=[Link(**x) for x in d.get("links") or []],
            soundbites=[Soundbite(**x) for x in d.get("soundbites") or []],
            sources=dict(d.get("sources") or {}),
        )
