"""Speakers by default (issue #11): diarised with no sidecar, counted, named in order of appearance.

The held-out scripts (tests/data/scripts/speakers-holdout-*.json) were committed before any tuning and
measured once before the pitch coordinate was tuned (on speakers-tune-*, speakers-tune2-*, panel and
quiet-guest only), so they are no longer a pure held-out set. Every one of them runs here, and the known
misses are strict xfails with their reasons."""
from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import SCRIPTS
from tests.support.measure import speaker_score
from transcripts import TranscribeOptions, transcribe
from transcripts import _diarise
from transcripts.audio import AudioFile
from transcripts.speakers import diarise_words

HELD_OUT = sorted(p.stem for p in SCRIPTS.glob("speakers-holdout-*.json"))
MISSES = {  # measured with resemblyzer plus pitch (docs/transcription.md "Speakers"); seen once before tuning
    "speakers-holdout-duo-noisy": "1 voice found for 2: at -40 dBFS noise the voices' spread hides their difference",
    "speakers-holdout-quartet-quiet-noise": "3 voices found for 4 (noise, a -10 dB voice): 72% of words attributed",
    "speakers-holdout-quartet-roundtable": "3 voices found for 4: two voices of one pitch merge; 75% attributed",
    "speakers-holdout-same-timbre": "en-gb and en-gb-scotland share espeak's pitch and formants: one voice",
    "speakers-holdout-trio-trainees": "4 voices found for 3: the -10 dB trainee splits in two",
    "speakers-holdout-duo-two-men": "1 voice found for 2, 54.7 % of words attributed, since the fresh install of 2026-12-04 (faster-whisper 1.2.1, ctranslate2 4.8.5, PyAV 18.1.0, onnxruntime 1.32.0, numpy 2.4.6); it passed in the environment of 2026-12-03",
}


score = speaker_score  # (true speakers, found, share of words right after the best one-to-one mapping)


def _render(synth, name):
    spec = json.loads((SCRIPTS / f"{name}.json").read_text())
    return synth(name, **spec.get("render", {}))


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=MISSES[n])) if n in MISSES else n for n in HELD_OUT])
def test_held_out_speaker_count_and_attribution(synth, name):
    path, truth = _render(synth, name)
    t = transcribe(path, TranscribeOptions())  # no sidecar, default options: diarised
    true_n, found, right = score(t.words(), truth)
    assert t.speakers() == [f"Speaker {i}" for i in range(1, found + 1)]  # in order of first appearance
    assert (found, right >= 0.90) == (true_n, True), (found, true_n, round(right, 3))


def test_sidecar_names_the_host_who_opens_and_leaves_the_rest(synth, panel_default):
    t, truth = panel_default
    path, _ = synth("panel")
    with AudioFile(path) as audio:
        words = diarise_words(audio, t.words(), TranscribeOptions(speakers=["Amira", "Ben"]))
    first = [w.speaker for w in words]
    assert list(dict.fromkeys(first)) == ["Amira", "Speaker 2"]
    assert score(words, truth)[2] >= 0.95


def test_without_the_extra_says_so_and_leaves_speakers_unlabelled(panel_default, monkeypatch, caplog):
    t, _ = panel_default
    monkeypatch.setattr(_diarise, "available", lambda: False)
    with caplog.at_level(logging.WARNING):
        bare = [replace(w, speaker=None) for w in t.words()]
        words = diarise_words(np.zeros(16000 * 100, dtype=np.float32), bare, TranscribeOptions())
    assert {w.speaker for w in words} == {None}
    assert [r.getMessage() for r in caplog.records if "chorus-podcast[speakers]" in r.getMessage()]
