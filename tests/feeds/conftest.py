"""Fixtures for the page tests in a real browser: Debian's Chromium through Playwright (never
downloaded), axe-core from ``make test`` (npm), and a transcript timed from the generated panel's truth."""
from __future__ import annotations

from pathlib import Path

import pytest

from transcripts import Segment, Transcript, Word

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / ".venv" / "axe-core" / "axe.min.js"
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless. Missing is a failure, not a skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core's script, as ``make test`` fetched it (npm pack). Missing is a failure, not a skip."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make test (it fetches axe-core with npm pack)", pytrace=False)
    return AXE


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
