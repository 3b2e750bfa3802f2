"""``transcribe``: audio file in, speaker-labelled timed-words :class:`Transcript` out."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import _clean
from .audio import AudioFile, blocks, speech_regions
from .engines import ENGINES, decode, get_engine, shift
from .errors import LanguageUnsure, TranscriptError
from .model import Segment, Transcript, TranscribeOptions, Word
from .speakers import diarise_words, label_words_from_timeline
from .weights import whisper_language

__all__ = ["transcribe", "detect_language", "language_vote", "LanguageVote", "BLOCK_SECONDS", "VAD_WINDOW_SECONDS"]
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
    With ``options.languages`` (two or more), detection chooses only among them, and an unsure vote (see
    :func:`language_vote`) raises :class:`LanguageUnsure` before anything is decoded: a recording is never
    transcribed in a language nobody chose.
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
                vote = _vote(engine, audio, speech, options)
                if not vote.sure:
                    raise LanguageUnsure(audio_path, vote.probabilities, vote.heard)
                language = vote.language
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
    """The Whisper code of the show's language (or of its only listed one); None when the model should detect it."""
    try:
        language = whisper_language(options.language)
        listed = _candidates(options.languages)
    except TranscriptError as exc:
        raise TranscriptError(audio_path, exc.reason) from None
    if not engine.multilingual:
        other = next((x for x in ([options.language] if language else options.languages)
                      if whisper_language(x) != "en"), None)
        if other is not None:
            raise TranscriptError(audio_path, f"the model {engine.model_name} is English-only and cannot transcribe "
                                              f"{other!r}; set the show's model to \"base\" "
                                              "(pip install 'chorus-podcast[multilingual]') or another multilingual model")
        return "en"
    if language is None and len(listed) == 1:
        return listed[0]
    return language


def _candidates(languages: Sequence[str]) -> list[str]:
    """The Whisper codes of ``languages``, in order, each once (``pt-BR`` and ``pt`` are one).

    >>> _candidates(["sv", "en-GB", "en", "nb"])
    ['sv', 'en', 'no']
    """
    return list(dict.fromkeys(whisper_language(x) for x in languages or []))


@dataclass
class LanguageVote:
    """What language detection heard in a recording (:func:`language_vote`)."""

    language: str
    """The winner: among ``candidates`` when there are any, else of every language the model knows."""
    probabilities: dict[str, float]
    """Mean probability over the windows: of each candidate (in their order), or of the 5 likeliest languages."""
    windows: list[str] = field(default_factory=list)
    """Each window's own winner (among the candidates)."""
    heard: tuple[str, float] = ("en", 0.0)
    """The likeliest language of all the model knows, with its mean probability."""
    candidates: list[str] = field(default_factory=list)
    sure: bool = True
    """Always True without candidates (the likeliest wins, as Whisper does); with them, see
    ``TranscribeOptions.language_threshold``."""


def detect_language(audio: AudioFile, options: TranscribeOptions,
                    speech: list[tuple[float, float]] | None = None) -> str:
    """The language a multilingual ``options.model`` hears in ``audio``, as :func:`transcribe` finds it when
    ``options.language`` is None: the winner of :func:`language_vote` (even when that vote is unsure)."""
    return language_vote(audio, options, speech).language


def language_vote(audio: AudioFile, options: TranscribeOptions,
                  speech: list[tuple[float, float]] | None = None) -> LanguageVote:
    """The vote of ``options.language_detection_segments`` 30 s windows of speech spread over the recording,
    among ``options.languages`` when it lists any. ``speech`` is :func:`transcripts.audio.speech_regions` of
    ``audio`` (found here when not given).

    Among listed languages the vote is *sure* only when the winner's mean probability (out of every language
    the model knows) reaches ``options.language_threshold``, it holds ``options.language_share`` of the listed
    languages' probability, and every window picks it. Measured with the base model: a Swedish, Danish or
    Malay recording spoken by espeak-ng gives its own language 0.00-0.07 and English 0.10-0.15 (the model
    hears Latin or Thai): restricting alone would have published it as English; the threshold holds it."""
    if speech is None:
        speech = speech_regions(audio, options, VAD_WINDOW_SECONDS)
    return _vote(get_engine(options), audio, speech, options)


def _vote(engine, audio: AudioFile, speech: list[tuple[float, float]], options: TranscribeOptions) -> LanguageVote:
    candidates = _candidates(options.languages)
    per_window = [engine.language_probs(np.concatenate([audio.read(s, e) for s, e in spans]))
                  for spans in _detection_windows(speech, options.language_detection_segments)]
    if not per_window:  # no speech: nothing will be decoded, so any answer is harmless
        return LanguageVote((candidates or ["en"])[0], {}, candidates=candidates)
    mean: dict[str, float] = {}
    for probs in per_window:
        for lang, p in probs.items():
            mean[lang] = mean.get(lang, 0.0) + p / len(per_window)
    pool = candidates or list(mean)
    best = max(pool, key=lambda x: mean.get(x, 0.0))
    winners = [max(pool, key=lambda x: probs.get(x, 0.0)) for probs in per_window]
    heard = max(mean, key=mean.__getitem__)
    shown = candidates or sorted(mean, key=mean.__getitem__, reverse=True)[:5]
    sure = not candidates or (mean.get(best, 0.0) >= options.language_threshold
                              and mean.get(best, 0.0) >= options.language_share * sum(mean.get(c, 0.0) for c in pool)
                              and all(w == best for w in winners))
    vote = LanguageVote(best, {x: round(mean.get(x, 0.0), 3) for x in shown}, winners, (heard, round(mean[heard], 3)),
                        candidates, sure)
    log.info("language vote: %s (%s)%s", best, ", ".join(f"{k} {v:.2f}" for k, v in vote.probabilities.items()),
             "" if sure else ": unsure")
    return vote


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
