"""Guards against invented text, timing snapped to speech, glossary spelling, words grouped into phrases."""
from __future__ import annotations

import bisect
import re
import unicodedata
from difflib import SequenceMatcher

from .model import Segment, TranscribeOptions, Word

__all__ = ["guard", "snap", "apply_glossary", "phrases", "uncovered", "coverage", "gap_segments",
           "REACH", "GAP_MIN"]


def guard(words: list[Word], speech: list[tuple[float, float]], options: TranscribeOptions) -> list[Word]:
    """Drop words that lie outside speech, repetition loops and (optionally) very unsure words."""
    kept = [w for w in words if _in_speech(w, speech) and w.probability >= options.min_word_probability]
    return _drop_loops(kept)


def _in_speech(w: Word, speech: list[tuple[float, float]], tol: float = 0.25) -> bool:
    """True when the word overlaps a speech region (with ``tol`` seconds of slack)."""
    if not speech:
        return False
    i = bisect.bisect_right([s for s, _ in speech], w.end + tol) - 1
    return i >= 0 and speech[i][1] + tol >= w.start


_SHORT_GRAM = 3
"""Repeats of up to this many words are speech-like ("no, no, no"): up to ``max_repeats`` copies are kept."""
_LONG_GRAM = 40
"""Longest repeated run of words looked for (a looping sentence)."""


def _drop_loops(words: list[Word], max_repeats: int = 3) -> list[Word]:
    """Remove repetition loops, compared on :func:`_norm` tokens (any script).

    A run of 1-3 words said more than ``max_repeats`` times in a row keeps ``max_repeats`` copies; a longer
    run (4-40 words: a phrase or sentence) said three or more times in a row is a decoder loop and keeps one.

    >>> [w.text for w in _drop_loops([Word(t, i, i + .5) for i, t in enumerate("a b a b a b a b a b c".split())])]
    ['a', 'b', 'a', 'b', 'a', 'b', 'c']
    >>> len(_drop_loops([Word("ย", i, i + .1) for i in range(300)]))  # Thai script
    3
    >>> s = "we meet every second tuesday at the library on main street.".split()
    >>> " ".join(w.text for w in _drop_loops([Word(t, i, i + .5) for i, t in enumerate(s * 5 + ["Bye."])]))
    'we meet every second tuesday at the library on main street. Bye.'
    """
    toks = [_norm(w.text) for w in words]
    out: list[Word] = []
    i = 0
    while i < len(words):
        loop = _loop_at(toks, i, max_repeats)
        if loop:
            n, reps, keep = loop
            out.extend(words[i:i + n * keep])
            i += n * reps
        else:
            out.append(words[i])
            i += 1
    return out


