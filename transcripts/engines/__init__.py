"""Speech-to-text engines behind one small interface.

An engine turns 16 kHz mono float32 samples into :class:`~transcripts.model.Segment` objects with
timed words. ``faster-whisper`` (CTranslate2, int8 on CPU) is the default; ``openai-whisper`` (the
reference implementation, optional extra ``chorus-podcast[openai]``) runs a PyTorch checkpoint
converted offline from the same CTranslate2 model, so no weights are ever downloaded.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import TranscriptError
from ..model import Segment, TranscribeOptions
from ._coverage import decode
from ._decoding import shift
from ._faster import FasterWhisperEngine
from ._openai import OpenAIWhisperEngine

__all__ = ["Engine", "get_engine", "decode", "shift", "ENGINES", "SAMPLE_RATE"]

SAMPLE_RATE = 16000
ENGINES = ("faster-whisper", "openai-whisper")


class Engine(Protocol):
    """What every engine provides."""

    name: str
    model_name: str
    multilingual: bool
    """False for English-only models (``*.en``): they are never asked for another language."""

    def batches(self, options: TranscribeOptions) -> bool:
        """Whether :meth:`run` decodes independent chunks together for ``options`` (no temperature fallback);
        :func:`decode` checks such chunks' coverage and decodes weak ones again, sequentially."""

    def language_probs(self, window: np.ndarray) -> dict[str, float]:
        """Probability of each language code for one window (at most 30 s) of speech."""

    def run(self, audio: np.ndarray, options: TranscribeOptions,
            speech: list[tuple[float, float]]) -> tuple[str, list[Segment]]:
        """Transcribe ``audio`` (16 kHz mono float32); ``speech`` is the VAD's speech regions in seconds.

        Returns the language code and the segments with timed words (times in seconds of ``audio``).
        """


def get_engine(options: TranscribeOptions) -> Engine:
    """The engine for ``options.engine`` with its model loaded (cached once per process)."""
    if options.engine == "faster-whisper":
        return FasterWhisperEngine.load(options.model, options.compute_type, options.threads)
    if options.engine == "openai-whisper":
        return OpenAIWhisperEngine.load(options.model, options.threads)
    raise TranscriptError(None, f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
