"""Optimal topic segmentation: the chapter starts that minimise the spread of sentence vectors within chapters.

Each sentence is a unit sentence embedding (all-MiniLM-L6-v2, the ``embeddings`` extra). A chapter's cost is
the squared distance of its sentences from their mean (the cohesion of the whole chapter, not of a fixed
window, so 30-second topics are found as well as 10-minute ones). Dynamic programming finds the cheapest split
into k chapters for every k, honouring the minimum chapter length in seconds; sentences weigh their duration.
The number of chapters minimises a BIC-like criterion (:func:`_count`); then, for that k, a gap where the
speaker changes after a pause (any pause when speakers are unknown) costs a little less.

Long episodes (more than ``_EMBED_WORDS`` words) are split over blocks of sentences, each embedded from its
opening words, and each chapter start is then placed on a sentence (:func:`chapter_starts`), so the time to
draft notes stays bounded.
"""
from __future__ import annotations

import numpy as np

from ._embed import embed
from ._text import Sentence

# Tuned on topics-clinic, -community and -science only (bench/notes.py); no topics-holdout*-* script (docs/notes.md).
_PENALTY = 0.5        # per-chapter penalty of the count rule, in units of log n (the middle of 0.35-0.6, the
                      # range that gives the same result on the tuning scripts)
_CUE = 0.6           # cost bonus (in sentence units) for a boundary after a pause with a change of speaker
_WEIGHT_POWER = 1.0   # sentences weigh (their seconds, 1 to 20) to this power
_CUE_PAUSE = 0.3      # seconds of silence that count as a pause for that cue
# Long episodes: the budget bounds the time (embedding dominates it, about linear in words).
_EMBED_WORDS = 6000   # up to this many words every sentence is embedded (episodes up to ~40 min) ...
_BLOCK_PART = 3       # ... beyond it, blocks of whole sentences about a third of the minimum chapter long,
                      # each embedded from its first _EMBED_WORDS / blocks words (at least _BLOCK_WORDS)
_BLOCK_WORDS = 16
_REFINE_BLOCKS = 1    # a chapter start is then placed among the sentences of this many blocks either side


