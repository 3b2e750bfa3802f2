"""Redaction of timed words and of every text made from them: plain Python, no I/O.

A redacted span becomes one word ``[redacted]`` (the start of its first word, the end of its last, the
speaker kept, probability 1, origin ``redacted``), and so does every other occurrence of the same phrase.
Other texts (notes, chapter titles, keywords, drafts, earlier revisions) are scrubbed of the removed
phrases: case-insensitive, whole words, tolerant of punctuation and spacing between the words; a
number also matches written with other spacing (``07700 900123`` and ``07700900123``) or spoken
(``oh seven seven double oh``).

The removed words are never stored. What the check after republishing searches for is a set of salted
SHA-256 digests (:func:`phrase_digests`), which :func:`count_digests` finds again in any text.

>>> scrub_text("Call Jane  Doe, or jane-doe.", ["jane doe"])
'Call [redacted], or [redacted].'
"""
from __future__ import annotations

import copy
import hashlib
import re
from bisect import bisect_right
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Iterable

from transcripts.model import Segment, Transcript, Word

__all__ = ["REDACTED", "redact_words", "scrub_text", "scrub_notes", "scrub_transcript", "scrub_data",
           "phrase_digests", "count_digests", "scrub_terms", "tokens", "to_data", "NAME_KINDS"]

REDACTED = "[redacted]"
NAME_KINDS = ("person", "place", "workplace")
"""Kinds whose single tokens identify too (a surname said alone later), so they are scrubbed and digested."""
_MIN_DIGITS = 6
"""A number counts on its digits alone (any spacing, written or spoken) from this many digits: phones, NHS numbers."""
_SPOKEN = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
           "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_REPEAT = {"double": 2, "triple": 3}
# Words that say what a place is rather than which: never digested or scrubbed on their own.
_GENERIC = frozenset("""street road lane avenue drive close way place square court crescent park hill green
gardens terrace house hall tower building centre center clinic hospital surgery practice trust health healthcare
mental service services school college university academy nursery church chapel mosque temple station ward
unit council community primary secondary group company limited ltd plc inc office north south east west
new old great upper lower saint royal city town village county london england scotland wales ireland
britain united kingdom national general medical the and mrs miss""".split())
_TOKEN = re.compile(r"[^\W_]+")
_SEP = r"[\W_]+"


def tokens(text: str) -> list[str]:
    """Lower-case letter/digit runs: what phrases are compared by (punctuation and spacing aside).

    >>> tokens("O'Brien, 07700-900123!")
    ['o', 'brien', '07700', '900123']
    """
    return _TOKEN.findall(text.lower())


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from transcripts.notes._text import stopwords  # YAKE's English stop list (a file inside the package)

    return stopwords("en") | _GENERIC


def _digits(toks: list[str], partial: bool = False) -> str | None:
    """The digits a run of tokens says, written or spoken, or None when any token is not a number word
    (or, unless ``partial``, when it ends on "double" or "triple").

    >>> _digits(["oh", "seven", "double", "five", "123"])
    '0755123'
    """
    out, repeat = [], 1
    for t in toks:
        if t in _REPEAT:
            repeat = _REPEAT[t]
            continue
        d = t if t.isdigit() else _SPOKEN.get(t)
        if d is None:
            return None
        out.append(d[0] * repeat + d[1:])
        repeat = 1
    return "".join(out) if repeat == 1 or partial else None


def scrub_terms(phrase: str, kind: str = "manual", keep: Iterable[str] = ()) -> list[str]:
    """What redacting ``phrase`` removes everywhere: the normalised phrase; its digits when it is a number
    of at least six digits; for names (``NAME_KINDS``) each token of 3+ letters, and for ``manual`` each
    capitalised one, that is not a common word nor a token of ``keep`` (the episode's known people).

    >>> scrub_terms("Jane Doe", "person", keep=["Jane Smith"])
    ['jane doe', 'doe']
    >>> scrub_terms("oh seven seven double oh nine", "phone")
    ['oh seven seven double oh nine', '077009']
    """
    toks = tokens(phrase)
    if not toks:
        return []
    out = [" ".join(toks)]
    digits = _digits(toks)
    if digits and len(digits) >= _MIN_DIGITS and digits not in out:
        out.append(digits)
    kept = {t for k in keep for t in tokens(k)}
    if kind in NAME_KINDS:
        singles = toks
    elif kind == "manual":
        singles = [m.group(0).lower() for m in _TOKEN.finditer(phrase) if m.group(0)[:1].isupper()]
    else:
        singles = []
    for t in singles:
        if len(toks) > 1 and len(t) >= 3 and t.isalpha() and t not in kept and t not in _common() and t not in out:
            out.append(t)
    return out


