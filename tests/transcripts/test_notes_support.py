"""Helpers for the notes tests (no tests here): timed transcripts built from synth ground truth."""
from __future__ import annotations

from collections import Counter

from transcripts.model import Segment, Transcript, Word
from transcripts.notes import tokens


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


def pk(ref_bounds: list[float], hyp_bounds: list[float], duration: float, k: int) -> float:
    """Pk over 1-second units: how often a probe k seconds wide disagrees about 'same topic'.

    >>> pk([10.0], [10.0], 20, 5), round(pk([10.0], [], 20, 5), 3)
    (0.0, 0.333)
    """
    n = int(duration)
    ref = [sum(1 for b in ref_bounds if b <= t) for t in range(n)]
    hyp = [sum(1 for b in hyp_bounds if b <= t) for t in range(n)]
    pairs = n - k
    if pairs <= 0:
        return 0.0
    return sum((ref[i] == ref[i + k]) != (hyp[i] == hyp[i + k]) for i in range(pairs)) / pairs


def keyword_topics(keywords: list[str], truth: dict) -> tuple[set[str], set[str]]:
    """(topics some keyword belongs to, all topics): a keyword's word belongs to the topic whose
    scripted text uses it most, relative to the topic's length."""
    per_topic: dict[str, Counter] = {}
    for turn in truth["turns"]:
        if turn.get("kind") == "speech":
            per_topic.setdefault(turn["topic"], Counter()).update(tokens(turn["text"]))
    covered = set()
    for kw in keywords:
        for tok in tokens(kw):
            freq = {tp: c[tok] / max(sum(c.values()), 1) for tp, c in per_topic.items()}
            best = max(freq, key=freq.get)
            if freq[best] > 0:
                covered.add(best)
    return covered, set(per_topic)