def _costs(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """cost[a, b] = weighted sum over sentences a..b-1 of the squared distance to their weighted mean (a < b).

    >>> rng = np.random.default_rng(5); x = rng.normal(size=(7, 4)); w = rng.uniform(1, 5, size=7)
    >>> c = _costs(x / np.linalg.norm(x, axis=1, keepdims=True), w)
    >>> def brute(a, b):
    ...     xs = x[a:b] / np.linalg.norm(x[a:b], axis=1, keepdims=True)
    ...     mean = (w[a:b, None] * xs).sum(0) / w[a:b].sum()
    ...     return (w[a:b] * ((xs - mean) ** 2).sum(1)).sum()
    >>> all(abs(c[a, b] - brute(a, b)) <= 1e-9 for a in range(7) for b in range(a + 1, 8))
    True
    >>> bool(np.isinf(c[3, 3]) and np.isinf(c[4, 2]))
    True
    """
    n = len(x)
    xw = x * w[:, None]
    g = xw @ x.T                               # g[i, j] = w_i x_i . x_j
    g = g * w[None, :]
    p = np.zeros((n + 1, n + 1))
    p[1:, 1:] = g.cumsum(0).cumsum(1)          # p[a, b] = S_a . S_b with S_i the weighted sum of the first i rows
    q = np.concatenate([[0.0], np.cumsum(w * np.einsum("ij,ij->i", x, x))])
    m = np.concatenate([[0.0], np.cumsum(w)])
    d = np.diag(p)
    size = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]
    mass = m[None, :] - m[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (q[None, :] - q[:, None]) - (d[None, :] + d[:, None] - 2 * p) / mass
    c[size <= 0] = np.inf
    return np.maximum(c, 0.0, where=np.isfinite(c), out=c)


def _dp(cost: np.ndarray, bonus: np.ndarray, kmax: int) -> tuple[list[float], list[np.ndarray]]:
    """Cheapest split of all sentences into k = 1..kmax chapters: the totals, and back-pointers per k."""
    n = cost.shape[0] - 1
    best = cost[0].copy()                          # best[b]: cheapest split of sentences 0..b-1 into k chapters
    totals = [best[n]]
    back: list[np.ndarray] = [np.zeros(n + 1, dtype=int)]
    for _k in range(2, kmax + 1):
        tot = best[:, None] - bonus[:, None] + cost
        arg = np.argmin(tot, axis=0)
        nxt = tot[arg, np.arange(n + 1)]
        if not np.isfinite(nxt[n]):
            break
        best = nxt
        totals.append(best[n])
        back.append(arg)
    return totals, back


def _cues(sents: list[Sentence]) -> np.ndarray:
    """cue[i]: sentence i starts after a pause with a change of speaker (after any pause when speakers are unknown)."""
    cue = np.zeros(len(sents) + 1, dtype=bool)
    for i in range(1, len(sents)):
        a, b = sents[i - 1], sents[i]
        turn = b.speaker != a.speaker if (a.speaker and b.speaker) else True
        cue[i] = turn and b.start - a.end >= _CUE_PAUSE
    return cue


def _count(total: list[float], n: int) -> int:
    """The number of chapters: the k that minimises n log(cost_k) + _PENALTY (k - 1) log n, a BIC-like rule.

    A further chapter must lower the cost by about ``_PENALTY log n`` units' worth of the spread still left
    within chapters, so the bar falls, as a share of the cost, as the episode holds more sentences, and
    topics from one field (which differ little) are still told apart in a long episode.

    >>> _count([10.0, 6.0, 5.9], 30), _count([10.0, 9.9], 30), _count([0.0, 0.0], 30)
    (2, 1, 1)
    """
    if n < 2 or total[0] <= 0:
        return 1
    crit = [n * np.log(max(t, 1e-12)) + _PENALTY * k * np.log(n) for k, t in enumerate(total)]
    return int(np.argmin(crit)) + 1


def segment(x: np.ndarray, sents: list[Sentence], duration: float, min_len: float, max_chapters: int,
            cue: np.ndarray | None = None) -> list[int]:
    """Indices of the units (sentences or blocks) that start a chapter (0 excluded): the cheapest split for the
    chosen count. ``cue`` marks the units that start with a turn after a pause (computed from ``sents`` if None)."""
    n = len(sents)
    if n < 4:
        return []
    starts = np.array([0.0] + [s.start for s in sents[1:]] + [max(duration, sents[-1].end)])
    w = _weights(sents)
    cost = _costs(x, w / w.mean())
    length = starts[None, :] - starts[:, None]
    cost[length < min_len - 1e-6] = np.inf
    bonus = np.where(_cues(sents) if cue is None else cue, _CUE, 0.0)
    kmax = max(1, min(max_chapters, int(starts[-1] // max(min_len, 1e-6))))
    total, _ = _dp(cost, np.zeros(n + 1), kmax)
    k = _count(total, n)
    # The count comes from cohesion alone; the cue only moves boundaries to a turn after a pause.
    _, back = _dp(cost, bonus, k)
    cuts: list[int] = []
    b = n
    for level in range(k - 1, 0, -1):
        b = int(back[level][b])
        cuts.append(b)
    return sorted(cuts)


def _blocks(sents: list[Sentence], seconds: float) -> list[int]:
    """Index of the first sentence of each block: consecutive sentences, a new block once ``seconds`` have passed."""
    firsts = [0]
    for i in range(1, len(sents)):
        if sents[i].start - sents[firsts[-1]].start >= seconds:
            firsts.append(i)
    return firsts


def _weights(sents: list[Sentence]) -> np.ndarray:
    return np.array([min(max(s.end - s.start, 1.0), 20.0) for s in sents]) ** _WEIGHT_POWER


def _refine(cuts: list[int], firsts: list[int], xb: np.ndarray, sents: list[Sentence], min_len: float,
            end: float) -> list[int]:
    """Sentence-exact chapter starts from block-level ``cuts``: around each cut, the sentences of the two
    blocks beside it are embedded and the start moves to the sentence gap that best separates the sentences
    closer to the previous chapter's mean block from those closer to the next one's (chapters stay at least
    ``min_len`` long)."""
    bounds = [0, *cuts, len(firsts)]
    means = [xb[a:b].mean(0) for a, b in zip(bounds, bounds[1:])]
    firsts = firsts + [len(sents)]
    spans = [(firsts[max(c - _REFINE_BLOCKS, 0)], firsts[min(c + _REFINE_BLOCKS, len(firsts) - 1)]) for c in cuts]
    e_all = embed([s.text for lo, hi in spans for s in sents[lo:hi]])     # one batch for all the windows
    at = np.cumsum([0] + [hi - lo for lo, hi in spans])
    out: list[int] = []
    for k, c in enumerate(cuts):
        lo, hi = spans[k]
        win = sents[lo:hi]
        e = e_all[at[k]:at[k + 1]]
        d = _weights(win) * (e @ means[k] - e @ means[k + 1])   # > 0: closer to the previous chapter
        gain = np.concatenate([[0.0], np.cumsum(d)])            # gain[j]: the chapter starts at lo + j
        prev = sents[out[-1]].start if out else 0.0
        nxt = sents[firsts[cuts[k + 1]]].start if k + 1 < len(cuts) else end
        ok = [j for j in range(1, len(win) + 1) if lo + j < len(sents)
              and sents[lo + j].start - prev >= min_len and nxt - sents[lo + j].start >= min_len]
        out.append(lo + max(ok, key=lambda j: gain[j]) if ok else firsts[c])
    return out


def chapter_starts(sents: list[Sentence], duration: float, min_len: float, max_chapters: int) -> list[int]:
    """Indices of the sentences that start a chapter (0 excluded), from sentence embeddings.

    Up to ``_EMBED_WORDS`` words every sentence is embedded. A longer episode is cut into blocks of whole
    sentences (a third of the minimum chapter), each embedded from its opening words, so the time stays
    bounded (a 2-hour episode embeds about as many words as a 40-minute one); the split is found over the
    blocks and each chapter start is then placed on a sentence with the sentences around it (:func:`_refine`).
    """
    if sum(len(s.text.split()) for s in sents) <= _EMBED_WORDS:
        return segment(embed([s.text for s in sents]), sents, duration, min_len, max_chapters)
    firsts = _blocks(sents, max(min_len / _BLOCK_PART, 1.0))
    per = max(_BLOCK_WORDS, _EMBED_WORDS // len(firsts))
    blocks = []
    for a, b in zip(firsts, firsts[1:] + [len(sents)]):
        words = " ".join(s.text for s in sents[a:b]).split()
        blocks.append(Sentence(sents[a].start, sents[b - 1].end, " ".join(words[:per]), sents[a].speaker))
    xb = embed([b.text for b in blocks])
    cuts = segment(xb, blocks, duration, min_len, max_chapters, _cues(sents)[firsts + [len(sents)]])
    return _refine(cuts, firsts, xb, sents, min_len, max(duration, sents[-1].end))
