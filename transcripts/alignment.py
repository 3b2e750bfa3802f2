"""Timings that survive edits: speaker paragraphs for the editor, and the new timed transcript after a save.

A volunteer edits :func:`paragraphs` of a revision as plain text; :func:`realign` turns the edited paragraphs
back into a timed :class:`~transcripts.model.Transcript`. Word times always come from the ORIGINAL MACHINE
words, never from an earlier alignment, so nothing drifts however many saves follow one another.

How (after BBC's ``stt-align-node``, whose ``alignRefTextWithSTT`` takes difflib-style opcodes between the
normalised STT words and the corrected text, copies times for ``equal`` runs and interpolates the rest; and
hyperaudio-lite-editor's ``word-alignment.js``, an edit-distance alignment that gives an inserted word the
next word's time):

1. The edited paragraphs are diffed against the base revision's paragraphs (words and paragraph breaks).
   Each edited paragraph break lands at a place in the base, whose word there has a time: the break's cut.
   The cuts divide the MACHINE words into one window per edited paragraph (added, removed, merged and
   split paragraphs all come out of the same rule: a merged paragraph has no cut, a split one a new cut).
   Each cut is then moved to the longest pause between the last machine word its paragraph matched and
   the first one the next paragraph matched, so where it falls does not depend on the base's estimates.
2. Each edited paragraph is aligned only to the machine words of its window, so a phrase said twice cannot
   anchor on the wrong copy. Words are compared normalised (case, punctuation and accents ignored) and
   aligned by a longest common subsequence (the most words matched; difflib's longest-block-first would
   take the first copy of a repeated phrase), with patience-diff anchors on long stretches
   (:mod:`transcripts._worddiff`). ``equal`` words keep the machine word's times and confidence (origin
   ``machine`` when the text is unchanged, ``aligned`` when only its spelling or punctuation changed).
   The words of a ``replace`` share the replaced machine span in proportion to their length
   (``estimated``).
3. Inserted words fill the gap between their timed neighbours, at a natural speaking rate (next to the
   word that follows at a paragraph start, otherwise after the word before). Unlike both references, they
   never collapse onto one time (hyperaudio-lite-editor #425): when the gap is too small for
   ``MIN_WORD`` seconds a word, the neighbouring words share their time with them, by length (a neighbour
   that lends time keeps its confidence but becomes ``estimated``). Times are non-decreasing throughout.
4. Segments are rebuilt phrase by phrase inside each paragraph (never across a speaker change), so the
   caption writers work unchanged. Typed or replaced words have confidence 1.0: a person wrote them.

A gap segment (``[inaudible 12 s]``) is its own paragraph with its own window: left as it is, it stays a
marked gap; replaced by what the volunteer hears, its words share the gap's time.
"""
from __future__ import annotations

import bisect
import re
from itertools import islice
from dataclasses import dataclass
from functools import lru_cache

from ._clean import _norm, phrases
from ._worddiff import offsets as _offsets
from ._worddiff import flat_opcodes as _flat_opcodes
from ._worddiff import opcodes as _opcodes
from .model import Segment, Transcript, Word

__all__ = ["EditParagraph", "Realignment", "paragraphs", "paragraph_words", "realign", "realign_from", "MIN_WORD",
           "PARAGRAPH_WORDS"]

MIN_WORD = 0.08
"""Seconds an inserted word gets at least (borrowed from its neighbours when the gap is smaller)."""
PARAGRAPH_WORDS = 150
"""A speaker's turn longer than this many words is cut into paragraphs of about this size (at a phrase)."""
_SEC_PER_CHAR = 0.065
"""Natural length of an inserted word: about 15 characters a second, counting one for the space."""
_GAP_RE = re.compile(r"\[inaudible \d+ s\]")
_TOKEN = re.compile(r"\[inaudible \d+ s\]|\S+")


@dataclass
class EditParagraph:
    """One paragraph as the volunteer edits it: a speaker (or None) and plain text."""

    speaker: str | None
    text: str


def _tokens(text: str) -> list[str]:
    """Words of ``text``, a marked gap counting as one word.

    >>> _tokens("So [inaudible 12 s]  then")
    ['So', '[inaudible 12 s]', 'then']
    """
    return _TOKEN.findall(text)


@lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """What two words must share to match: the normalised letters, or the word itself if it has none."""
    return _norm(word) or word


def _timed_groups(t: Transcript) -> list[tuple[str | None, list[Word]]]:
    """The words of ``t`` in editor paragraphs: ``(speaker, words)``, a gap segment alone."""
    groups: list[tuple[str | None, list[Word]]] = []
    open_ = False
    for s in t.segments:
        ws = s.words or ([Word(s.text.strip(), s.start, s.end, 0.0, s.speaker)] if s.gap and s.text.strip() else [])
        if not ws:
            continue
        if s.gap:
            groups.append((s.speaker, list(ws)))
            open_ = False
            continue
        if open_ and groups[-1][0] == s.speaker and len(groups[-1][1]) < PARAGRAPH_WORDS:
            groups[-1][1].extend(ws)
        else:
            groups.append((s.speaker, list(ws)))
            open_ = True
    return groups


def paragraphs(t: Transcript) -> list[EditParagraph]:
    """Speaker paragraphs of ``t``: consecutive segments of one speaker join (a long turn is cut into
    paragraphs of about :data:`PARAGRAPH_WORDS` words); a gap segment is a paragraph of its own whose
    text, ``[inaudible 12 s]``, the volunteer may replace.

    >>> t = Transcript("en", 9, [Segment(0, 1, "Hi.", "A", [Word("Hi.", 0, 1)]),
    ...     Segment(1, 2, "You.", "A", [Word("You.", 1, 2)]), Segment(2, 5, "[inaudible 3 s]", None, [], gap=True),
    ...     Segment(5, 6, "Yes.", "B", [Word("Yes.", 5, 6)])])
    >>> [(p.speaker, p.text) for p in paragraphs(t)]
    [('A', 'Hi. You.'), (None, '[inaudible 3 s]'), ('B', 'Yes.')]
    """
    return [EditParagraph(sp, " ".join([w.text for w in ws])) for sp, ws in _timed_groups(t)]


def paragraph_words(t: Transcript) -> list[list[Word]]:
    """The timed words of each of :func:`paragraphs` of ``t`` (a gap paragraph: its one marked word).

    >>> t = Transcript("en", 2, [Segment(0, 1, "Hi.", "A", [Word("Hi.", 0, 1)]), Segment(1, 2, "Yes.", "B", [Word("Yes.", 1, 2)])])
    >>> [[w.text for w in ws] for ws in paragraph_words(t)]
    [['Hi.'], ['Yes.']]
    """
    return [ws for _, ws in _timed_groups(t)]


@dataclass
class Realignment:
    """A :func:`realign_from` result: the new ``transcript`` and, for the next save made from it, the machine
    words' keys and the *sealed* paragraphs (see :func:`realign_from`). Never modify ``transcript`` (or its
    segments and words) once another save may be realigned from it."""

    transcript: Transcript
    machine: Transcript
    _mwords: list[Word]
    _mkeys: list[str]
    _keys: list[str]
    """The key of each word of ``transcript``, in order."""
    _texts: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    """Paragraph text -> its tokens and their keys."""
    _sealed: dict[tuple, tuple[list[Word], list[Segment]]]
    """(window start, window end, speaker, tokens) of a sealed paragraph -> its words and segments."""


def realign(machine: Transcript, base: Transcript, edited: list[EditParagraph]) -> Transcript:
    """The transcript after an edit: ``edited`` (paragraphs of ``base`` as the volunteer saved them), timed
    against the words of ``machine`` (the engine's own transcript of the episode), with speakers from
    ``edited``. ``base`` only says where each edited paragraph lies in time. See the module docstring.

    >>> m = Transcript("en", 4, [Segment(0, 3, "so we meet here", "S1", [Word("so", 0, .5, .9), Word("we", .5, 1, .8),
    ...     Word("meet", 1, 1.5, .4), Word("here", 1.5, 3, .7)])])
    >>> new = realign(m, m, [EditParagraph("Ann", "So we met, right here.")])
    >>> [(w.text, w.start, w.end, w.probability, w.origin) for w in new.words()]  # doctest: +NORMALIZE_WHITESPACE
    [('So', 0, 0.5, 0.9, 'aligned'), ('we', 0.5, 1, 0.8, 'machine'), ('met,', 1.0, 1.2, 1.0, 'estimated'),
     ('right', 1.2, 1.5, 1.0, 'estimated'), ('here.', 1.5, 3, 0.7, 'aligned')]
    >>> again = realign(m, new, [EditParagraph("Ann", "So we meet here.")])  # an edit undone: machine times again
    >>> [(w.text, w.start, w.end, w.origin, w.speaker) for w in again.words()][2:]
    [('meet', 1, 1.5, 'machine', 'Ann'), ('here.', 1.5, 3, 'aligned', 'Ann')]
    """
    return realign_from(None, machine, base, edited).transcript


