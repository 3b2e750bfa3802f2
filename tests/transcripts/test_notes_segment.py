"""The embedding segmenter: its constraints, the TextTiling fallback and bad options (its cost matrix is
checked against brute force in ``transcripts/notes/_segment.py``'s doctest)."""
from __future__ import annotations

import pytest

from transcripts.notes import NotesError, NotesOptions, embeddings_available, make_notes, min_length

from tests.transcripts.test_notes_support import truth_transcript


def test_embeddings_extra_is_installed_for_the_tests():
    # The test extra pulls it in; without it "auto" silently means TextTiling, so say so loudly here.
    assert embeddings_available(), "pip install -e '.[embeddings]' (the test extra includes it)"


@pytest.mark.parametrize("segmenter", ["embeddings", "texttiling"])
def test_constraints_hold_for_both_segmenters(synth, segmenter):
    _, truth = synth("topics-community")
    t = truth_transcript(truth)
    opts = NotesOptions(segmenter=segmenter)
    notes = make_notes(t, opts)
    assert 2 <= len(notes.chapters) <= opts.max_chapters
    assert all(c.end - c.start >= min_length(truth["duration"], opts) for c in notes.chapters)
    few = make_notes(t, NotesOptions(segmenter=segmenter, max_chapters=2, min_chapter=20))
    assert len(few.chapters) <= 2
    assert all(c.end - c.start >= 20 for c in few.chapters)


def test_unknown_segmenter_is_a_one_line_error(synth):
    _, truth = synth("topics-science")
    with pytest.raises(NotesError) as e:
        make_notes(truth_transcript(truth), NotesOptions(segmenter="magic"))
    assert "unknown segmenter 'magic'" in str(e.value) and "\n" not in str(e.value)