def _loop_at(toks: list[str], i: int, max_repeats: int) -> tuple[int, int, int] | None:
    """``(words in the repeated run, times in a row, copies to keep)`` of a loop starting at ``toks[i]``."""
    for n in range(1, min(_LONG_GRAM, (len(toks) - i) // 2) + 1):
        if toks[i + n] != toks[i]:  # cheap test first: the run must start again right after itself
            continue
        gram = toks[i:i + n]
        if not any(gram):
            continue
        reps = 1
        while toks[i + reps * n:i + (reps + 1) * n] == gram:
            reps += 1
        keep = max_repeats if n <= _SHORT_GRAM else 1
        if reps > max(keep, 2):
            return n, reps, keep
    return None


def snap(words: list[Word], speech: list[tuple[float, float]], reach: float = 1.5) -> list[Word]:
    """Move word boundaries that fall in non-speech onto the nearest speech edge.

    A word starting in a pause is moved to where speech resumes (within ``reach`` seconds), so that
    cues after a pause do not start early; ends that run into silence are pulled back to the speech end.

    >>> [(w.start, w.end) for w in snap([Word("back", 9.0, 10.4)], [(0.0, 2.0), (10.0, 11.0)])]
    [(10.0, 10.4)]
    """
    if not speech:
        return words
    starts = [s for s, _ in speech]
    out = []
    for w in words:
        start, end = w.start, w.end
        i = bisect.bisect_right(starts, start) - 1
        if i < 0 or start > speech[i][1]:  # the start is in a pause: jump to the next speech onset
            j = i + 1
            if j < len(speech) and speech[j][0] - start <= reach and speech[j][0] < end:
                start = speech[j][0]
        k = bisect.bisect_right(starts, end) - 1
        if k >= 0 and speech[k][1] < end and end - speech[k][1] <= reach and speech[k][1] > start:
            end = speech[k][1]
        out.append(Word(w.text, round(start, 3), round(max(end, start + 0.02), 3), w.probability, w.speaker))
    for a, b in zip(out, out[1:]):  # keep order after moves
        if b.start < a.start:
            b.start = a.start
        if a.end > b.start:
            a.end = max(a.start + 0.01, b.start)
    return out


def _norm(text: str) -> str:
    """Case-folded letters, digits and combining marks only, in any script (NFKC).

    >>> _norm("#TherapistsConnect,"), _norm("Søren."), _norm("ย"), _norm("Straße")
    ('therapistsconnect', 'søren', 'ย', 'strasse')
    """
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold()
                   if unicodedata.category(c)[0] in "LNM")


_LEAD = {"hashtag", "hash"}


def apply_glossary(words: list[Word], glossary: list[str], threshold: float = 0.84) -> list[Word]:
    """Respell runs of 1-4 words that sound like a glossary term as that term (trailing punctuation kept).

    >>> g = ["#TherapistsConnect", "BACP", "SCoPEd"]
    >>> ws = [Word(t, i, i + 1) for i, t in enumerate("join hashtag therapists connect and the B.A.C.P.".split())]
    >>> " ".join(w.text for w in apply_glossary(ws, g))
    'join #TherapistsConnect and the BACP.'
    """
    terms = [(t, _norm(t)) for t in glossary if _norm(t)]
    if not terms:
        return words
    out: list[Word] = []
    i = 0
    while i < len(words):
        best = None
        for n in range(4, 0, -1):
            run = words[i:i + n]
            if len(run) < n:
                continue
            body = [w for w in run if _norm(w.text) not in _LEAD] if n > 1 else run
            joined = "".join(_norm(w.text) for w in body)
            if not joined:
                continue
            for term, key in terms:
                if len(key) < 3 and joined != key:
                    continue
                score = 1.0 if joined == key else SequenceMatcher(None, joined, key).ratio()
                if score < 1.0 and len(body) > 1 and not _edges_match(body, key):
                    continue
                if score >= threshold and (best is None or score > best[0] + 1e-9):
                    best = (score, n, term)
            if best and best[0] == 1.0:
                break
        if best:
            _, n, term = best
            run = words[i:i + n]
            tail = re.search(r"[.,;:!?]+$", run[-1].text)
            text = term + (tail.group(0) if tail and not term.endswith(tail.group(0)) else "")
            out.append(Word(text, run[0].start, run[-1].end, min(w.probability for w in run), run[0].speaker))
            i += n
        else:
            out.append(words[i])
            i += 1
    return out


def _edges_match(body: list[Word], key: str) -> bool:
    """The first word must sound like the term's start and the last like its end."""
    first, last = _norm(body[0].text), _norm(body[-1].text)
    return (SequenceMatcher(None, first, key[:len(first)]).ratio() >= 0.7
            and SequenceMatcher(None, last, key[-len(last):]).ratio() >= 0.7)


REACH = 0.6
"""A word covers the speech up to this many seconds either side of it: Whisper's word times are often
0.2-0.5 s off, and the VAD pads each region by 0.2 s and keeps pauses under 0.3 s inside it."""
GAP_MIN = 1.0
"""An uncovered stretch of speech at least this long (about three words at 2.7 words a second, with
``REACH`` each side) is a marked gap; shorter ones still count against the coverage."""


def uncovered(words: list[Word], speech: list[tuple[float, float]], reach: float = REACH) -> list[tuple[float, float]]:
    """The stretches of ``speech`` with no word within ``reach`` seconds, in time order.

    >>> uncovered([Word("a", 1.0, 1.4), Word("b", 9.0, 9.5)], [(0.5, 4.0), (8.8, 9.6), (12.0, 13.0)])
    [(2.0, 4.0), (12.0, 13.0)]
    """
    spans: list[list[float]] = []
    for w in sorted(words, key=lambda w: w.start):
        a, b = w.start - reach, w.end + reach
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    starts = [a for a, _ in spans]
    out: list[tuple[float, float]] = []
    for s, e in speech:
        t = s
        for a, b in spans[max(0, bisect.bisect_right(starts, s) - 1):]:
            if a >= e:
                break
            if b <= t:
                continue
            if a > t:
                out.append((round(t, 3), round(a, 3)))
            t = max(t, b)
        if e - t > 1e-6:
            out.append((round(t, 3), round(e, 3)))
    return out


def coverage(speech: list[tuple[float, float]], holes: list[tuple[float, float]]) -> float:
    """Seconds of speech that have words / seconds of speech (1.0 when there is no speech).

    >>> coverage([(0.0, 10.0), (20.0, 30.0)], [(5.0, 10.0)])
    0.75
    """
    total = sum(e - s for s, e in speech)
    return 1.0 if total <= 0 else round(max(0.0, 1.0 - sum(e - s for s, e in holes) / total), 4)


def gap_segments(holes: list[tuple[float, float]], words: list[Word], min_gap: float = GAP_MIN) -> list[Segment]:
    """A marked gap segment (``[inaudible 12 s]``, one word of confidence 0) for each stretch of ``min_gap`` s or
    more without words; holes with no word between them (only a pause) make one stretch.

    >>> gs = gap_segments([(3.0, 3.5), (10.2, 16.0), (16.4, 22.0)], [Word("a", 4.0, 4.5)])
    >>> [(g.start, g.end, g.text, g.gap, g.words[0].probability) for g in gs]
    [(10.2, 22.0, '[inaudible 12 s]', True, 0.0)]
    """
    mids = sorted((w.start + w.end) / 2 for w in words)
    runs: list[list[float]] = []
    for s, e in holes:
        if runs and bisect.bisect_left(mids, runs[-1][1]) == bisect.bisect_left(mids, s):
            runs[-1][1] = e
        else:
            runs.append([s, e])
    out = []
    for s, e in runs:
        if e - s >= min_gap:
            text = f"[inaudible {max(1, round(e - s))} s]"
            out.append(Segment(s, e, text, None, [Word(text, s, e, 0.0)], gap=True))
    return out


_SENT_END = re.compile(r"[.!?]['\")\]]*$")


def phrases(words: list[Word], max_words: int = 40, max_gap: float = 1.5) -> list[Segment]:
    """Group words into segments: a new one at each speaker change, long pause or after a sentence
    once the segment has some length.

    >>> [s.text for s in phrases([Word("Hi.", 0, .4, 1, "A"), Word("Hello", .5, .9, 1, "B"), Word("there.", 1, 1.3, 1, "B")])]
    ['Hi.', 'Hello there.']
    """
    segs: list[Segment] = []
    cur: list[Word] = []

    def flush():
        if cur:
            segs.append(Segment(cur[0].start, cur[-1].end, " ".join(w.text for w in cur), cur[0].speaker, list(cur)))
            cur.clear()

    for w in words:
        if cur and (w.speaker != cur[-1].speaker or w.start - cur[-1].end > max_gap or len(cur) >= max_words
                    or (_SENT_END.search(cur[-1].text) and len(cur) >= 12)):
            flush()
        cur.append(w)
    flush()
    return segs
