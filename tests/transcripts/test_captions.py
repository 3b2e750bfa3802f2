"""Professional caption rules (issue #11): one checker, cues that keep the rules, speakers in every format."""
from __future__ import annotations

import json

import pytest
import srt
import webvtt

from transcripts import Word, write_formats
from transcripts.formats import CaptionRules, Cue, caption_problems, make_cues


def _cue(start, end, text, speaker="Amira", named=True, words=None):
    ws = words if words is not None else [Word(text, start, end, speaker=speaker)]
    shown = f"{speaker}: {text}" if named else text
    return Cue(start, end, shown.split("\n"), speaker, ws, named)


def _rules(cues):
    return [(p.cue, p.rule) for p in caption_problems(cues)]


def test_a_cue_that_keeps_every_rule_has_no_problems():
    assert _rules([_cue(0, 2, "Hello and welcome.", named=True), _cue(2, 4, "It is good to be here.", named=False)]) == []


def test_line_length():
    assert _rules([_cue(0, 4, "x" * 36)]) == [(0, "line_length")]


def test_number_of_lines():
    assert _rules([_cue(0, 4, "one\ntwo\nthree")]) == [(0, "lines")]


def test_reading_speed():
    assert _rules([_cue(0, 1.0, "twenty one characters")]) == [(0, "reading_speed")]


@pytest.mark.parametrize("length", [0.8, 7.1])
def test_duration(length):
    assert _rules([_cue(0, length, "Hi.")]) == [(0, "duration")]


@pytest.mark.parametrize("gap, problems", [(0.0, []), (0.05, [(1, "gap")]), (0.083, []), (-0.2, [(1, "gap")])])
def test_gap_between_cues(gap, problems):
    assert _rules([_cue(0, 2, "First cue."), _cue(2 + gap, 4, "Second cue.", named=False)]) == problems


def test_silence_inside_a_cue():
    words = [Word("Before.", 0, 0.6, speaker="Amira"), Word("after.", 1.8, 2.4, speaker="Amira")]
    assert _rules([_cue(0, 2.4, "Before. after.", words=words)]) == [(0, "silence")]


def test_a_cue_held_over_silence_after_its_words():
    assert _rules([_cue(0, 3.0, "Short.", words=[Word("Short.", 0, 0.6, speaker="Amira")])]) == [(0, "silence")]


def test_speaker_change_inside_a_cue():
    words = [Word("Yes.", 0, 0.5, speaker="Amira"), Word("No.", 0.6, 1.2, speaker="Ben")]
    assert _rules([_cue(0, 1.2, "Yes. No.", named=True, words=words)]) == [(0, "speaker")]


def test_speaker_change_without_the_name():
    assert _rules([_cue(0, 2, "Hello there.", named=True), _cue(2, 4, "Hi.", speaker="Ben", named=False)]) == [(1, "speaker")]


def test_cue_builder_obeys_the_rules_for_fast_talk_and_lone_words():
    words = [Word(f"w{i}{'.' if i % 9 == 8 else ''}", i * 0.3, i * 0.3 + 0.25, 0.9, "A" if i < 60 else "B")
             for i in range(120)]
    words += [Word("Yes.", 36.2, 36.4, speaker="B"), Word("Right.", 36.7, 36.9, speaker="A"),
              Word("So.", 39.0, 39.1, speaker="A")]
    cues = make_cues(words)
    assert [w for c in cues for w in c.words] == words  # nothing dropped, nothing reordered
    assert caption_problems(cues) == []


def test_writers_produce_no_problems_on_a_real_transcript(panel_default, tmp_path):
    t, _ = panel_default
    cues = make_cues(t.words())
    assert caption_problems(cues) == [] and len(cues) > 10
    assert [w for c in cues for w in c.words] == t.words()
    paths = write_formats(t, tmp_path, "ep")
    vtt = webvtt.read(str(paths["vtt"]))
    subs = list(srt.parse(paths["srt"].read_text()))
    segs = json.loads(paths["json"].read_text())["segments"]
    assert len(vtt) == len(subs) == len(segs) == len(cues)
    prev = None
    for c, v, s, j in zip(cues, vtt, subs, segs):
        assert v.voice == c.speaker == j["speaker"]
        assert v.text.splitlines() == c.lines == s.content.splitlines()
        assert j["body"] == " ".join(w.text for w in c.words)
        assert v.text.startswith(f"{c.speaker}: ") == (c.speaker != prev)  # the name at every change, only there
        prev = c.speaker
    assert {c.speaker for c in cues} == {"Host", "Speaker 2"}


def test_caption_rules_are_the_published_figures():
    r = CaptionRules()
    assert (r.max_line, r.max_lines, r.max_cps, r.target_cps, r.min_duration, r.max_duration, r.min_gap, r.max_gap) \
        == (42, 2, 20.0, 17.0, 0.83, 7.0, 0.083, 1.0)