def realign_from(previous: Realignment | None, machine: Transcript, base: Transcript,
                 edited: list[EditParagraph]) -> Realignment:
    """:func:`realign`, reusing what ``previous`` (the realignment that made ``base``) already computed; the
    result is exactly what :func:`realign` gives (``previous`` is ignored unless it made ``base`` from
    ``machine``).

    A paragraph is *sealed* when its first and last words and the words just outside it (in the paragraphs
    before and after) all match machine words: then no inserted word borrows time across its edges, and
    its timed words depend only on its machine window, its speaker and its words. A sealed paragraph with
    the same window, speaker and words as a sealed paragraph of ``previous`` takes that paragraph's words
    and segments as they are (the same objects), so a save of a long transcript times only the paragraphs
    that changed (and any whose window moved).

    >>> m = Transcript("en", 4, [Segment(0, 1, "a b", "A", [Word("a", 0, .5), Word("b", .5, 1)]),
    ...     Segment(2, 3, "c d", "B", [Word("c", 2, 2.5), Word("d", 2.5, 3)])])
    >>> one = realign_from(None, m, m, [EditParagraph("A", "a b"), EditParagraph("B", "c x d")])
    >>> two = realign_from(one, m, one.transcript, [EditParagraph("A", "a b"), EditParagraph("B", "c y d")])
    >>> two.transcript.segments[0] is one.transcript.segments[0], two.transcript.words()[3].text
    (True, 'y')
    """
    reuse = previous is not None and previous.transcript is base and previous.machine is machine
    if reuse:
        mwords, mkeys = previous._mwords, previous._mkeys
    else:
        mwords = [w for _, ws in _timed_groups(machine) for w in ws]
        mkeys = [_key(w.text) for w in mwords]
    bgroups = _timed_groups(base)
    bwords = [w for _, ws in bgroups for w in ws]
    if reuse:
        it = iter(previous._keys)
        bkeys = [list(islice(it, len(ws))) for _, ws in bgroups]
    else:
        bkeys = [[_key(w.text) for w in ws] for _, ws in bgroups]
    texts = previous._texts if reuse else {}
    parsed = [texts.get(p.text) or _parse(p.text) for p in edited]
    etoks = [toks for toks, _ in parsed]
    ekeys = [keys for _, keys in parsed]
    cuts = _cuts(bwords, bkeys, ekeys, base.duration)
    mstarts = [w.start for w in mwords]
    bounds = [0] + [bisect.bisect_left(mstarts, c) for c in cuts] + [len(mwords)]
    for i in range(1, len(bounds)):
        bounds[i] = max(bounds[i], bounds[i - 1])
    ops = [_para_opcodes(tuple(mkeys[bounds[k]:bounds[k + 1]]), ekeys[k]) for k in range(len(edited))]
    if _refine(bounds, ops, mwords, ekeys):
        ops = [_para_opcodes(tuple(mkeys[bounds[k]:bounds[k + 1]]), ekeys[k]) for k in range(len(edited))]
    sealed = _sealed(ops, [len(toks) for toks in etoks])
    keys = [(bounds[k], bounds[k + 1], p.speaker, toks) for k, (p, toks) in enumerate(zip(edited, etoks))]
    kept = previous._sealed if reuse else {}
    out: list[Word] = []
    runs: list[tuple[int, int, tuple[float, float] | None, bool]] = []  # (first, end, replaced span, para start)
    spans_of: list[tuple[int, int]] = []  # each paragraph's words in out
    reused: dict[int, list[Segment]] = {}
    for k, (p, toks) in enumerate(zip(edited, etoks)):
        first = len(out)
        hit = kept.get(keys[k]) if sealed[k] else None
        if hit is not None:
            out.extend(hit[0])
            reused[k] = hit[1]
            spans_of.append((first, len(out)))
            continue
        window = mwords[bounds[k]:bounds[k + 1]]
        for tag, i1, i2, j1, j2 in ops[k]:
            if tag == "equal":
                for mw, text in zip(window[i1:i2], toks[j1:j2]):
                    out.append(Word(text, mw.start, mw.end, mw.probability, p.speaker,
                                    "machine" if text == mw.text and mw.origin == "machine" else "aligned"))
                continue
            if j1 == j2:
                continue  # machine words deleted
            span = (window[i1].start, window[i2 - 1].end) if i2 > i1 else None
            runs.append((len(out), len(out) + j2 - j1, span, len(out) == first))
            out.extend(Word(x, -1.0, -1.0, 1.0, p.speaker, "estimated") for x in toks[j1:j2])
        spans_of.append((first, len(out)))
    spans = {a: span for a, _, span, _ in runs if span}
    for run in runs:
        _fill(out, *run, duration=max(base.duration, machine.duration), spans=spans)
    new, segs_of = _rebuild(base, out, spans_of, reused)
    keep = {keys[k]: (out[a:b], segs_of[k]) for k, (a, b) in enumerate(spans_of) if sealed[k]}
    return Realignment(new, machine, mwords, mkeys, [x for keys in ekeys for x in keys],
                       {p.text: pk for p, pk in zip(edited, parsed)}, keep)


