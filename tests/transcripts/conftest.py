"""Shared, session-scoped transcripts for tests/transcripts: each recording is transcribed once."""
from __future__ import annotations

import re

import pytest

from transcripts import TranscribeOptions, transcribe


def wer(ref: str, hyp: str) -> float:
    """Word error rate after lower-casing and dropping punctuation (jiwer)."""
    import jiwer

    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^0-9a-z' ]", " ", s.lower().replace("-", " ")).split())
    return jiwer.wer(norm(ref), norm(hyp))


@pytest.fixture(scope="session")
def panel_default(panel):
    """The panel transcribed with the default options and the two sidecar names (diarised)."""
    path, truth = panel
    return transcribe(path, TranscribeOptions(speakers=["Host", "Guest"])), truth


@pytest.fixture(scope="session")
def trap(synth):
    path, truth = synth("silence-trap")
    return transcribe(path, TranscribeOptions()), truth
