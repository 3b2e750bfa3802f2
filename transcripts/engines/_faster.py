"""The faster-whisper engine (default): CTranslate2, int8 on CPU, batched or sequential decoding."""
from __future__ import annotations

import functools

import numpy as np

from ..weights import model_label, model_path
from ..errors import TranscriptError
from ..model import Segment, TranscribeOptions, Word
from ._decoding import clamp, clips, join_elisions, prompt, spread, threads_for


@functools.lru_cache(maxsize=4)
def _load(path: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel  # lazy: faster-whisper (ctranslate2, tokenizers) loads with the model
    try:
        return WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=threads,
                            local_files_only=True)
    except Exception as exc:  # huggingface / ctranslate2 raise many types
        raise TranscriptError(path, f"cannot load whisper model ({type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); give a CTranslate2 "
                                    "model directory or a model already in the local cache") from None


class FasterWhisperEngine:
    """faster-whisper with the options Chorus uses to keep invented text out."""

    name = "faster-whisper"

    def __init__(self, model, model_name: str):
        self.model = model
        self.model_name = model_name

    @classmethod
    def load(cls, model: str | None, compute_type: str = "int8", threads: int = 0) -> "FasterWhisperEngine":
        """Load (once per process) the model ``model`` names; ``None`` is the bundled tiny.en."""
        return cls(_load(model_path(model), compute_type, threads_for(threads)), model_label(model))

    @property
    def multilingual(self) -> bool:
        """Whether the model knows languages other than English."""
        return bool(self.model.model.is_multilingual)

    def language_probs(self, window: np.ndarray) -> dict[str, float]:
        """Language probabilities for one window of at most 30 s of speech."""
        _lang, _p, probs = self.model.detect_language(window, language_detection_segments=1)
        return dict(probs)

    def batches(self, options: TranscribeOptions) -> bool:
        """Whether :meth:`run` decodes independent chunks in batches (no temperature fallback) for ``options``."""
        return options.batched and not prompt(options.glossary)

    def run(self, audio: np.ndarray, options: TranscribeOptions,
            speech: list[tuple[float, float]]) -> tuple[str, list[Segment]]:
        """Transcribe; only the VAD's speech regions (cut to the audio's length) are decoded."""
        speech = clamp(speech, len(audio) / 16000)
        if not speech:
            return options.language or "en", []
        if options.seed is not None:  # temperature fallback samples: make it reproducible
            import ctranslate2  # lazy: loaded with the model, which is loaded by now
            ctranslate2.set_random_seed(options.seed)
        language = options.language if self.multilingual else "en"
        hotwords = prompt(options.glossary)
        common = dict(
            language=language, beam_size=options.beam_size, best_of=options.beam_size,
            word_timestamps=options.word_timestamps, condition_on_previous_text=False,
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            temperature=options.temperatures, hotwords=hotwords or None,
            initial_prompt=None,
        )
        # Batched decoding with hotwords drops whole clips (measured: a 3-turn glossary clip lost its
        # middle turn in most runs), so a glossary selects the sequential path. A multilingual model
        # keeps Whisper's timestamp tokens: without them, 30 s clips of French loop ("X. X. X.") and
        # lose the rest of the clip (measured on lang-fr/lang-mixed: WER 0.92/0.76 without, 0.59/0.66 with).
        if self.batches(options):
            from faster_whisper import BatchedInferencePipeline  # lazy: loaded with the model, as above
            spans = clips(speech, max_len=30.0)
            segs, _info = BatchedInferencePipeline(self.model).transcribe(
                audio, clip_timestamps=spans, batch_size=options.batch_size,
                without_timestamps=not self.multilingual, vad_filter=False, **common)
        else:
            spans = [t for c in clips(speech, max_len=30.0) for t in (c["start"], c["end"])]
            segs, _info = self.model.transcribe(
                audio, clip_timestamps=spans, vad_filter=False,
                hallucination_silence_threshold=(options.hallucination_silence_threshold
                                                 if options.word_timestamps else None),
                **common)
        out: list[Segment] = []
        for s in segs:
            words = [Word(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3), round(float(w.probability), 4))
                     for w in (s.words or []) if w.word.strip()]
            if not options.word_timestamps:
                words = spread(s.text, s.start, s.end, s.avg_logprob)
            if language != "en":
                words = join_elisions(words)
            out.append(Segment(round(float(s.start), 3), round(float(s.end), 3), s.text.strip(), None, words))
        return language, out
