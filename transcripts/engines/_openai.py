"""The openai-whisper engine (reference implementation; extra ``chorus-podcast[openai]``).

Its weights are converted offline from the CTranslate2 model (the bundled tiny.en by default), so
both engines decode with the same network and nothing is downloaded.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..errors import TranscriptError
from ..model import Segment, TranscribeOptions, Word
from ..weights import model_label, model_path
from ._ct2convert import ct2_to_openai_state
from ._decoding import clamp, clips, join_elisions, prompt, spread, threads_for


def _import():
    try:  # lazy: optional extra `openai` (torch and openai-whisper, seconds to import)
        import torch
        import whisper
    except ImportError:
        raise TranscriptError(None, "the openai-whisper engine is not installed: pip install 'chorus-podcast[openai]'") \
            from None
    return torch, whisper


@functools.lru_cache(maxsize=2)
def load_openai_model(model_dir: str):
    """An openai-whisper ``Whisper`` model built from a CTranslate2 model directory (cached)."""
    torch, whisper = _import()
    from whisper.model import ModelDimensions, Whisper  # lazy: optional extra `openai`, imported by _import()
    p = Path(model_dir)
    if not (p / "model.bin").is_file():
        raise TranscriptError(p, "openai-whisper needs a CTranslate2 model directory (with model.bin) to convert")
    dims, sd, heads = ct2_to_openai_state(p)
    model = Whisper(ModelDimensions(**dims))
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in sd.items()},
                                                strict=False)
    missing = [m for m in missing if m not in ("decoder.mask",)]
    if missing or unexpected:
        raise TranscriptError(p, f"model conversion mismatch: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if heads:
        mask = torch.zeros(dims["n_text_layer"], dims["n_text_head"], dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.eval()


class OpenAIWhisperEngine:
    """openai-whisper decoding with the same guards as the default engine."""

    name = "openai-whisper"

    def __init__(self, model, model_name: str, threads: int):
        self.model, self.model_name, self.threads = model, model_name, threads

    @classmethod
    def load(cls, model: str | None, threads: int = 0) -> "OpenAIWhisperEngine":
        """Convert (once per process) and load ``model`` (None: the bundled tiny.en)."""
        path = model_path(model)
        if not Path(path).is_dir():
            raise TranscriptError(path, "openai-whisper needs a CTranslate2 model directory to convert from")
        return cls(load_openai_model(path), model_label(model), threads_for(threads))

    @property
    def multilingual(self) -> bool:
        """Whether the model knows languages other than English."""
        return bool(self.model.is_multilingual)

    def batches(self, options: TranscribeOptions) -> bool:
        """Never: openai-whisper decodes sequentially, with temperature fallback."""
        return False

    def language_probs(self, window: np.ndarray) -> dict[str, float]:
        """Language probabilities for one window of at most 30 s of speech."""
        torch, whisper = _import()
        torch.set_num_threads(self.threads)
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(window.astype(np.float32)), self.model.dims.n_mels)
        with torch.no_grad():
            _tokens, probs = self.model.detect_language(mel)
        return {k: float(v) for k, v in probs.items()}

    def run(self, audio: np.ndarray, options: TranscribeOptions,
            speech: list[tuple[float, float]]) -> tuple[str, list[Segment]]:
        """Transcribe only the speech regions (``clip_timestamps``, cut to the audio's length) with words and
        confidences."""
        speech = clamp(speech, len(audio) / 16000)
        torch, whisper = _import()
        torch.set_num_threads(self.threads)
        if not speech:
            return options.language or "en", []
        if options.seed is not None:  # temperature fallback samples: make it reproducible
            torch.manual_seed(options.seed)
        language = options.language if self.multilingual else "en"
        kw = dict(beam_size=options.beam_size if options.beam_size > 1 else None,
                  best_of=options.beam_size if options.beam_size > 1 else None)
        result = whisper.transcribe(
            self.model, audio.astype(np.float32), language=language, verbose=None, fp16=False,
            temperature=tuple(options.temperatures), word_timestamps=options.word_timestamps,
            condition_on_previous_text=False, compression_ratio_threshold=options.compression_ratio_threshold,
            logprob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            initial_prompt=prompt(options.glossary) or None,
            hallucination_silence_threshold=options.hallucination_silence_threshold if options.word_timestamps else None,
            clip_timestamps=[t for c in clips(speech, 30.0) for t in (c["start"], c["end"])], **{k: v for k, v in kw.items() if v})
        out = []
        for s in result["segments"]:
            words = [Word(w["word"].strip(), round(float(w["start"]), 3), round(float(w["end"]), 3),
                          round(float(w["probability"]), 4)) for w in s.get("words", []) if w["word"].strip()]
            if not options.word_timestamps:
                words = spread(s["text"], s["start"], s["end"], s.get("avg_logprob"))
            if language != "en":
                words = join_elisions(words)
            out.append(Segment(round(float(s["start"]), 3), round(float(s["end"]), 3), s["text"].strip(), None, words))
        return result.get("language") or language or "en", out
