"""No speech is lost in batching: a batched chunk whose words cover too little of its speech is decoded again.

faster-whisper's batched pipeline decodes independent 30 s chunks with one temperature and no fallback; a
chunk the decoder ends at once (it "hears" no speech) or cuts short comes back empty or short, and its
speech would vanish without a trace. Each such chunk is decoded again on its own, sequentially, with the
full temperature fallback (seeded by ``TranscribeOptions.seed``), and the better cover is kept. Then any
stretch of speech still without words is decoded alone (``_fill_holes``), sequential decoding included.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from .._clean import GAP_MIN, uncovered
from ..model import Segment, TranscribeOptions
from ._decoding import clamp, clips, shift

__all__ = ["decode", "MIN_WORDS_PER_SECOND"]
log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MIN_WORDS_PER_SECOND = 0.5
"""A chunk with fewer words than this per second of its VAD speech is decoded again. Conversation runs at
2-3 words a second (150-180 a minute; espeak's default voice 2.7) and the VAD's speech includes its
0.2 s pads and pauses under 0.3 s, so below 0.5 at least four words in five are missing."""
_PAD = 0.2  # seconds of audio either side of a chunk decoded again (the VAD's own pad)


def decode(engine, audio: np.ndarray, options: TranscribeOptions,
           speech: list[tuple[float, float]]) -> list[Segment]:
    """``engine.run`` over ``speech`` (clamped to the audio), then each weak batched chunk decoded again.

    A chunk is weak when its words leave a stretch of its speech of ``GAP_MIN`` seconds or more uncovered
    (``transcripts._clean.uncovered``), or give fewer than ``MIN_WORDS_PER_SECOND``. Only batched decoding
    (``engine.batches(options)``) is checked chunk by chunk: the sequential decoder already falls back on
    temperature. For both, each stretch still without words is then decoded alone (``_fill_holes``), and
    what still has no words becomes a marked gap in :func:`transcripts.transcribe`.
    """
    duration = len(audio) / SAMPLE_RATE
    speech = clamp(speech, duration)
    _lang, segs = engine.run(audio, options, speech)
    if not options.redecode:
        return segs
    if not engine.batches(options):  # sequential: it already fell back on temperature; holes are left
        return _fill_holes(engine, audio, options, speech, segs)
    chunks = clips(speech, max_len=30.0)
    again = 0
    for c in chunks:
        lo, hi = c["start"], c["end"]
        mine = [s for s in segs if lo <= (s.start + s.end) / 2 < hi]
        part = [(max(s, lo), min(e, hi)) for s, e in speech if e > lo and s < hi]
        if not _weak([w for s in mine for w in s.words], part):
            continue
        again += 1
        a, b = max(0.0, lo - _PAD), min(duration, hi + _PAD)
        local = [(round(s - a, 3), round(e - a, 3)) for s, e in part]
        _l, redo = engine.run(audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)], replace(options, batched=False), local)
        redo = [shift(s, a) for s in redo]
        if _missing([w for s in redo for w in s.words], part) < _missing([w for s in mine for w in s.words], part):
            drop = {id(s) for s in mine}
            segs = [s for s in segs if id(s) not in drop] + redo
    if again:
        log.info("decoded %d of %d batched chunks again (too few words for their speech)", again, len(chunks))
    return _fill_holes(engine, audio, options, speech, sorted(segs, key=lambda s: (s.start, s.end)))


def _fill_holes(engine, audio: np.ndarray, options: TranscribeOptions, speech: list[tuple[float, float]],
                segs: list[Segment]) -> list[Segment]:
    """Last resort before a gap is marked: each stretch of speech still without words is decoded on its own.

    Measured on a mastered two-turn clip: a 3.3 s answer that neither the batched chunk, its sequential
    re-decode nor a sequential decode of the whole file gave words for came out whole when its stretch (with
    the VAD's pad) was decoded alone, without the turn before it as context. Only segments whose middle lies
    in the stretch are added, so neighbours are never transcribed twice.
    """
    if not options.redecode:
        return segs
    duration = len(audio) / SAMPLE_RATE
    holes = [(s, e) for s, e in uncovered([w for x in segs for w in x.words], speech) if e - s >= GAP_MIN]
    added: list[Segment] = []
    for lo, hi in holes:
        a, b = max(0.0, lo - _PAD), min(duration, hi + _PAD)
        _l, redo = engine.run(audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)], replace(options, batched=False),
                              [(0.0, round(b - a, 3))])
        added += [x for x in (shift(r, a) for r in redo) if x.words and a <= (x.start + x.end) / 2 <= b]
    if added:
        log.info("decoded %d stretches of speech without words on their own: %d segments found", len(holes),
                 len(added))
    return sorted(segs + added, key=lambda s: (s.start, s.end))


def _weak(words, speech: list[tuple[float, float]]) -> bool:
    talk = sum(e - s for s, e in speech)
    return (len(words) < MIN_WORDS_PER_SECOND * talk
            or any(e - s >= GAP_MIN for s, e in uncovered(words, speech)))


def _missing(words, speech: list[tuple[float, float]]) -> float:
    return sum(e - s for s, e in uncovered(words, speech))

