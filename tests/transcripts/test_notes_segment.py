"""The embedding segmenter: its cost matrix, its constraints, the TextTiling fallback and bad options."""
from __future__ import annotations

import numpy as np
import pytest

from transcripts.notes import NotesError, NotesOptions, make_notes
from transcripts.notes._chapters import min_length
from transcripts.notes._embed import available
from transcripts.notes._segment import _costs

from tests.transcripts.test_notes_support import truth_transcript


def test_cost_matrix_matches_brute_force():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w = rng.uniform(1, 5, size=7)
    c = _costs(x, w)
    for a in range(7):
        for b in range(a + 1, 8):
            mean = (w[a:b, None] * x[a:b]).sum(0) / w[a:b].sum()
            want = (w[a:b] * ((x[a:b] - mean) ** 2).sum(1)).sum()
            assert c[a, b] == pytest.approx(want, abs=1e-9)
    assert np.isinf(c[3, 3]) and np.isinf(c[4, 2])


def test_embeddings_extra_is_installed_for_the_tests():
    # The test extra pulls it in; without it "auto" silently means TextTiling, so say so loudly here.
    assert available(), "pip install -e '.[embeddings]' (the test extra includes it)"


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
