"""``transcribe``: audio file in, speaker-labelled timed-words :class:`Transcript` out."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import _audio, _clean
from ._audio import AudioFile
from .errors import TranscriptError
from .model import Segment, Transcript, TranscribeOptions, Word

__all__ = ["transcribe", "load_audio"]

SR = 16000
BLOCK_SECONDS = 1200.0
"""Longest stretch of audio decoded at once (bounds memory on long recordings)."""
VAD_WINDOW_SECONDS = 600.0
"""Stretch of audio the voice-activity detector looks at at once."""


def load_audio(path: str | Path) -> np.ndarray:
    """Decode any audio or video file to 16 kHz mono float32 (PyAV, as faster-whisper does).

    The whole recording as one array (460 MB for 2 hours); :func:`transcribe` itself never does this.
    """
    with AudioFile(path) as audio:
        return audio.read()


def transcribe(audio_path: str | Path, options: TranscribeOptions | None = None,
               timeline: Sequence[tuple[float, float, str]] | None = None) -> Transcript:
    """Transcribe ``audio_path`` with timed, speaker-labelled words.

    ``timeline`` (from a multitrack recording) is a list of ``(start, end, speaker)``; when it is
    given the labels come from it exactly. Without it, speakers are diarised from the audio when
    ``options.diarize`` asks for it (by default when ``options.speakers`` names two or more people).
    A recording with no speech gives a transcript with no segments, not an error.
    """
    options = options or TranscribeOptions()
    from .engines import ENGINES, get_engine
    if options.engine not in ENGINES:
        raise TranscriptError(audio_path, f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    with AudioFile(audio_path) as audio:  # samples stay on disk: memory does not grow with length
        duration = round(audio.duration, 3)
        speech = _audio.speech_regions(audio, lambda a: _clean.speech_regions(a, options),
                                        VAD_WINDOW_SECONDS)
        engine = get_engine(options)
        try:
            language, segments = _decode(engine, audio, options, speech)
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
        if timeline:
            from .speakers import label_words_from_timeline
            words = label_words_from_timeline(words, timeline)
        elif _wants_diarisation(options):
            from .speakers import diarise_words
            words = diarise_words(audio, words, options)
    return Transcript(language=language, duration=duration, segments=_clean.phrases(words),
                      options=replace(options), engine=engine.name, model=engine.model_name)


def _decode(engine, audio: AudioFile, options: TranscribeOptions,
            speech: list[tuple[float, float]]) -> tuple[str, list[Segment]]:
    """Decode ``speech`` block by block (at most ``BLOCK_SECONDS`` of audio in memory at a time)."""
    language, out = options.language or "en", []
    for group in _audio.blocks(speech, BLOCK_SECONDS):
        off = max(0.0, group[0][0] - 0.5)
        samples = audio.read(off, group[-1][1] + 0.5)
        local = [(round(s - off, 3), round(e - off, 3)) for s, e in group]
        language, segs = engine.run(samples, options, local)
        if options.language is None:  # detected once, from the first block of speech
            options = replace(options, language=language)
        out += [_shift(s, off) for s in segs]
    return language, out


def _shift(seg: Segment, off: float) -> Segment:
    return replace(seg, start=round(seg.start + off, 3), end=round(seg.end + off, 3),
                   words=[replace(w, start=round(w.start + off, 3), end=round(w.end + off, 3)) for w in seg.words])


def _wants_diarisation(options: TranscribeOptions) -> bool:
    if options.diarize is not None:
        return options.diarize
    return len(options.speakers) >= 2 or (options.num_speakers or 0) >= 2
