"""Chapter boundaries (embedding segmentation, or TextTiling-style lexical cohesion as the fallback) and titles."""
from __future__ import annotations

import math
import re
from collections import Counter

from ._embed import available
from ._keywords import key_phrases, same_stems
from ._segment import chapter_starts
from ._text import Sentence, cosine, idf, surface_tokens, tokens
from ._types import Chapter, NotesError, NotesOptions


# Tuned on topics-clinic, -community and -science only (bench/notes.py); topics-holdout-* never.
_WINDOW_FACTOR = 1.5
_CUTOFF_SD = 0.0
_YAKE_WORDS = 600     # key phrases of a longer chapter come from this many of its words (speed, not quality)


def min_length(duration: float, options: NotesOptions) -> float:
    """The minimum chapter length that applies: ``options.min_chapter``, but at most a sixth of the episode
    (and at least 10 s), so short episodes still get chapters (the default 60 s applies from 6 minutes).

    >>> min_length(3600, NotesOptions()), min_length(240, NotesOptions()), min_length(40, NotesOptions())
    (60.0, 40.0, 10.0)
    """
    return float(min(options.min_chapter, max(duration / 6.0, 10.0)))


def gap_scores(sents: list[Sentence], window: float) -> list[float]:
    """Lexical similarity across the gap before each sentence (index 0 unused, set to 1.0), smoothed."""
    weights = idf(sents)
    n = len(sents)
    raw = [1.0] * n
    lo = 0
    hi = 0
    left: Counter = Counter()
    right: Counter = Counter()
    # Sliding windows: left = sentences starting within `window` s before the gap, right = within after it.
    for i in range(1, n):
        t = sents[i].start
        while hi < n and sents[hi].start < t + window:
            right.update(sents[hi].tokens)
            hi += 1
        left.update(sents[i - 1].tokens)
        right.subtract(sents[i - 1].tokens)
        while lo < i - 1 and sents[lo].start < t - window:
            left.subtract(sents[lo].tokens)
            lo += 1
        raw[i] = cosine(+left, +right, weights)
    sm = raw[:]
    for i in range(1, n):
        nb = [raw[j] for j in (i - 1, i, i + 1) if 1 <= j < n]
        sm[i] = sum(nb) / len(nb)
    return sm


def _depths(scores: list[float]) -> list[float]:
    n = len(scores)
    out = [0.0] * n
    for i in range(1, n):
        s = scores[i]
        lp = s
        j = i - 1
        while j >= 1 and scores[j] >= lp:
            lp = scores[j]
            j -= 1
        rp = s
        j = i + 1
        while j < n and scores[j] >= rp:
            rp = scores[j]
            j += 1
        out[i] = (lp - s) + (rp - s)
    return out


def boundaries(sents: list[Sentence], duration: float, options: NotesOptions) -> list[int]:
    """Indices of the sentences that start a new chapter (0 excluded), honouring the minimum length."""
    if options.segmenter not in ("auto", "embeddings", "texttiling"):
        raise NotesError(None, f"unknown segmenter {options.segmenter!r} (auto, embeddings or texttiling)")
    if options.segmenter == "texttiling" or (options.segmenter == "auto" and not available()):
        return texttiling(sents, duration, options)
    if len(sents) < 4 or duration <= 0:
        return []
    return chapter_starts(sents, duration, min_length(duration, options), options.max_chapters)


def texttiling(sents: list[Sentence], duration: float, options: NotesOptions) -> list[int]:
    """TextTiling depth scores over TF-IDF windows, chosen greedily: the fallback without the embeddings extra."""
    n = len(sents)
    if n < 4 or duration <= 0:
        return []
    min_len = min_length(duration, options)
    scores = gap_scores(sents, min(options.window, max(10.0, _WINDOW_FACTOR * min_len)))
    depth = _depths(scores)
    vals = depth[1:]
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
    cutoff = mean + _CUTOFF_SD * sd
    cands = sorted((i for i in range(1, n) if depth[i] > cutoff), key=lambda i: -depth[i])
    chosen: list[int] = []
    end = max(duration, sents[-1].end)
    for i in cands:
        t = sents[i].start
        if t < min_len or end - t < min_len:
            continue
        if any(abs(t - sents[j].start) < min_len for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) + 1 >= options.max_chapters:
            break
    return sorted(chosen)


