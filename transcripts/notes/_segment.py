"""Optimal topic segmentation: the chapter starts that minimise the spread of sentence vectors within chapters.

Each sentence is a unit sentence embedding (all-MiniLM-L6-v2, the ``embeddings`` extra). A chapter's cost is the squared distance of its sentences from their
mean (the cohesion of the whole chapter, not of a fixed window, so 30-second topics are found as well as
10-minute ones). Dynamic programming finds the cheapest split into k chapters for every k, honouring the
minimum chapter length in seconds; sentences weigh their duration. The number of chapters is the last k
whose split still removes a clear share of the cost (a share that shrinks as the episode holds more
minimum-length chapters); then, for that k, a gap where the speaker changes
after a pause (any pause when speakers are unknown) costs a little less.
"""
from __future__ import annotations

import math

import numpy as np

from ._text import Sentence

# Tuned on topics-clinic, -community and -science only (bench/notes.py); topics-holdout-* never.
_GAIN = 0.03          # a further chapter must lower the cost by this share of the one-chapter cost, in an
                      # episode eight minimum chapters long (scaled by min_len / duration for longer ones)
_CUE = 0.6           # cost bonus (in sentence units) for a boundary after a pause with a change of speaker
_WEIGHT_POWER = 1.0   # sentences weigh (their seconds, 1 to 20) to this power
_CUE_PAUSE = 0.3      # seconds of silence that count as a pause for that cue


def _costs(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """cost[a, b] = weighted sum over sentences a..b-1 of the squared distance to their weighted mean (a < b)."""
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


def segment(x: np.ndarray, sents: list[Sentence], duration: float, min_len: float, max_chapters: int) -> list[int]:
    """Indices of the sentences that start a chapter (0 excluded): the cheapest split for the chosen count."""
    n = len(sents)
    if n < 4:
        return []
    starts = np.array([0.0] + [s.start for s in sents[1:]] + [max(duration, sents[-1].end)])
    w = np.array([min(max(s.end - s.start, 1.0), 20.0) for s in sents]) ** _WEIGHT_POWER
    cost = _costs(x, w / w.mean())
    length = starts[None, :] - starts[:, None]
    cost[length < min_len - 1e-6] = np.inf
    bonus = np.zeros(n + 1)
    for i in range(1, n):
        a, b = sents[i - 1], sents[i]
        turn = b.speaker != a.speaker if (a.speaker and b.speaker) else True   # unknown speakers: the pause alone
        if turn and b.start - a.end >= _CUE_PAUSE:
            bonus[i] = _CUE
    kmax = max(1, min(max_chapters, int(starts[-1] // max(min_len, 1e-6))))
    total, _ = _dp(cost, np.zeros(n + 1), kmax)
    base = total[0] if total[0] > 0 else 1.0
    k = 1
    need = _GAIN * base * 8.0 * min_len / starts[-1]
    while k < len(total) and total[k - 1] - total[k] >= need:
        k += 1
    # The count comes from cohesion alone; the cue only moves boundaries to a turn after a pause.
    _, back = _dp(cost, bonus, k)
    cuts: list[int] = []
    b = n
    for level in range(k - 1, 0, -1):
        b = int(back[level][b])
        cuts.append(b)
    return sorted(cuts)



def vectors(sents: list[Sentence]) -> np.ndarray:
    """Unit sentence embeddings (all-MiniLM-L6-v2 from the ``embeddings`` extra)."""
    from ._embed import embed

    return embed([s.text for s in sents])
