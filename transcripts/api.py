"""``transcribe``: audio file in, speaker-labelled timed-words :class:`Transcript` out."""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import _clean
from .audio import AudioFile, blocks, speech_regions
from .engines import ENGINES, decode, get_engine, shift
from .errors import TranscriptError
from .model import Segment, Transcript, TranscribeOptions, Word
from .speakers import diarise_words, label_words_from_timeline
from .weights import whisper_language

__all__ = ["transcribe", "detect_language", "BLOCK_SECONDS", "VAD_WINDOW_SECONDS"]
log = logging.getLogger(__name__)

SR = 16000
BLOCK_SECONDS = 1200.0
"""Longest stretch of audio decoded at once (bounds memory on long recordings)."""
VAD_WINDOW_SECONDS = 600.0
"""Stretch of audio the voice-activity detector looks at at once."""


def transcribe(audio_path: str | Path, options: TranscribeOptions | None = None,
               timeline: Sequence[tuple[float, float, str]] | None = None) -> Transcript:
    """Transcribe ``audio_path`` with timed, speaker-labelled words.

    ``timeline`` (from a multitrack recording) is a list of ``(start, end, speaker)``; when it is
    given the labels come from it exactly. Without it, speakers are diarised from the audio (their
    number estimated) unless ``options.diarise`` is False.
    A recording with no speech gives a transcript with no segments, not an error. Speech the VAD found
    that no decode gave words for stays as a marked gap (``Segment.gap``, ``[inaudible 12 s]``), and
    ``Transcript.coverage`` says how much of the speech has words.

    ``options.language`` (a Whisper code or a BCP 47 tag such as ``pt-BR``) is used as given; with
    ``None`` a multilingual model detects the language from several 30 s windows of speech spread
    over the whole recording (``options.language_detection_segments``), and an English-only model
    transcribes English. Asking an English-only model for another language is a :class:`TranscriptError`.
    """
    options = options or TranscribeOptions()
    if options.engine not in ENGINES:
        raise TranscriptError(audio_path, f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    engine = get_engine(options)  # before decoding the audio: a wrong model or language fails fast
    language = _stated_language(engine, options, audio_path)
    with AudioFile(audio_path) as audio:  # samples stay on disk: memory does not grow with length
        duration = round(audio.duration, 3)
        speech = speech_regions(audio, options, VAD_WINDOW_SECONDS)
        try:
            if language is None:
                language = _detect_language(engine, audio, speech, options.language_detection_segments)
            segments = _decode(engine, audio, replace(options, language=language), speech)
        except TranscriptError:
            raise
        except Exception as exc:
            raise TranscriptError(audio_path, f"{engine.name} failed: {type(exc).__name__}: "
                                              f"{(str(exc).splitlines() or [''])[0][:160]}") from None
        words: list[Word] = [w for s in segments for w in s.words]
        words.sort(key=lambda w: (w.start, w.end))
        if options.vad:
            words = _clean.guard(words, speech, options)
            words = _clean.snap(words, speech)
        words = _clean.apply_glossary(words, options.glossary)
        holes = _clean.uncovered(words, speech) if options.vad else []  # speech no decode gave words for
        if timeline:
            words = label_words_from_timeline(words, timeline)
        elif _wants_diarisation(options):
            words = diarise_words(audio, words, options)
    gaps = _clean.gap_segments(holes, words)  # marked, so that every format shows them: [inaudible 12 s]
    return Transcript(language=language or "en", duration=duration, options=replace(options),
                      segments=sorted(_clean.phrases(words) + gaps, key=lambda s: (s.start, s.end)),
                      engine=engine.name, model=engine.model_name, gaps=[(g.start, g.end) for g in gaps],
                      coverage=_clean.coverage(speech, holes) if options.vad else None)


def _stated_language(engine, options: TranscribeOptions, audio_path) -> str | None:
    """The Whisper code of the show's language; None when the model should detect it."""
    try:
        language = whisper_language(options.language)
    except TranscriptError as exc:
        raise TranscriptError(audio_path, exc.reason) from None
    if not engine.multilingual:
        if language not in (None, "en"):
            raise TranscriptError(audio_path, f"the model {engine.model_name} is English-only and cannot transcribe "
                                              f"{options.language!r}; set the show's model to \"base\" "
                                              "(pip install 'chorus-podcast[multilingual]') or another multilingual model")
        return "en"
    return language


def detect_language(audio: AudioFile, options: TranscribeOptions,
                    speech: list[tuple[float, float]] | None = None) -> str:
    """The language a multilingual ``options.model`` hears in ``audio``, as :func:`transcribe` finds it when
    ``options.language`` is None: the vote of ``options.language_detection_segments`` 30 s windows of
    speech spread over the recording. ``speech`` is :func:`transcripts.audio.speech_regions` of ``audio``
    (found here when not given)."""
    if speech is None:
        speech = speech_regions(audio, options, VAD_WINDOW_SECONDS)
    return _detect_language(get_engine(options), audio, speech, options.language_detection_segments)


def _detect_language(engine, audio: AudioFile, speech: list[tuple[float, float]], windows: int) -> str:
    """The language with the highest summed probability over ``windows`` 30 s windows of speech."""
    totals: dict[str, float] = {}
    for spans in _detection_windows(speech, windows):
        samples = np.concatenate([audio.read(s, e) for s, e in spans])
        for lang, p in engine.language_probs(samples).items():
            totals[lang] = totals.get(lang, 0.0) + p
    if not totals:
        return "en"
    best = max(totals, key=totals.__getitem__)
    log.info("language detected: %s (%.0f%% of the vote)", best, 100 * totals[best] / sum(totals.values()))
    return best


def _detection_windows(speech: list[tuple[float, float]], n: int,
                       length: float = 30.0) -> list[list[tuple[float, float]]]:
    """``n`` windows of ``length`` seconds of speech, evenly spaced from the first to the last speech.

    Whisper reads 30 s at a time, so each window is a full 30 s (a short one padded with silence is
    guessed badly); when there is less than ``n`` x 30 s of speech the windows overlap, which gives the
    middle of the recording more say than an intro or outro (often in another language). With less
    than ``length`` seconds of speech there is one window; ``n=1`` is the first 30 s of speech (Whisper's
    own behaviour). Each window is a list of ``(start, end)`` spans of the recording.

    >>> _detection_windows([(0, 20), (30, 50)], 3)    # 40 s of speech: 3 overlapping windows
    [[(0.0, 20.0), (30.0, 40.0)], [(5.0, 20.0), (30.0, 45.0)], [(10.0, 20.0), (30.0, 50.0)]]
    >>> _detection_windows([(0, 100)], 3)             # first, middle and last 30 s
    [[(0.0, 30.0)], [(35.0, 65.0)], [(70.0, 100.0)]]
    >>> _detection_windows([(2, 12)], 4)              # less than 30 s: all of it, once
    [[(2.0, 12.0)]]
    """
    total = sum(e - s for s, e in speech)
    if total <= 0 or n < 1:
        return []
    if total <= length or n == 1:
        starts = [0.0]
    else:
        starts = [k * (total - length) / (n - 1) for k in range(n)]
    return [_voiced_span(speech, a, min(a + length, total)) for a in starts]


def _voiced_span(speech: list[tuple[float, float]], a: float, b: float) -> list[tuple[float, float]]:
    """The parts of the recording between ``a`` and ``b`` seconds of speech (counting speech only)."""
    out, t = [], 0.0
    for s, e in speech:
        lo, hi = max(a, t), min(b, t + e - s)
        if hi > lo:
            out.append((round(s + lo - t, 3), round(s + hi - t, 3)))
        t += e - s
    return out


def _decode(engine, audio: AudioFile, options: TranscribeOptions,
            speech: list[tuple[float, float]]) -> list[Segment]:
    """Decode ``speech`` block by block (at most ``BLOCK_SECONDS`` of audio in memory at a time)."""
    out: list[Segment] = []
    for group in blocks(speech, BLOCK_SECONDS):
        off = max(0.0, group[0][0] - 0.5)
        samples = audio.read(off, group[-1][1] + 0.5)
        local = [(round(s - off, 3), round(e - off, 3)) for s, e in group]
        out += [shift(s, off) for s in decode(engine, samples, options, local)]
    return out


def _wants_diarisation(options: TranscribeOptions) -> bool:
    return options.diarise is not False  # None (the default): diarise, skipping with one line without the extra