def _sample(text: str, limit: int = _YAKE_WORDS) -> str:
    """At most about ``limit`` words of ``text``: whole sentences spread evenly over it (YAKE's time grows with
    the text, and a long chapter's key phrases recur throughout it).

    >>> _sample("One two. Three four. Five six. Seven eight.", 4)
    'One two. Five six.'
    """
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    words = sum(len(p.split()) for p in parts)
    if words <= limit:
        return text
    keep = max(1, len(parts) * limit // words)
    return " ".join(parts[i * len(parts) // keep] for i in range(keep))


def _ranked_phrases(text: str, part: Counter, cdf: Counter, nchap: int, language: str) -> list[str]:
    """Candidate phrases of one chapter, best first: words frequent in this chapter and rare in the others
    (class TF-IDF), and YAKE's key phrases weighted the same way."""
    weight = {st: c * math.log(1.0 + nchap / cdf[st]) for st, c in part.items()}
    forms: dict[str, Counter] = {}
    for st, word in surface_tokens(text, language):
        forms.setdefault(st, Counter())[word] += 1
    cands: dict[str, float] = {}
    for st, c in part.items():
        if c >= 2 and st in forms:
            cands[forms[st].most_common(1)[0][0]] = weight[st]
    low = text.lower()
    for p in key_phrases(_sample(text), language, top=15, n=2):
        sts = tokens(p, language)
        if not sts:
            continue
        score = sum(weight.get(x, 0.0) for x in sts) / len(sts)
        if len(sts) > 1:
            score *= 1.3 if low.count(p.lower()) >= 2 else 0.9
        cands[p.lower()] = max(cands.get(p.lower(), 0.0), score)
    return sorted(cands, key=lambda p: -cands[p])


def title_chapters(spans: list[tuple[int, int]], sents: list[Sentence], duration: float,
                   options: NotesOptions) -> tuple[list[Chapter], list[list[str]]]:
    """Chapters for sentence-index spans, each titled from its most distinctive key phrases.

    Returns the chapters and, per chapter, its candidate key phrases (best first).
    """
    parts: list[Counter] = []
    cdf: Counter = Counter()
    for a, b in spans:
        part: Counter = Counter()
        for s in sents[a:b]:
            part.update(s.tokens)
        parts.append(part)
        cdf.update(set(part))
    chapters: list[Chapter] = []
    phrases_per: list[list[str]] = []
    used: list[str] = []
    for k, (a, b) in enumerate(spans):
        text = " ".join(s.text for s in sents[a:b])
        phrases = _ranked_phrases(text, parts[k], cdf, len(spans), options.language)
        phrases_per.append(phrases)
        fresh = [p for p in phrases[:12] if not any(same_stems(p, u, options.language) for u in used)] or phrases
        picked: list[str] = []
        for p in fresh:
            if not any(same_stems(p, q, options.language) for q in picked):
                picked.append(p)
            if len(picked) == 1 and len(p.split()) > 1:
                break  # a two-word key phrase is title enough
            if len(picked) == 2:
                break
        used.extend(picked)
        title = " and ".join(picked) if picked else f"Part {k + 1}"
        title = title[:1].upper() + title[1:]
        start = 0.0 if k == 0 else sents[a].start
        chapters.append(Chapter(round(start, 3), 0.0, title))
    for k, c in enumerate(chapters):
        c.end = chapters[k + 1].start if k + 1 < len(chapters) else round(max(duration, sents[-1].end), 3)
    return chapters, phrases_per