def _parse(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    toks = tuple(_tokens(text))
    return toks, tuple(map(_key, toks))


def _sealed(ops, sizes: list[int]) -> list[bool]:
    """For each paragraph: whether it is sealed (see :func:`realign_from`): it has words, its first and last
    words match machine words, and so do the last word before it and the first word after it."""
    first_eq, last_eq = [], []
    for kops, n in zip(ops, sizes):
        eq = [op for op in kops if op[0] == "equal" and op[4] > op[3]]
        first_eq.append(bool(eq) and eq[0][3] == 0)
        last_eq.append(bool(eq) and eq[-1][4] == n)
    out = [False] * len(sizes)
    before = True  # the last word so far matched a machine word (or there is none)
    nonempty = [k for k, n in enumerate(sizes) if n]
    for x, k in enumerate(nonempty):
        after = first_eq[nonempty[x + 1]] if x + 1 < len(nonempty) else True
        out[k] = before and first_eq[k] and last_eq[k] and after
        before = last_eq[k]
    return out


def _refine(bounds: list[int], ops, mwords: list[Word], ekeys) -> bool:
    """Move each cut between two paragraphs to the longest pause between the last machine word the first
    matched and the first one the second matched (turns are separated by pauses), so that where a cut falls
    depends on the machine words and the edited text only, not on the base revision's estimates. True if
    any cut moved."""
    first: list[int | None] = []
    last: list[int | None] = []
    for k, kops in enumerate(ops):
        eq = [o for o in kops if o[0] == "equal"]
        first.append(bounds[k] + eq[0][1] if eq else None)
        last.append(bounds[k] + eq[-1][2] - 1 if eq else None)
    moved = False
    for k in range(len(ops) - 1):
        a, b = last[k], first[k + 1]
        if a is None or b is None or not a < bounds[k + 1] <= b:
            continue
        cut = max(range(a + 1, b + 1), key=lambda c: (mwords[c].start - mwords[c - 1].end, -c))
        if cut != bounds[k + 1]:
            bounds[k + 1], moved = cut, True
    return moved


def _cuts(bwords: list[Word], bkeys: list[list[str]], ekeys, duration: float) -> list[float]:
    """For each edited paragraph after the first, the time at which it starts in the base: the time of the
    base word at (or after) the place in the base where its opening break lands."""
    boffs = _offsets(bkeys)[:-1]  # where each base paragraph's break is in the flat base
    eoffs = _offsets(ekeys)[:-1]
    cuts: list[float] = []
    k = 1
    for tag, i1, i2, j1, j2 in _flat_opcodes(bkeys, ekeys):
        while k < len(eoffs) and eoffs[k] < j2:
            j = eoffs[k]
            pos = i1 + (j - j1) if tag == "equal" else i1 + (j - j1) * (i2 - i1) // max(j2 - j1, 1)
            w = pos - bisect.bisect_left(boffs, pos)  # base words before that place
            cuts.append(bwords[w].start if w < len(bwords) else (bwords[-1].end if bwords else duration))
            k += 1
    return cuts


@lru_cache(maxsize=4096)
def _para_opcodes(window: tuple[str, ...], edited: tuple[str, ...]) -> tuple[tuple[str, int, int, int, int], ...]:
    """Opcodes of one paragraph against its machine window (cached: most paragraphs are the same each save)."""
    if window == edited:
        return (("equal", 0, len(window), 0, len(edited)),) if window else ()
    return tuple(_opcodes(list(window), list(edited)))


def _natural(words: list[Word]) -> float:
    return sum(len(_key(w.text)) + 1 for w in words) * _SEC_PER_CHAR


def _fill(out: list[Word], a: int, b: int, span, para_start: bool, duration: float, spans: dict) -> None:
    """Time the untimed words ``out[a:b]``: within ``span`` (a replaced machine span) or the gap between the
    timed neighbours (or the span of a replacement still to time), borrowing from the neighbours when there
    is less than :data:`MIN_WORD` a word."""
    run = out[a:b]
    prev = out[a - 1] if a > 0 else None
    k = b
    while k < len(out) and out[k].start < 0 and k not in spans:
        k += 1
    nxt = out[k] if k < len(out) and out[k].start >= 0 else None
    lo_free = prev.end if prev else 0.0
    hi_free = nxt.start if nxt else spans[k][0] if k in spans else max(duration, lo_free)
    natural = _natural(run)
    if span:
        lo, hi = max(span[0], lo_free), min(span[1], hi_free)
    elif prev is None or (para_start and nxt is not None):
        hi = hi_free
        lo = max(lo_free, hi - natural)
    else:
        lo = lo_free
        hi = min(hi_free, lo + natural)
    need = MIN_WORD * len(run)
    if hi - lo < need:  # widen into free time first, then borrow from the neighbours
        lo = max(lo_free, min(lo, hi - need))
        hi = min(hi_free, max(hi, lo + need))
    if hi - lo < need:  # still too small: the neighbours share their time with the run, by length
        if prev is not None:
            lo, prev.origin, run = prev.start, "estimated", [prev, *run]
        if nxt is not None and k == b:
            hi, nxt.origin, run = nxt.end, "estimated", [*run, nxt]
    weights = [len(_key(w.text)) + 1 for w in run]
    total, acc = sum(weights), 0
    for w, wt in zip(run, weights):
        w.start = round(lo + (hi - lo) * acc / total, 3)
        acc += wt
        w.end = round(lo + (hi - lo) * acc / total, 3)


def _rebuild(base: Transcript, words: list[Word], spans_of: list[tuple[int, int]],
             reused: dict[int, list[Segment]]) -> tuple[Transcript, list[list[Segment]]]:
    """Segments phrase by phrase within each paragraph (a paragraph in ``reused`` keeps its segments); a lone
    ``[inaudible N s]`` word stays a gap segment. Returns the transcript and each paragraph's segments."""
    segments: list[Segment] = []
    segs_of: list[list[Segment]] = []
    for k, (i, j) in enumerate(spans_of):
        para = words[i:j]
        if k in reused:
            mine = reused[k]
        elif not para:
            mine = []
        elif len(para) == 1 and _GAP_RE.fullmatch(para[0].text) and para[0].origin == "machine":
            w = para[0]
            mine = [Segment(w.start, w.end, w.text, w.speaker, [w], gap=True)]
        else:
            mine = phrases(para)
        segs_of.append(mine)
        segments.extend(mine)
    return (Transcript(base.language, base.duration, segments, base.options, base.engine, base.model,
                       base.coverage, [(s.start, s.end) for s in segments if s.gap]), segs_of)