def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    parts = []
    for term in sorted({t for t in terms if tokens(t)}, key=lambda t: -len(t)):
        toks = tokens(term)
        digits = _digits(toks)
        if len(toks) == 1 and toks[0].isdigit() and len(toks[0]) >= _MIN_DIGITS:
            parts.append(r"(?<!\d)" + r"[\W_]*".join(toks[0]) + r"(?!\d)")
        else:
            parts.append(r"(?<![^\W_])" + _SEP.join(map(re.escape, toks)) + r"(?![^\W_])")
        if digits and len(digits) >= _MIN_DIGITS and len(toks) > 1:
            parts.append(r"(?<!\d)" + r"[\W_]*".join(digits) + r"(?!\d)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def scrub_text(text: str, phrases: Iterable[str]) -> str:
    """``text`` with each phrase (case-insensitive, whole words, any punctuation or spacing between its
    words; a long number with any spacing) replaced by ``[redacted]``.

    >>> scrub_text("ring 07700 900 123 now", ["07700900123"])
    'ring [redacted] now'
    """
    pattern = _pattern(phrases)
    return pattern.sub(REDACTED, text) if pattern and text else text


def scrub_data(value: Any, phrases: Iterable[str], skip: tuple[str, ...] = ()) -> Any:
    """A JSON-like value with every string scrubbed (dict keys in ``skip`` left as they are). Containers are
    new; unchanged leaves are shared with ``value``."""
    pattern = _pattern(phrases)
    if pattern is None:
        return copy.deepcopy(value)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return pattern.sub(REDACTED, v) if pattern.search(v) else v
        if isinstance(v, dict):
            return {k: (copy.deepcopy(x) if k in skip else walk(x)) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value)


def _texts(data: dict) -> list[str | None]:
    """Every word's text, in order (as ``Transcript.words()``); None for a word already redacted."""
    return [None if w["text"] == REDACTED else w["text"] for seg in data["segments"] for w in seg.get("words") or []]


def _matches(texts: list[str | None], terms: Iterable[str]) -> list[tuple[int, int]]:
    """``(first, last)`` word ranges whose tokens say a term (the last word may go on: ``Jane's``)."""
    wt = [tokens(x) if x is not None else None for x in texts]
    found = []
    for term in {t for t in terms if tokens(t)}:
        want = tokens(term)
        digits = want[0] if len(want) == 1 and want[0].isdigit() and len(want[0]) >= _MIN_DIGITS else None
        for i, first in enumerate(wt):
            if not first or (digits is None and first[0] != want[0]) or (digits is not None and _digits(first[:1], partial=True) is None):
                continue
            got: list[str] = []
            for j in range(i, len(wt)):
                if wt[j] is None:
                    break
                got += wt[j]
                if digits is not None:
                    said = _digits(got, partial=True)
                    if said is None or not digits.startswith(said):
                        break
                    if said == digits:
                        found.append((i, j))
                        break
                    continue
                if got[:len(want)] != want[:len(got)]:
                    break
                if len(got) >= len(want):
                    found.append((i, j))
                    break
    return found


def _collapse(data: dict, marked: set[int]) -> tuple[dict, list[tuple[float, float]]]:
    """Each run of marked words within a segment as one ``[redacted]`` word (``Transcript.to_dict()`` shape;
    gap segments untouched); the runs' time spans."""
    segs, spans, n = [], [], 0
    for seg in data["segments"]:
        words = seg.get("words") or []
        if seg.get("gap") or not any(k in marked for k in range(n, n + len(words))):
            segs.append(seg)
            n += len(words)
            continue
        out: list[dict] = []
        previous = False
        for w in words:
            if n in marked:
                if previous:
                    out[-1]["end"] = max(out[-1]["end"], w["end"])
                    spans[-1] = (spans[-1][0], out[-1]["end"])
                else:
                    out.append({**w, "text": REDACTED, "probability": 1.0, "origin": "redacted"})
                    spans.append((w["start"], w["end"]))
            else:
                out.append(w)
            previous = n in marked
            n += 1
        segs.append({**seg, "words": out, "text": " ".join(str(w["text"]).strip() for w in out)})
    return {**data, "segments": segs}, spans


def to_data(t: Transcript) -> dict:
    """``t.to_dict()`` without ``dataclasses.asdict``'s deep copy (a 20,000-word transcript in a fraction)."""
    segs = [{"start": s.start, "end": s.end, "text": s.text, "speaker": s.speaker, "gap": s.gap,
             "words": [dict(vars(w)) for w in s.words]} for s in t.segments]
    out = {k: v for k, v in vars(t).items() if k not in ("segments", "options", "gaps")}
    return {**out, "segments": segs, "options": asdict(t.options), "gaps": [tuple(g) for g in t.gaps]}


def redact_words(t: Transcript, first: int, last: int, also: Iterable[str] = ()
                 ) -> tuple[Transcript, list[tuple[float, float]], list[str]]:
    """Replace words ``first..last`` and every other occurrence of the same phrase (and of each term in
    ``also``, e.g. from :func:`scrub_terms`) by ``[redacted]``. Returns the new transcript, the time span
    of every occurrence, and the removed phrases, normalised (for digests and scrubbing; never store them).
    Words already redacted are left alone, so redacting the same span twice changes nothing.

    >>> t = Transcript("en", 9, [Segment(0, 9, "", "A", [Word(x, i, i + .5) for i, x in
    ...     enumerate("I saw Jane Doe, and jane doe saw me".split())])])
    >>> new, spans, said = redact_words(t, 2, 3)
    >>> new.text(), spans, said
    ('I saw [redacted] and [redacted] saw me', [(2, 3.5), (5, 6.5)], ['jane doe'])
    """
    data = to_data(t)
    texts = _texts(data)
    if not 0 <= first <= last < len(texts):
        raise ValueError(f"words {first}-{last} are not in this transcript (it has {len(texts)} words, 0-"
                         f"{len(texts) - 1})")
    phrase = " ".join(tokens(" ".join(x for x in texts[first:last + 1] if x is not None)))
    terms = [x for x in dict.fromkeys([phrase, *(" ".join(tokens(a)) for a in also)]) if x]
    marked = {i for i in range(first, last + 1) if texts[i] is not None}
    for i, j in _matches(texts, terms):
        marked.update(range(i, j + 1))
    new, spans = _collapse(data, marked)
    return Transcript.from_dict(new), spans, terms


def _overlapping(data: dict, spans: list[tuple[float, float]]) -> set[int]:
    """Indices of words (not yet redacted) that lie more than half inside a span (or, timeless, at one)."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = [a for a, _b in merged]
    out, n = set(), 0
    for seg in data["segments"]:
        for w in seg.get("words") or []:
            ws, we = w["start"], w["end"]
            k = bisect_right(starts, we) - 1
            if k >= 0 and merged[k][1] >= ws and w["text"] != REDACTED:
                length = we - ws
                inside = sum(max(min(we, b) - max(ws, a), 0.0) for a, b in merged[max(k - 1, 0):k + 1])
                if (length > 0 and inside > 0.5 * length) or (length <= 0 and merged[k][0] <= ws <= merged[k][1]):
                    out.add(n)
            n += 1
    return out


def scrub_transcript(data: dict, spans: Iterable[Iterable[float]], phrases: Iterable[str]) -> dict:
    """An earlier transcript revision (``Transcript.to_dict()``) scrubbed: words overlapping a redacted
    span by more than half their length, and word runs that say a phrase, become ``[redacted]``; every
    other string in it (segment texts, glossary, speakers) is scrubbed of the phrases."""
    phrases = list(phrases)
    marked = _overlapping(data, [(float(a), float(b)) for a, b in spans])
    for i, j in _matches(_texts(data), phrases):
        marked.update(range(i, j + 1))
    new, _spans = _collapse(data, marked)
    return _scrub_strings(new, phrases)


def _scrub_strings(data: dict, phrases: list[str]) -> dict:
    """:func:`scrub_data` for a transcript dict, quick: only segments and words that say a phrase are copied."""
    pattern = _pattern(phrases)
    if pattern is None:
        return data

    def says(*values: Any) -> bool:
        return any(isinstance(v, str) and pattern.search(v) for v in values)

    named = {sp for sp in {w.get("speaker") for seg in data["segments"] for w in seg.get("words") or []} if says(sp)}
    segs = []
    for seg in data["segments"]:
        words = seg.get("words") or []
        hits = [k for k, w in enumerate(words)
                if (isinstance(w.get("text"), str) and pattern.search(w["text"])) or w.get("speaker") in named]
        if hits or says(seg.get("text"), seg.get("speaker")):
            words = list(words)
            for k in hits:
                words[k] = scrub_data(words[k], phrases)
            seg = {**scrub_data({k: v for k, v in seg.items() if k != "words"}, phrases), "words": words}
        segs.append(seg)
    return {**scrub_data({k: v for k, v in data.items() if k != "segments"}, phrases), "segments": segs}


def scrub_notes(notes: dict, phrases: Iterable[str]) -> dict:
    """Show notes (``ShowNotes.to_dict()``) scrubbed: title, description, summary, chapter titles, links,
    soundbites; a keyword that says (part of) a phrase is dropped; the HTML and text are rendered again."""
    from transcripts.notes import ShowNotes
    from transcripts.notes._render import render_html, render_text

    phrases = [p for p in phrases if tokens(p)]
    if not phrases:
        return copy.deepcopy(notes)
    out = scrub_data(notes, phrases, skip=("options", "sources"))
    drop = [tokens(p) for p in phrases]
    out["keywords"] = [k for k in out.get("keywords") or []
                       if REDACTED not in k and not any(_within(tokens(k), p) or _within(p, tokens(k)) for p in drop)]
    try:
        n = ShowNotes.from_dict(out)
        out["html"] = render_html(n.description, n.summary, n.people, n.chapters, n.links, n.keywords)
        out["text"] = render_text(n.description, n.summary, n.people, n.chapters, n.links, n.keywords,
                                  n.options.max_text_bytes)
    except (TypeError, KeyError):  # an older shape: its scrubbed html/text stay
        pass
    return scrub_data(out, phrases, skip=("options", "sources"))


def _within(part: list[str], whole: list[str]) -> bool:
    """Whether the token list ``part`` occurs in ``whole``."""
    return bool(part) and any(whole[i:i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def _digest(salt: bytes, text: str) -> str:
    return hashlib.sha256(salt + text.encode()).hexdigest()


def phrase_digests(phrases: Iterable[str], kind: str, salt: bytes, keep: Iterable[str] = ()) -> dict:
    """``{"salt": hex, "phrases": [digest, ...], "max_tokens": n}``: salted SHA-256 of each phrase's
    normalised form (and of its digits, when it says a number of six or more), and for names of each
    distinctive token not in ``keep`` (:func:`scrub_terms`). What ``Redaction.digests`` stores instead of
    the words."""
    keep = list(keep)
    out: set[str] = set()
    longest = 1
    for p in phrases:
        for term in scrub_terms(p, kind, keep):
            toks = tokens(term)
            longest = max(longest, len(toks))
            out.add(_digest(salt, " ".join(toks)))
    return {"salt": salt.hex(), "phrases": sorted(out), "max_tokens": longest}


def count_digests(text: str, digests: dict | None) -> int:
    """How many times ``text`` says a digested phrase or token (any case, punctuation or spacing; a number
    also by its digits, written or spoken). Overlapping matches count once, longest first.

    >>> d = phrase_digests(["Jane Doe"], "person", b"salt")
    >>> count_digests("JANE-DOE met Dr. Doe; jane.", d), count_digests("[redacted] met [redacted]", d)
    (3, 0)
    """
    if not digests or not digests.get("phrases"):
        return 0
    salt, want = bytes.fromhex(digests["salt"]), set(digests["phrases"])
    most = int(digests.get("max_tokens") or 1)
    toks = tokens(text)
    count, taken = _count_numbers(toks, salt, want)
    i = 0
    while i < len(toks):
        for n in range(min(most, len(toks) - i), 0, -1):
            if not taken.intersection(range(i, i + n)) and _digest(salt, " ".join(toks[i:i + n])) in want:
                count, i = count + 1, i + n
                break
        else:
            i += 1
    return count


def _count_numbers(toks: list[str], salt: bytes, want: set[str]) -> tuple[int, set[int]]:
    """Runs of number words and digits that contain a digested number of six or more digits: how many,
    and the token positions they cover (not counted again as phrases)."""
    count, run, taken = 0, [], set()
    for k, t in enumerate([*toks, ""]):
        if t and (t.isdigit() or t in _SPOKEN or t in _REPEAT):
            run.append(t)
            continue
        digits = _digits(run, partial=True) or ""
        start, run = k - len(run), []
        if len(digits) < _MIN_DIGITS:
            continue
        if any(_digest(salt, digits[a:b]) in want for a in range(len(digits))
               for b in range(a + _MIN_DIGITS, min(len(digits), a + 32) + 1)):
            count += 1
            taken.update(range(start, k))
    return count, taken
