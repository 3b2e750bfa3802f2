"""What both engines do around Whisper's decoder: speech clips to decode, the glossary prompt, and
words from its output (spread over a segment without word timestamps; elisions joined)."""
from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np

from ..model import Segment, Word

__all__ = ["clips", "clamp", "shift", "prompt", "spread", "join_elisions", "threads_for"]


def threads_for(threads: int) -> int:
    """``threads`` when positive, else the cores this process may run on: its CPU affinity (a worker pinned
    with ``taskset``, a container's cpuset), not every core of the machine, which would oversubscribe them.

    >>> threads_for(3)
    3
    >>> threads_for(0) == len(os.sched_getaffinity(0))
    True
    """
    if threads > 0:
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def clamp(speech: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """Speech regions cut to the audio's length, rounded down to the millisecond (Whisper's clip times must
    not pass the last sample: speech running to the very end used to stop faster-whisper with
    ``AssertionError: non-negative timestamp expected``).

    >>> clamp([(0.0, 3.0), (70.0, 73.529), (74.0, 75.0)], 73.528625)
    [(0.0, 3.0), (70.0, 73.528)]
    """
    end = math.floor(duration * 1000) / 1000
    return [(s, min(e, end)) for s, e in speech if s < end and min(e, end) > s]


def shift(seg: Segment, off: float) -> Segment:
    """``seg`` and its words moved ``off`` seconds later (times in a slice of audio to times in the whole)."""
    return replace(seg, start=round(seg.start + off, 3), end=round(seg.end + off, 3),
                   words=[replace(w, start=round(w.start + off, 3), end=round(w.end + off, 3)) for w in seg.words])


def join_elisions(words: list[Word]) -> list[Word]:
    """Join the pieces Whisper's word splitter cuts at an apostrophe or hyphen (``J 'aime`` → ``J'aime``).

    Its splitter treats a leading ``'`` or ``-`` as an opening quote or dash and starts a new word, which
    breaks French, Italian or Catalan elisions and ``est-ce``-style compounds apart.

    >>> [w.text for w in join_elisions([Word("J", 0, .1), Word("'aime", .1, .4), Word("Qu", .5, .6),
    ...                                  Word("'est", .6, .7), Word("-ce", .7, .8), Word("-", 1, 1.1)])]
    ["J'aime", "Qu'est-ce", '-']
    """
    out: list[Word] = []
    for w in words:
        if out and len(w.text) > 1 and w.text[0] in "'’-" and w.text[1].isalpha() and out[-1].text[-1:].isalpha():
            prev = out[-1]
            out[-1] = Word(prev.text + w.text, prev.start, w.end, min(prev.probability, w.probability), prev.speaker)
        else:
            out.append(w)
    return out


def prompt(glossary: list[str]) -> str:
    return ", ".join(t.strip() for t in glossary if t.strip())


def clips(speech: list[tuple[float, float]], max_len: float) -> list[dict]:
    """Group VAD regions into chunks of at most ``max_len`` seconds (for the batched pipeline).

    >>> clips([(0.0, 10.0), (11.0, 25.0), (26.0, 40.0)], 30.0)
    [{'start': 0.0, 'end': 25.0}, {'start': 26.0, 'end': 40.0}]
    """
    out: list[dict] = []
    for s, e in speech:
        while e - s > max_len:  # a very long region: cut it into max_len pieces
            out.append({"start": s, "end": s + max_len})
            s += max_len
        if out and e - out[-1]["start"] <= max_len and s - out[-1]["end"] < 2.0:
            out[-1]["end"] = e
        else:
            out.append({"start": s, "end": e})
    return out


def spread(text: str, start: float, end: float, avg_logprob: float) -> list[Word]:
    """Words for a segment decoded without word timestamps: times spread by character count."""
    toks = text.split()
    if not toks:
        return []
    total = sum(len(t) + 1 for t in toks)
    prob = float(np.exp(avg_logprob)) if avg_logprob is not None else 1.0
    out, t = [], start
    for tok in toks:
        d = (end - start) * (len(tok) + 1) / total
        out.append(Word(tok, round(t, 3), round(t + d, 3), round(prob, 4)))
        t += d
    return out
