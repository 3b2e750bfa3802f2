"""Show notes as the editor edits them: a few plain fields, merged field by field, rendered again."""
from __future__ import annotations

from typing import Any

from transcripts.notes import Chapter, ShowNotes
from transcripts.notes._render import render_html, render_text

from editor.errors import EditorError

__all__ = ["NOTE_FIELDS", "notes_view", "check_notes", "merge_notes", "updated_notes", "notes_changes"]

NOTE_FIELDS = ("title", "description", "summary", "keywords", "chapters")
"""What volunteers may change; the HTML and plain text are rendered from them, never typed."""


def notes_view(data: dict) -> dict:
    """The editable fields of a stored notes revision (``ShowNotes.to_dict()``)."""
    n = ShowNotes.from_dict(data)
    return {"title": n.title, "description": n.description, "summary": list(n.summary),
            "keywords": list(n.keywords),
            "chapters": [{"start": float(c.start), "title": c.title, **({"url": c.url} if c.url else {})}
                         for c in n.chapters]}


def check_notes(body: dict) -> dict:
    """The notes fields of a request body, checked; a one-line :class:`EditorError` otherwise."""
    out: dict[str, Any] = {}
    for key in ("title", "description"):
        if key in body:
            if not isinstance(body[key], str):
                raise EditorError(f"{key} must be text")
            out[key] = body[key].strip()
    for key in ("summary", "keywords"):
        if key in body:
            if not isinstance(body[key], list) or not all(isinstance(x, str) for x in body[key]):
                raise EditorError(f"{key} must be a list of texts")
            out[key] = [x.strip() for x in body[key] if x.strip()]
    if "chapters" in body:
        chapters = body["chapters"]
        if not isinstance(chapters, list):
            raise EditorError("chapters must be a list of {start, title}")
        clean = []
        for n, c in enumerate(chapters):
            if not isinstance(c, dict) or not isinstance(c.get("title"), str) \
                    or not isinstance(c.get("start"), (int, float)) or isinstance(c.get("start"), bool) or c["start"] < 0:
                raise EditorError(f"chapter {n} must be {{start: seconds, title: text}}")
            item = {"start": float(c["start"]), "title": c["title"].strip()}
            if c.get("url"):
                from chorus.settings import validate_http_url
                try:
                    item["url"] = validate_http_url(c["url"], f"chapter {n} url")
                except ValueError as e:
                    raise EditorError(str(e)) from None
            clean.append(item)
        starts = [c["start"] for c in clean]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise EditorError("chapters must start at different times, in order")
        out["chapters"] = clean
    return out


def merge_notes(base: dict, theirs: dict, ours: dict) -> tuple[dict, list[dict]]:
    """Three-way merge field by field: ``(merged, conflicts)``; a field both changed differently conflicts."""
    merged, conflicts = {}, []
    for key in NOTE_FIELDS:
        b, t, o = base.get(key), theirs.get(key), ours.get(key)
        if o == b or o == t:
            merged[key] = t
        elif t == b:
            merged[key] = o
        else:
            merged[key] = t
            conflicts.append({"field": key, "paragraph": None, "base": b, "ours": o, "theirs": t})
    return merged, conflicts


def updated_notes(data: dict, fields: dict) -> dict:
    """A notes revision's data with ``fields`` applied and its HTML and text rendered again."""
    before = notes_view(data)
    n = ShowNotes.from_dict(data)
    n.title, n.description = fields["title"], fields["description"]
    n.summary, n.keywords = list(fields["summary"]), list(fields["keywords"])
    old_end = max([c.end for c in n.chapters] or [0.0])
    chapters = fields["chapters"]
    ends = [c["start"] for c in chapters[1:]] + [max(old_end, chapters[-1]["start"] if chapters else 0.0)]
    n.chapters = [Chapter(c["start"], e, c["title"], c.get("url")) for c, e in zip(chapters, ends)]
    n.html = render_html(n.description, n.summary, n.people, n.chapters, n.links, n.keywords)
    n.text = render_text(n.description, n.summary, n.people, n.chapters, n.links, n.keywords,
                         n.options.max_text_bytes)
    for key in ("chapters", "keywords", "description"):
        if before[key] != fields[key]:
            n.sources[key] = "editor"
    return n.to_dict()


def notes_changes(old: dict, new: dict) -> str:
    """One line: which fields changed.

    >>> notes_changes({"title": "a", "chapters": []}, {"title": "b", "chapters": []})
    'changed title'
    """
    changed = [k for k in NOTE_FIELDS if old.get(k) != new.get(k)]
    return "changed " + ", ".join(changed) if changed else "no change"
