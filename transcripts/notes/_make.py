"""``make_notes``: chapters, summary, keywords, people and links for one episode."""
from __future__ import annotations

from ._chapters import boundaries, title_chapters
from ._keywords import key_phrases, same_stems
from ._links import find_links
from ._render import render_html, render_text
from ._sidecar import check
from ._summary import summarise
from ._text import sentences
from ._types import Link, NotesOptions, ShowNotes
from ..model import Transcript


def _keywords(per_chapter: list[list[str]], text: str, options: NotesOptions) -> list[str]:
    """Round robin over the chapters' best phrases (so every chapter is represented), then the episode's
    YAKE phrases; no two keywords share a word stem."""
    out: list[str] = []

    def add(p: str) -> None:
        if not any(same_stems(p, q, options.language) for q in out):
            out.append(p.lower())

    depth = 0
    while len(out) < max(options.keywords, len(per_chapter)) and any(depth < len(p) for p in per_chapter):
        for phrases in per_chapter:
            if depth < len(phrases) and (depth == 0 or len(out) < options.keywords):
                add(phrases[depth])
        depth += 1
    if len(out) < options.keywords:
        for p in key_phrases(text, options.language, top=3 * options.keywords, n=2):
            if len(out) >= options.keywords:
                break
            add(p)
    return out


def make_notes(t: Transcript, options: NotesOptions | None = None, sidecar: dict | None = None) -> ShowNotes:
    """Draft show notes and chapters from a timed transcript; the sidecar's values win over generated ones.

    ``options`` defaults to English ``NotesOptions()``; give ``NotesOptions(language=t.language)`` for an
    episode in another language. Raises :class:`NotesError` when the sidecar is malformed (one line naming the problem).
    """
    options = options or NotesOptions()
    side = check(sidecar, duration=t.duration or None)
    sents = sentences(t, options.language)
    duration = max(t.duration or 0.0, sents[-1].end if sents else 0.0)
    cuts = boundaries(sents, duration, options) if options.chapters else []
    idx = [0, *cuts, len(sents)]
    spans = [(a, b) for a, b in zip(idx, idx[1:]) if b > a]
    generated, per_chapter = title_chapters(spans, sents, duration, options) if sents else ([], [])
    if not options.chapters:
        generated = []
    summary = summarise(sents, spans, options.summary_sentences)
    text = " ".join(s.text for s in sents)
    keywords = side.keywords or (_keywords(per_chapter, text, options) if sents else [])
    chapters = side.chapters or generated
    if side.chapters and chapters[-1].end <= chapters[-1].start:
        chapters[-1].end = duration
    links: list[Link] = list(side.resources)
    known = {(l.url or "").rstrip("/").lower() for l in links}
    links += [l for l in find_links(text) if l.url.rstrip("/").lower() not in known]
    sources = {
        "title": "sidecar" if side.title else "none",
        "description": "sidecar" if side.description else "generated",
        "chapters": "sidecar" if side.chapters else "generated",
        "keywords": "sidecar" if side.keywords else "generated",
    }
    html = render_html(side.description, summary, side.people, chapters, links, keywords)
    plain = render_text(side.description, summary, side.people, chapters, links, keywords, options.max_text_bytes)
    return ShowNotes(summary=summary, keywords=keywords, chapters=chapters, html=html, text=plain, options=options,
                     title=side.title, description=side.description or " ".join(summary), people=side.people,
                     links=links, soundbites=side.soundbites, sources=sources)
