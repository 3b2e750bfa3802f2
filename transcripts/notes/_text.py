"""Timed sentences and content-word tokens drawn from a transcript, and their TF-IDF similarity."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from segtok.segmenter import split_single

from ..model import Transcript

_END = re.compile(r"[.?!…]['\")\]]*$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_STEMMERS = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
             "nl": "dutch", "pt": "portuguese", "sv": "swedish", "da": "danish", "no": "norwegian",
             "fi": "finnish", "ru": "russian"}
# Talk fillers that YAKE's stop lists do not cover but carry no topic.
_EXTRA_STOP = {"yeah", "okay", "ok", "um", "uh", "erm", "hmm", "really", "actually", "basically", "lot", "lots",
               "thing", "things", "kind", "sort", "think", "know", "mean", "like", "just", "well", "get", "got",
               "going", "gonna", "want", "say", "said", "thank", "thanks", "welcome", "today", "people",
               "also", "maybe", "something", "someone", "much", "many", "always", "often", "every", "talk",
               "let", "us", "feel", "way", "good", "great", "lovely", "right", "yes", "sure", "one", "two",
               # podcast scaffolding, time and number words: never what a chapter is about
               "podcast", "episode", "show", "listeners", "listener", "guest", "guests", "host", "topic", "topics",
               "theme", "themes", "question", "questions", "start", "starting", "move", "moving", "talking",
               "finally", "last", "next", "first", "second", "third", "today", "tonight", "month", "months",
               "week", "weeks", "year", "years", "day", "days", "minute", "minutes", "hour", "hours", "time",
               "times", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twenty", "thirty",
               "forty", "fifty", "hundred", "thousand", "joins", "join", "joining", "welcome", "back", "ask",
               "asked", "tell", "told", "honestly", "probably", "guess", "course", "certainly", "surprisingly"}


@dataclass
class Sentence:
    """A sentence with its time span; ``tokens`` are stemmed content words."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    tokens: list[str] = field(default_factory=list)


@lru_cache(maxsize=8)
def stopwords(language: str = "en") -> frozenset[str]:
    """YAKE's stop list for ``language`` (English when it has none) plus talk fillers."""
    import yake  # lazy: as in _keywords (its stop lists are files inside the package)

    base = Path(yake.__file__).parent / "core" / "StopwordsList"
    path = base / f"stopwords_{language[:2].lower()}.txt"
    if not path.exists():
        path = base / "stopwords_en.txt"
    words = {w.strip().lower() for w in path.read_text(encoding="utf-8", errors="ignore").split()}
    return frozenset(words | (_EXTRA_STOP if language.startswith("en") else set()))


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_STEMMERS.get(language[:2].lower(), "english"))


def tokens(text: str, language: str = "en") -> list[str]:
    """Stemmed content words of ``text``.

    >>> tokens("The supervisors met their supervision groups, twice!")
    ['supervisor', 'met', 'supervis', 'group']
    """
    return [s for s, _ in surface_tokens(text, language)]


def surface_tokens(text: str, language: str = "en") -> list[tuple[str, str]]:
    """(stem, lower-case word) for each content word of ``text``.

    >>> surface_tokens("Fees and pricing")
    [('fee', 'fees'), ('price', 'pricing')]
    """
    stop = stopwords(language)
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    words = [w for w in words if len(w) > 2 and w not in stop and w.split("'")[0] not in stop]
    return [(_stem(w, language), w) for w in words]


@lru_cache(maxsize=200_000)
def _stem(word: str, language: str) -> str:
    return _stemmer(language).stemWord(word)


def sentences(t: Transcript, language: str = "en") -> list[Sentence]:
    """Split a transcript into timed sentences (at sentence punctuation, speaker changes and long pauses)."""
    out: list[Sentence] = []
    for seg in t.segments:
        if seg.words:
            cur: list = []
            for w in seg.words:
                if cur and (w.start - cur[-1].end > 1.5):
                    out.append(_sentence(cur, seg.speaker))
                    cur = []
                cur.append(w)
                if _END.search(w.text.strip()):
                    out.append(_sentence(cur, seg.speaker))
                    cur = []
            if cur:
                out.append(_sentence(cur, seg.speaker))
        elif seg.text.strip():
            parts = [p for p in split_single(seg.text.strip()) if p.strip()]
            total = sum(len(p) for p in parts) or 1
            t0, span = seg.start, max(seg.end - seg.start, 0.0)
            for p in parts:
                dur = span * len(p) / total
                out.append(Sentence(t0, t0 + dur, p.strip(), seg.speaker))
                t0 += dur
    # Merge fragments (no closing punctuation, very short) into the sentence before, same speaker.
    merged: list[Sentence] = []
    for s in out:
        if merged and merged[-1].speaker == s.speaker and not _END.search(merged[-1].text) \
                and s.start - merged[-1].end < 1.5:
            m = merged[-1]
            m.text, m.end = f"{m.text} {s.text}", s.end
        else:
            merged.append(s)
    for s in merged:
        s.tokens = tokens(s.text, language)
    return merged


def _sentence(words: list, speaker: str | None) -> Sentence:
    text = re.sub(r"\s+", " ", "".join(w.text if w.text.startswith(" ") else f" {w.text}" for w in words)).strip()
    return Sentence(words[0].start, words[-1].end, text, speaker or words[0].speaker)


def idf(sents: list[Sentence]) -> dict[str, float]:
    """Inverse document frequency of each token over ``sents`` (each sentence a document)."""
    df: Counter = Counter()
    for s in sents:
        df.update(set(s.tokens))
    n = len(sents)
    return {w: math.log(1.0 + n / c) for w, c in df.items()}


def cosine(a: Counter, b: Counter, weights: dict[str, float]) -> float:
    """TF-IDF cosine similarity of two token counts (0 when either is empty).

    >>> cosine(Counter(["fee", "price"]), Counter(["fee"]), {"fee": 1.0, "price": 1.0})
    0.7071067811865475
    """
    if not a or not b:
        return 0.0
    dot = sum(v * b[w] * weights[w] ** 2 for w, v in a.items() if w in b)
    na = math.sqrt(sum((v * weights[w]) ** 2 for w, v in a.items()))
    nb = math.sqrt(sum((v * weights[w]) ** 2 for w, v in b.items()))
    return dot / (na * nb) if na and nb else 0.0
