"""Speaker labels: exact from a multitrack timeline, or diarised from a single track."""
from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Sequence

from ._clean import phrases
from ._diarise import diarise
from .model import Transcript, TranscribeOptions, Word

__all__ = ["assign_speakers", "label_words_from_timeline", "diarise_words"]


def label_words_from_timeline(words: list[Word], timeline: Sequence[tuple[float, float, str]]) -> list[Word]:
    """Give each word the speaker whose timeline turn overlaps it most (nearest turn when none does).

    >>> tl = [(0.0, 2.0, "Ann"), (2.5, 5.0, "Bob")]
    >>> [w.speaker for w in label_words_from_timeline([Word("a", .1, .5), Word("b", 2.2, 2.6), Word("c", 6, 6.5)], tl)]
    ['Ann', 'Bob', 'Bob']
    """
    turns = sorted((float(s), float(e), str(n)) for s, e, n in timeline)
    if not turns:
        return list(words)
    starts = [t[0] for t in turns]
    out = []
    for w in words:
        i = bisect.bisect_right(starts, w.end)
        best, best_ov, best_dist = None, 0.0, float("inf")
        for s, e, name in turns[max(0, i - 8):i + 1]:
            ov = min(e, w.end) - max(s, w.start)
            dist = max(s - w.end, w.start - e, 0.0)
            if ov > best_ov or (best_ov <= 0 and ov <= 0 and dist < best_dist):
                best, best_ov, best_dist = name, max(ov, best_ov), min(dist, best_dist)
        out.append(replace(w, speaker=best))
    return out


def assign_speakers(transcript: Transcript, timeline: Sequence[tuple[float, float, str]]) -> Transcript:
    """A copy of ``transcript`` whose words and segments carry the speakers of ``timeline``.

    ``timeline`` is ``[(start, end, speaker), ...]`` in seconds, e.g. from a multitrack mixdown.
    """
    words = label_words_from_timeline(transcript.words(), timeline)
    return replace(transcript, segments=phrases(words))


def diarise_words(audio, words: list[Word], options: TranscribeOptions) -> list[Word]:
    """Label words with speakers found in the audio (embeddings plus clustering); names from
    ``options.speakers`` in order of first appearance. ``audio`` is 16 kHz mono float32 samples, or
    an object whose ``read(start, end)`` returns them for a span in seconds (bounded memory)."""
    timeline = diarise(audio, words, options, required=options.diarise is True)
    return label_words_from_timeline(words, timeline) if timeline else list(words)
