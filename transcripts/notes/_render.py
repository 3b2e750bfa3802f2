"""Show notes as safe HTML (``content:encoded``), as plain text (``description``), and JSON chapters."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jinja2

from ._types import Chapter, Link, Person

_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$", re.IGNORECASE)


def stamp(seconds: float) -> str:
    """``H:MM:SS`` for an hour or more, else ``MM:SS`` (the form podcast apps turn into links).

    >>> stamp(0), stamp(90.4), stamp(3723)
    ('00:00', '01:30', '1:02:03')
    """
    s = int(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def safe_url(url: str | None) -> bool:
    """Only plain http(s) URLs become links.

    >>> safe_url("https://example.org/a?b=1"), safe_url("javascript:alert(1)"), safe_url('https://x.org/"onmouseover')
    (True, False, False)
    """
    return bool(url and _SAFE_URL.match(url))


@lru_cache(maxsize=1)
def _template():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, trim_blocks=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.globals.update(stamp=stamp, safe_url=safe_url)
    return env.get_template("notes.html.j2")


def render_html(description: str, summary: list[str], people: list[Person], chapters: list[Chapter],
                links: list[Link], keywords: list[str]) -> str:
    """HTML fragment; every string from the transcript or the sidecar is escaped."""
    return _template().render(description=description, summary=[] if description else summary, people=people,
                              chapters=chapters, links=links, keywords=keywords).strip() + "\n"


def _fits(text: str, limit: int) -> bool:
    return len(text.encode("utf-8")) <= limit


def _cut(text: str, limit: int) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` UTF-8 bytes, ending with an ellipsis.

    >>> _cut("one two three", 10)
    'one two…'
    """
    if _fits(text, limit):
        return text
    b = text.encode("utf-8")[: max(limit - 3, 0)].decode("utf-8", "ignore")
    if " " in b and not text[len(b)].isspace():
        b = b[: b.rfind(" ")]
    return b.rstrip(" ,;:.") + "…"


def render_text(description: str, summary: list[str], people: list[Person], chapters: list[Chapter],
                links: list[Link], keywords: list[str], limit: int = 4000) -> str:
    """Plain text within ``limit`` UTF-8 bytes. Keywords, then links, then people, then the last chapters
    give way first; the description/summary is cut last, at a word boundary."""
    head = description or " ".join(summary)
    sections: list[tuple[str, list[str]]] = [
        ("people", [f"{p.name} ({p.role})" for p in people]),
        ("chapters", [f"{stamp(c.start)} {c.title}" for c in chapters]),
        ("links", [f"{l.title}: {l.url}" if l.url and l.url.rstrip("/").split("://")[-1] != l.title.rstrip("/")
                   else (l.url or l.title) for l in links]),
        ("keywords", [", ".join(keywords)] if keywords else []),
    ]
    titles = {"people": "With", "chapters": "Chapters", "links": "Links and resources", "keywords": "Topics"}

    def build(h: str) -> str:
        parts = [h] if h else []
        for name, lines in sections:
            if lines:
                parts.append(f"{titles[name]}:\n" + "\n".join(lines))
        return "\n\n".join(parts).strip()

    text = build(head)
    for name in ("keywords", "links", "people", "chapters"):
        lines = dict(sections)[name]
        while lines and not _fits(text, limit):
            lines.pop()
            text = build(head)
    if not _fits(text, limit):
        text = _cut(head, limit)
    return text


def chapters_json(chapters: Iterable[Any], title: str = "") -> dict:
    """Podcasting 2.0 JSON chapters (version 1.2.0; serve as ``application/json+chapters``).

    >>> chapters_json([Chapter(0, 61.5, "Intro"), Chapter(61.5, 120, "Fees", "https://x.org")], "Ep 1")
    {'version': '1.2.0', 'title': 'Ep 1', 'chapters': [{'startTime': 0.0, 'endTime': 61.5, 'title': 'Intro'}, \
{'startTime': 61.5, 'endTime': 120.0, 'title': 'Fees', 'url': 'https://x.org'}]}
    """
    out: dict[str, Any] = {"version": "1.2.0"}
    if title:
        out["title"] = title
    items = []
    for c in sorted(chapters, key=lambda c: c.start):
        item: dict[str, Any] = {"startTime": round(float(c.start), 3)}
        if getattr(c, "end", None) and c.end > c.start:
            item["endTime"] = round(float(c.end), 3)
        item["title"] = c.title
        url = getattr(c, "url", None)
        if safe_url(url):
            item["url"] = url
        items.append(item)
    out["chapters"] = items
    return out

