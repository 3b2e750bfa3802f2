"""Helpers for the notes tests (no tests here): timed transcripts built from synth ground truth."""
from __future__ import annotations

from transcripts.model import Segment, Transcript, Word


def truth_transcript(truth: dict) -> Transcript:
    """A Transcript whose words are spread evenly over each spoken turn of ``truth`` (synth.render)."""
    segments = []
    for turn in truth["turns"]:
        if turn.get("kind") != "speech":
            continue
        words = turn["text"].split()
        span = (turn["end"] - turn["start"]) / max(len(words), 1)
        ws = [Word(w, round(turn["start"] + k * span, 3), round(turn["start"] + (k + 1) * span, 3), 1.0,
                   turn["speaker"]) for k, w in enumerate(words)]
        segments.append(Segment(turn["start"], turn["end"], turn["text"], turn["speaker"], ws))
    return Transcript(truth.get("language", "en"), truth["duration"], segments)


def topic_spans(truth: dict) -> list[tuple[float, float, str]]:
    """(start, end, topic) for each run of turns on one topic."""
    spans: list[list] = []
    for turn in truth["turns"]:
        if turn.get("kind") != "speech":
            continue
        if spans and spans[-1][2] == turn.get("topic"):
            spans[-1][1] = turn["end"]
        else:
            spans.append([turn["start"], turn["end"], turn.get("topic")])
    return [tuple(s) for s in spans]
