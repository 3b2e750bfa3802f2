"""Quality bars of issue #5 on generated multi-topic episodes (bench/notes.py scores every script, twice).

Truth timing for the three tuning scripts and for every held-out script (three sets, written before
tuning; the misses docs/notes.md documents are strict xfails, so a fix or a new miss both fail the run); a
real whisper transcript for one tuning script; and the long-episode path (blocks, then sentence-exact
starts) on a concatenation of episodes.
"""
from __future__ import annotations

import pytest

from transcripts.model import Segment, Transcript, Word
from transcripts.notes import NotesOptions, make_notes, min_length
from transcripts.notes import _segment  # white-box: a small word budget sends a 13-minute episode down the 2-hour path

from tests.transcripts.test_notes_support import keyword_topics, pk, topic_spans, truth_transcript


def test_pk_of_identical_and_of_no_segmentation():
    assert pk([50, 100], [50, 100], 150, 25) == 0.0
    assert pk([50, 100], [], 150, 25) > 0.3


def _assert_bars(t: Transcript, truth: dict) -> None:
    """Pk <= 0.35, >= 2/3 of the boundaries within 15 s, no chapter under the minimum, summary from >= 2
    topics, a keyword from every topic, distinct titles."""
    opts = NotesOptions()
    notes = make_notes(t, opts)
    spans = topic_spans(truth)
    bounds = truth["topic_boundaries"]
    starts = [c.start for c in notes.chapters[1:]]
    k = round(sum(b - a for a, b, _ in spans) / len(spans) / 2)
    assert pk(bounds, starts, truth["duration"], k) <= 0.35, (bounds, starts)
    hits = sum(any(abs(s - b) <= 15 for s in starts) for b in bounds)
    assert hits >= 2 / 3 * len(bounds), (bounds, starts)
    minimum = min_length(truth["duration"], opts)
    assert all(c.end - c.start >= minimum for c in notes.chapters)

    def topic_at(x: float) -> str:
        return next((tp for a, b, tp in spans if x <= b + 0.5), spans[-1][2])

    where = {s.text: topic_at((s.start + s.end) / 2) for s in t.segments}
    summary_topics = {next(tp for text, tp in where.items() if sent in text) for sent in notes.summary}
    assert len(summary_topics) >= 2
    covered, topics = keyword_topics(notes.keywords, truth)
    assert covered == topics, (notes.keywords, topics - covered)
    assert len({c.title for c in notes.chapters}) == len(notes.chapters)


def _miss(script: str, why: str):
    return pytest.param(script, marks=pytest.mark.xfail(strict=True, reason=why))


TUNING = ["topics-clinic", "topics-community", "topics-science"]
HELD_OUT = [  # every held-out script, in the sets of docs/notes.md; the misses it documents are strict xfails
    _miss("topics-holdout-garden", "docs/notes.md: its 18 s topic is shorter than the 21 s minimum, so no "
                                   "chapter and no keyword of its own"),
    "topics-holdout-grief", "topics-holdout-kitchen",
    _miss("topics-holdout-rail", "docs/notes.md: one topic gets no keyword"),
    "topics-holdout2-cycling",
    _miss("topics-holdout2-choir", "docs/notes.md: 30-41 s topics, four of five about singing: 2 chapters for "
                                   "5 topics (Pk 0.42, 1/4 boundaries)"),
    "topics-holdout2-supervision", "topics-holdout3-museum", "topics-holdout3-organisers",
]


@pytest.mark.parametrize("script", TUNING + HELD_OUT)
def test_bars_on_generated_episodes(synth, script):
    _, truth = synth(script)
    _assert_bars(truth_transcript(truth), truth)


def test_bars_on_a_whisper_transcript(synth):
    from transcripts import TranscribeOptions, transcribe

    path, truth = synth("topics-science")
    t = transcribe(path, TranscribeOptions())
    # The summary check looks sentences up in the transcript's own segments, so it is the same check.
    _assert_bars(t, truth)


def _concatenated(truths: list[dict]) -> tuple[Transcript, list[float]]:
    segs, joins, offset = [], [], 0.0
    for truth in truths:
        t = truth_transcript(truth)
        segs += [Segment(s.start + offset, s.end + offset, s.text, s.speaker,
                         [Word(w.text, w.start + offset, w.end + offset, 1.0, w.speaker) for w in s.words])
                 for s in t.segments]
        offset += t.duration
        joins.append(offset)
    return Transcript("en", offset, segs), joins[:-1]


def test_long_episode_path_places_chapters_on_episode_joins(synth, monkeypatch):
    # Five episodes back to back (about 13 minutes, so the 60 s minimum applies); a small word budget sends
    # them down the long-episode path that 2-hour recordings take, with about as few words per block
    # (bench/notes.py times that one and compares it with the sentence path).
    truths = [synth(f"topics-{n}")[1] for n in ("holdout-kitchen", "community", "holdout-rail", "science",
                                                  "holdout-grief")]
    t, joins = _concatenated(truths)
    monkeypatch.setattr(_segment, "_EMBED_WORDS", 600)
    calls = []
    real = _segment.segment
    monkeypatch.setattr(_segment, "segment", lambda x, units, *a, **k: calls.append(len(units)) or real(x, units, *a, **k))
    notes = make_notes(t, NotesOptions())
    assert calls and calls[0] < len(t.segments) / 2, "the split ran over blocks, not sentences"
    starts = [c.start for c in notes.chapters[1:]]
    assert all(c.end - c.start >= 60 for c in notes.chapters)
    off = sorted(min(abs(s - j) for s in starts) for j in joins)
    assert off[-1] <= 15, (joins, starts)
    assert off[len(off) // 2] <= 3, ("starts are placed on sentences, not on 20 s blocks", joins, starts)
