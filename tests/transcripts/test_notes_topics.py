"""Quality bars of issue #5 on generated multi-topic episodes (truth timing; bench/notes.py adds whisper)."""
from __future__ import annotations

import pytest

from transcripts.notes import NotesOptions, make_notes
from transcripts.notes._chapters import min_length

from tests.transcripts.test_notes_support import keyword_topics, pk, topic_spans, truth_transcript


def test_pk_of_identical_and_of_no_segmentation():
    assert pk([50, 100], [50, 100], 150, 25) == 0.0
    assert pk([50, 100], [], 150, 25) > 0.3


@pytest.mark.parametrize("script", ["topics-clinic", "topics-science"])
def test_bars_on_generated_episodes(synth, script):
    _, truth = synth(script)
    t = truth_transcript(truth)
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
        return next(tp for a, b, tp in spans if x <= b + 0.5)

    where = {s.text: topic_at((s.start + s.end) / 2) for s in t.segments}
    summary_topics = {next(tp for text, tp in where.items() if sent in text) for sent in notes.summary}
    assert len(summary_topics) >= 2
    covered, topics = keyword_topics(notes.keywords, truth)
    assert covered == topics, (notes.keywords, topics - covered)
    assert len({c.title for c in notes.chapters}) == len(notes.chapters)
