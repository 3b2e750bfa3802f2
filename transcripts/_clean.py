"""Guards against invented text, timing snapped to speech, glossary spelling, words grouped into phrases."""
from __future__ import annotations

import bisect
import re
from difflib import SequenceMatcher

from .model import Segment, TranscribeOptions, Word


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


def _drop_loops(words: list[Word], max_repeats: int = 3) -> list[Word]:
    """Remove n-gram repetition loops (the same 1-6 words more than ``max_repeats`` times in a row).

    >>> [w.text for w in _drop_loops([Word(t, i, i + .5) for i, t in enumerate("a b a b a b a b a b c".split())])]
    ['a', 'b', 'a', 'b', 'a', 'b', 'c']
    """
    toks = [_norm(w.text) for w in words]
    out: list[Word] = []
    i = 0
    while i < len(words):
        cut = 0
        for n in range(1, 7):
            gram = toks[i:i + n]
            if len(gram) < n or not any(gram):
                break
            reps = 1
            while toks[i + reps * n:i + (reps + 1) * n] == gram:
                reps += 1
            if reps > max_repeats:
                cut = max(cut, n * reps)
                out.extend(words[i:i + n * max_repeats])
                i += n * reps
                break
        if not cut:
            out.append(words[i])
            i += 1
    return out


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
    """Lower-case letters and digits only.

    >>> _norm("#TherapistsConnect,")
    'therapistsconnect'
    """
    return re.sub(r"[^0-9a-z]", "", text.lower())


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
