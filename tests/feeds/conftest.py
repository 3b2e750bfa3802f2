"""Fixtures for the page tests: a transcript timed from the generated panel's truth (the browser and
axe-core fixtures are session-wide, in tests/conftest.py)."""
from __future__ import annotations


import pytest

from transcripts import Segment, Transcript, Word

@pytest.fixture(scope="session")
def truth_transcript(panel) -> Transcript:
    """The panel's turns as a Transcript, words spread evenly over each turn (truth timing, no model);
    every seventh word has a low probability, as a recogniser's unsure words do."""
    wav, truth = panel
    segments, n = [], 0
    for turn in truth["turns"]:
        toks = turn["text"].split()
        step = (turn["end"] - turn["start"]) / len(toks)
        words = []
        for k, w in enumerate(toks):
            n += 1
            words.append(Word(text=w, start=turn["start"] + k * step, end=turn["start"] + (k + 1) * step,
                              probability=0.3 if n % 7 == 0 else 0.95, speaker=turn["speaker"]))
        segments.append(Segment(start=turn["start"], end=turn["end"], text=turn["text"], speaker=turn["speaker"],
                                words=words))
    return Transcript(language="en", duration=float(truth.get("duration") or segments[-1].end), segments=segments)
