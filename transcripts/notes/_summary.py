"""Extractive summary: the most central sentence of several chapters, in episode order."""
from __future__ import annotations

from collections import Counter

from ._text import Sentence, cosine, idf

_OPENERS = ("thank", "thanks", "hello", "hi ", "welcome", "goodbye", "bye", "take care", "see you")


def _usable(s: Sentence) -> bool:
    words = len(s.text.split())
    low = s.text.lower().lstrip("\"' ")
    return 6 <= words <= 45 and len(set(s.tokens)) >= 3 and not low.startswith(_OPENERS)


def _best(sents: list[Sentence], weights: dict[str, float], taken: set[int], lo: int, hi: int) -> tuple[float, int] | None:
    centroid: Counter = Counter()
    for s in sents[lo:hi]:
        centroid.update(s.tokens)
    best: tuple[float, int] | None = None
    for i in range(lo, hi):
        s = sents[i]
        if i in taken or not _usable(s):
            continue
        score = cosine(Counter(s.tokens), centroid, weights)
        if s.text.rstrip().endswith("?"):
            score *= 0.6
        if best is None or score > best[0]:
            best = (score, i)
    return best


def summarise(sents: list[Sentence], spans: list[tuple[int, int]], count: int) -> list[str]:
    """``count`` (3 to 5) sentences: the most central sentence of the longest chapters, in time order.

    With fewer chapters than ``count``, the episode is cut into ``count`` equal parts instead, so the
    summary still draws from beginning, middle and end.
    """
    count = max(3, min(5, count))
    if not sents:
        return []
    weights = idf(sents)
    taken: set[int] = set()
    if len(spans) >= count:
        ranked = sorted(spans, key=lambda ab: -(sents[ab[1] - 1].end - sents[ab[0]].start))
        parts = ranked[:count]
    else:
        # Too few chapters: equal time parts, so the summary spans the episode.
        t0, t1 = sents[0].start, sents[-1].end
        edges = [t0 + (t1 - t0) * k / count for k in range(count + 1)]
        parts = []
        for k in range(count):
            idx = [i for i, s in enumerate(sents) if edges[k] <= s.start < edges[k + 1] or (k == count - 1 and s.start >= edges[k])]
            if idx:
                parts.append((idx[0], idx[-1] + 1))
    picks: list[int] = []
    for lo, hi in parts:
        best = _best(sents, weights, taken, lo, hi)
        if best is not None:
            taken.add(best[1])
            picks.append(best[1])
    if len(picks) < min(count, 3):
        # Short or fragmentary transcripts: fall back to any usable sentence, best first.
        while len(picks) < min(count, 3):
            best = _best(sents, weights, taken, 0, len(sents))
            if best is None:
                break
            taken.add(best[1])
            picks.append(best[1])
    return [sents[i].text for i in sorted(picks)]
