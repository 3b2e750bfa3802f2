"""Revisions of an edited transcript: a three-way merge of two volunteers' saves, a readable word diff, renames.

Everything works on :class:`~transcripts.alignment.EditParagraph` lists, the form the editor saves. A list is
read as one sequence of words in which each paragraph opens with a break that carries its speaker, so that
a word edit, a speaker rename and a paragraph split or join are all edits of that one sequence.

:func:`merge3` is diff3 at word level (after GNU diff3 and git's merge, but on words rather than lines):
both saves are diffed against their common base; an edit of one side whose base words no edit of the other
side touches is applied; the edits of both sides that touch the same base words (or insert at the same
place) are compared, and applied once when both sides made the same change, otherwise they conflict.
Edits next to each other do not conflict: ``ours`` fixing one word and ``theirs`` the next merge.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import lru_cache

from ._worddiff import flat_opcodes as _flat_opcodes
from ._worddiff import offsets as _offsets
from .alignment import EditParagraph, _tokens

__all__ = ["Merge", "Conflict", "DiffOp", "merge3", "word_diff", "summary", "rename_speaker"]

_NONE = "\x00"
"""Speaker of a paragraph without one, inside the break token."""


@dataclass
class Conflict:
    """Edits of both saves that overlap: the whole paragraph(s) concerned, as each version has them.
    ``paragraph`` is the index of the first of them in the base."""

    paragraph: int
    base: str
    ours: str
    theirs: str
    base_speaker: str | None = None
    ours_speaker: str | None = None
    theirs_speaker: str | None = None

    @property
    def speaker_conflict(self) -> bool:
        """Whether the two saves gave the paragraph different speakers."""
        return self.ours_speaker != self.theirs_speaker


@dataclass
class Merge:
    """Result of :func:`merge3`: the merged paragraphs, or None when there are conflicts."""

    paragraphs: list[EditParagraph] | None
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass
class DiffOp:
    """One step of a word diff. ``kind`` is ``equal``, ``insert``, ``delete`` or ``replace``; ``old`` and
    ``new`` are the words (space-separated). With ``speaker`` True the step is about a paragraph's speaker:
    ``replace`` (a rename or reassignment: old and new names), ``insert`` (a new paragraph break, new's
    speaker) or ``delete`` (a paragraph break removed). ``paragraph`` indexes the new version (for a
    deletion at the very end, its last paragraph)."""

    kind: str
    old: str
    new: str
    paragraph: int
    speaker: bool = False


def rename_speaker(paragraphs: list[EditParagraph], old: str | None, new: str | None) -> list[EditParagraph]:
    """A copy of ``paragraphs`` with every paragraph of speaker ``old`` given to ``new``.

    >>> rename_speaker([EditParagraph("Speaker 2", "Hi."), EditParagraph("Host", "Hello.")], "Speaker 2", "Amira")
    [EditParagraph(speaker='Amira', text='Hi.'), EditParagraph(speaker='Host', text='Hello.')]
    """
    new = new.strip() or None if isinstance(new, str) else new
    return [EditParagraph(new if p.speaker == old else p.speaker, p.text) for p in paragraphs]


@lru_cache(maxsize=2048)
def _toks(text: str) -> tuple[str, ...]:
    """The words of a paragraph (cached: a save compares the same paragraphs several times)."""
    return tuple(_tokens(text))


def _split(ps: list[EditParagraph]) -> tuple[list[str], list[tuple[str, ...]]]:
    return [_NONE + (p.speaker if p.speaker is not None else _NONE) for p in ps], [_toks(p.text) for p in ps]


def _flat(ps: list[EditParagraph]) -> list[str]:
    br, words = _split(ps)
    return [x for b, g in zip(br, words) for x in (b, *g)]


def _common(a: list[EditParagraph], b: list[EditParagraph]) -> tuple[int, int]:
    """How many leading paragraphs, then how many of the trailing ones left, two lists share (speaker and
    words): exactly the paragraphs the paragraph-level diff of ``flat_opcodes`` matches first, so diffing
    only the rest gives the same steps there (a save of a long transcript diffs only what changed)."""
    (ba, wa), (bb, wb) = _split(a), _split(b)
    ka = ["\x01".join((br, *g)) for br, g in zip(ba, wa)]  # flat_opcodes' own paragraph keys
    kb = ["\x01".join((br, *g)) for br, g in zip(bb, wb)]
    n = 0
    while n < len(ka) and n < len(kb) and ka[n] == kb[n]:
        n += 1
    m = 0
    while m < len(ka) - n and m < len(kb) - n and ka[-1 - m] == kb[-1 - m]:
        m += 1
    return n, m


def _hunks(base: list[EditParagraph], other: list[EditParagraph]) -> list[tuple[int, int, list[str]]]:
    """Edits from ``base`` to ``other``: ``(base start, base end, replacement tokens)``."""
    n, m = _common(base, other)
    mid_a, mid_b = base[n:len(base) - m], other[n:len(other) - m]
    (ba, wa), (bb, wb) = _split(mid_a), _split(mid_b)
    at = _offsets(_split(base[:n])[1])[-1]  # where the middle starts in the flat base
    fb = _flat(mid_b)
    return [(i1 + at, i2 + at, fb[j1:j2]) for tag, i1, i2, j1, j2 in _flat_opcodes(wa, wb, (ba, bb)) if tag != "equal"]


def _is_break(tok: str) -> bool:
    return tok.startswith(_NONE)


def _speaker(tok: str) -> str | None:
    return None if tok == _NONE + _NONE else tok[1:]


def _paragraphs(tokens: list[str]) -> list[EditParagraph]:
    speakers: list[str | None] = []
    words: list[list[str]] = []
    for t in tokens:
        if t.startswith(_NONE):
            speakers.append(_speaker(t))
            words.append([])
        elif not words:
            speakers.append(None)
            words.append([t])
        else:
            words[-1].append(t)
    return [EditParagraph(sp, " ".join(ws)) for sp, ws in zip(speakers, words)]


def _overlaps(lo: int, hi: int, a: int, b: int) -> bool:
    """Whether edit ``[a, b)`` touches the base words ``[lo, hi)`` of another edit (or inserts at its place)."""
    if a == b and lo == hi:
        return a == lo
    return a < hi and lo < b if a < b and lo < hi else lo < a < hi if a == b else a < lo < b


def merge3(base: list[EditParagraph], ours: list[EditParagraph], theirs: list[EditParagraph]) -> Merge:
    """Three-way merge of two saves made from the same ``base`` (see the module docstring).

    >>> b = [EditParagraph("Host", "we meet every month"), EditParagraph("Guest", "that is right")]
    >>> o = [EditParagraph("Host", "we meet every fortnight"), EditParagraph("Guest", "that is right")]
    >>> t = [EditParagraph("Anna", "We meet every month"), EditParagraph("Guest", "that is right.")]
    >>> merge3(b, o, t).paragraphs  # doctest: +NORMALIZE_WHITESPACE
    [EditParagraph(speaker='Anna', text='We meet every fortnight'), EditParagraph(speaker='Guest', text='that is right.')]
    >>> c = merge3(b, o, [EditParagraph("Host", "we meet every week"), b[1]])
    >>> c.paragraphs, [(x.paragraph, x.base, x.ours, x.theirs) for x in c.conflicts]
    (None, [(0, 'we meet every month', 'we meet every fortnight', 'we meet every week')])
    """
    if ours == theirs or theirs == base:
        return Merge([EditParagraph(p.speaker, p.text) for p in ours])
    if ours == base:
        return Merge([EditParagraph(p.speaker, p.text) for p in theirs])
    flat = _flat(base)
    hunks = sorted([(a, b, r, 0) for a, b, r in _hunks(base, ours)] + [(a, b, r, 1) for a, b, r in _hunks(base, theirs)],
                   key=lambda h: (h[0], h[1], h[3]))
    merged: list[str] = []
    bad: list[tuple[int, int]] = []
    pos, k = 0, 0
    while k < len(hunks):
        lo, hi = hunks[k][0], hunks[k][1]
        group = [hunks[k]]
        k += 1
        while k < len(hunks) and _overlaps(lo, hi, hunks[k][0], hunks[k][1]):
            group.append(hunks[k])
            lo, hi = min(lo, hunks[k][0]), max(hi, hunks[k][1])
            k += 1
        merged.extend(flat[pos:lo])
        pos = hi
        sides = [_apply(flat, lo, hi, [h for h in group if h[3] == s]) for s in (0, 1)]
        if len({h[3] for h in group}) == 1:
            merged.extend(sides[group[0][3]])
        elif sides[0] == sides[1]:
            merged.extend(sides[0])
        else:
            bad.append((lo, hi))
            merged.extend(flat[lo:hi])
    merged.extend(flat[pos:])
    if bad:
        return Merge(None, _conflicts(flat, hunks, bad))
    return Merge(_paragraphs(merged))


def _apply(flat: list[str], lo: int, hi: int, hunks) -> list[str]:
    out, pos = [], lo
    for a, b, r, _ in hunks:
        out.extend(flat[pos:a])
        out.extend(r)
        pos = b
    out.extend(flat[pos:hi])
    return out


def _conflicts(flat: list[str], hunks, bad) -> list[Conflict]:
    """One conflict per run of base paragraphs that conflicting edits touch, with each side's whole text there."""
    starts = [i for i, t in enumerate(flat) if _is_break(t)] or [0]
    spans: list[list[int]] = []  # [first, last] base paragraph
    for lo, hi in bad:
        first = max(bisect.bisect_right(starts, lo) - 1, 0)
        last = max(bisect.bisect_right(starts, max(hi - 1, lo)) - 1, first)
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    out = []
    for first, last in spans:
        lo = starts[first]
        hi = starts[last + 1] if last + 1 < len(starts) else len(flat)
        texts = []
        for side in (None, 0, 1):
            mine = [h for h in hunks if h[3] == side and (h[0] < hi and h[1] > lo or h[0] == h[1] and lo < h[0] <= hi)]
            a = min([lo] + [h[0] for h in mine])
            b = max([hi] + [h[1] for h in mine])
            toks = _apply(flat, a, b, mine)
            texts.append(("\n\n".join(p.text for p in _paragraphs(toks)),
                          next((_speaker(t) for t in toks if _is_break(t)), None)))
        (bt, bs), (ot, os_), (tt, ts) = texts
        out.append(Conflict(first, bt, ot, tt, bs, os_, ts))
    return out


