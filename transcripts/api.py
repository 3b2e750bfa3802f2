"""``transcribe``: audio file in, speaker-labelled timed-words :class:`Transcript` out."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import _clean
from .errors import TranscriptError
from .model import Transcript, TranscribeOptions, Word

__all__ = ["transcribe", "load_audio"]

SR = 16000


def load_audio(path: str | Path) -> np.ndarray:
    """Decode any audio or video file to 16 kHz mono float32 (PyAV, as faster-whisper does)."""
    p = Path(path)
    if not p.is_file():
        raise TranscriptError(p, "no such file")
    if p.stat().st_size == 0:
        raise TranscriptError(p, "the file is empty")
    from faster_whisper.audio import decode_audio
    try:
        audio = decode_audio(str(p), sampling_rate=SR)
    except Exception as exc:  # PyAV raises its own error family for bad media
        raise TranscriptError(p, f"cannot decode audio ({type(exc).__name__})") from None
    if audio.size == 0:
        raise TranscriptError(p, "no audio samples")
    return audio


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
    audio = load_audio(audio_path)
    duration = round(len(audio) / SR, 3)
    speech = _clean.speech_regions(audio, options)
    engine = get_engine(options)
    try:
        language, segments = engine.run(audio, options, speech)
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


def _wants_diarisation(options: TranscribeOptions) -> bool:
    if options.diarize is not None:
        return options.diarize
    return len(options.speakers) >= 2 or (options.num_speakers or 0) >= 2
