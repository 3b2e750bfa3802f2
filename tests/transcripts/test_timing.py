"""Issue #11, item 4: turn starts within 0.25 s median and 1.0 s worst, measured as a reader sees them: the
distance from each true turn start to the nearest caption cue start.

The recordings (tests/data/scripts/timing-*.json) were written before anything was measured on them: pauses
of 5-25 s, a guest 10 dB quieter than the host, pink noise at -40 to -45 dBFS. They are transcribed unmastered
with the default options (no sidecar: diarised), so the truth's clock is the recording's.
"""
from __future__ import annotations

import json
import statistics

import pytest

from tests.conftest import SCRIPTS
from tests.support.measure import turn_start_errors
from transcripts import TranscribeOptions, Word, transcribe
from transcripts.formats import caption_problems, make_cues

MEDIAN, WORST = 0.25, 1.0
RECORDINGS = sorted(p.stem for p in SCRIPTS.glob("timing-*.json"))


def test_the_timing_recordings_have_what_the_issue_names():
    assert len(RECORDINGS) >= 3
    longest = []
    for name in RECORDINGS:
        spec = json.loads((SCRIPTS / f"{name}.json").read_text())
        pauses = [x["pause"] for x in spec["turns"] if "pause" in x]
        assert sum(5 <= p <= 25 for p in pauses) >= 3, name
        longest.append(max(pauses))
        assert min(s.get("gain_db", 0) for s in spec["speakers"].values()) <= -10, name
        assert spec["render"]["noise_db"] >= -45, name
    assert max(longest) >= 20


@pytest.mark.parametrize("name", RECORDINGS)
def test_turn_starts_are_close_to_a_cue_start(synth, name):
    spec = json.loads((SCRIPTS / f"{name}.json").read_text())
    path, truth = synth(name, **spec["render"])
    t = transcribe(path, TranscribeOptions())
    cues = make_cues(t.words())
    errors = turn_start_errors([c.start for c in cues], truth)
    assert statistics.median(errors) <= MEDIAN and max(errors) <= WORST, errors
    assert caption_problems(cues) == []


def _turn(speaker, t0, text, length=0.2, gap=0.01):
    """Words of ``text`` said by ``speaker`` from ``t0``, each ``length`` s long with ``gap`` s between them."""
    out, t = [], t0
    for token in text.split():
        out.append(Word(token, round(t, 3), round(t + length, 3), 0.9, speaker))
        t += length + gap
    return out


def test_a_cue_opens_with_its_words_when_only_the_preferred_reading_speed_is_short():
    """Fast but readable speech after a pause, with the next speaker straight after: the cue may read faster
    than the preferred 17 characters a second (never more than 20) rather than show before the voice (it used
    to open 0.3-1 s early, into the pause)."""
    ann = _turn("Ann", 10.0, "We met on a Tuesday by the old canal.")  # 37 characters in 1.9 s
    ben = _turn("Ben", ann[-1].end + 0.05, "And it rained all day.")
    cue = next(c for c in make_cues(_turn("Ann", 0.0, "Fine.") + ann + ben) if c.speaker == "Ann" and c.start > 5)
    assert cue.start == 10.0
    assert 17 < len(" ".join(cue.lines)) / (cue.end - cue.start) <= 20


def test_the_rest_of_a_sentence_does_not_run_into_the_next_turn():
    """When diarisation hears two voices as one, a cue that had to end mid-sentence used to leave the last word
    ("coming.") to open the next cue, which then ran on into the other person's turn: its start was 1-1.6 s
    from the turn start. The next cue now holds the end of the sentence and ends with it."""
    said = "I suppose I worry that she will hear it as a telling off from me and then stop coming."
    first = _turn("Speaker 1", 0.0, said, 0.25)
    second = _turn("Speaker 1", first[-1].end + 0.35, "I had a client like that last spring.", 0.25)
    cues = make_cues(first + second)
    assert not any(first[-1] in c.words and second[0] in c.words for c in cues), [c.lines for c in cues]
    assert min(abs(c.start - second[0].start) for c in cues) <= 0.1, [(c.start, c.lines) for c in cues]
    assert caption_problems(cues) == []