def word_diff(old: list[EditParagraph], new: list[EditParagraph]) -> list[DiffOp]:
    """A readable word diff from ``old`` to ``new``, one run of words per step, never across paragraphs.

    >>> ops = word_diff([EditParagraph("S1", "we meet every month")], [EditParagraph("Host", "we meet each month")])
    >>> [(o.kind, o.old, o.new, o.speaker) for o in ops]
    [('replace', 'S1', 'Host', True), ('equal', 'we meet', 'we meet', False), ('replace', 'every', 'each', False), ('equal', 'month', 'month', False)]
    """
    n, m = _common(old, new)
    ops = [DiffOp("equal", t, t, i) for i, p in enumerate(new[:n]) if (t := " ".join(_toks(p.text)))]
    ops += _word_diff(old[n:len(old) - m], new[n:len(new) - m], n - 1)
    ops += [DiffOp("equal", t, t, len(new) - m + i) for i, p in enumerate(new[len(new) - m:])
            if (t := " ".join(_toks(p.text)))]
    return ops


def _word_diff(old: list[EditParagraph], new: list[EditParagraph], para: int) -> list[DiffOp]:
    """:func:`word_diff` of paragraphs that follow ``para + 1`` equal ones."""
    (ba, wa), (bb, wb) = _split(old), _split(new)
    fa, fb = _flat(old), _flat(new)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in _flat_opcodes(wa, wb, (ba, bb)):
        if tag == "equal":
            run: list[str] = []
            for t in fa[i1:i2]:
                if _is_break(t):
                    if run:
                        ops.append(DiffOp("equal", " ".join(run), " ".join(run), max(para, 0)))
                    run, para = [], para + 1
                else:
                    run.append(t)
            if run:
                ops.append(DiffOp("equal", " ".join(run), " ".join(run), max(para, 0)))
            continue
        a, b = fa[i1:i2], fb[j1:j2]
        old_br, new_br = [t for t in a if _is_break(t)], [t for t in b if _is_break(t)]
        ow, nw = [t for t in a if not _is_break(t)], [t for t in b if not _is_break(t)]
        here = max(para, 0) if not b or not _is_break(b[0]) else para + 1
        if ow or nw:
            kind = "replace" if ow and nw else "insert" if nw else "delete"
            ops.append(DiffOp(kind, " ".join(ow), " ".join(nw), here))
        for x, y in zip(old_br, new_br):
            para += 1
            if x != y:
                ops.append(DiffOp("replace", _speaker(x) or "", _speaker(y) or "", para, True))
        for y in new_br[len(old_br):]:
            para += 1
            ops.append(DiffOp("insert", "", _speaker(y) or "", para, True))
        for x in old_br[len(new_br):]:
            ops.append(DiffOp("delete", _speaker(x) or "", "", max(para, 0), True))
    return ops


def summary(ops: list[DiffOp]) -> str:
    """A short line for the revision list.

    >>> summary(word_diff([EditParagraph("S1", "we meet every month")], [EditParagraph("Host", "we met each month too")]))
    '2 words changed, 1 word added, 1 speaker renamed'
    """
    changed = sum(max(len(o.old.split()), len(o.new.split())) for o in ops if o.kind == "replace" and not o.speaker)
    added = sum(len(o.new.split()) for o in ops if o.kind == "insert" and not o.speaker)
    removed = sum(len(o.old.split()) for o in ops if o.kind == "delete" and not o.speaker)
    renamed = len({(o.old, o.new) for o in ops if o.kind == "replace" and o.speaker})
    breaks_added = sum(o.kind == "insert" and o.speaker for o in ops)
    breaks_removed = sum(o.kind == "delete" and o.speaker for o in ops)
    parts = [(changed, "word", "changed"), (added, "word", "added"), (removed, "word", "removed"),
             (renamed, "speaker", "renamed"), (breaks_added, "paragraph break", "added"),
             (breaks_removed, "paragraph break", "removed")]
    said = [f"{n} {what}{'s' if n != 1 else ''} {how}" for n, what, how in parts if n]
    return ", ".join(said) or "no changes"
