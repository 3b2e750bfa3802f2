"""Saving edits against a real SQLite catalog: new revisions, three-way merges, conflicts, restores, notes."""
from __future__ import annotations

import pytest

from chorus.catalog import Catalog
from editor import service
from editor.errors import Conflict, EditorError
from transcripts import Transcript
from transcripts.alignment import EditParagraph, paragraphs

from tests.editor.conftest import TURNS, add_episode, machine_transcript


@pytest.fixture
def cat(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    return catalog, add_episode(catalog)


def _paras(catalog, episode_id, number=None):
    rev = service.need(catalog, "transcript", episode_id, number)
    return [EditParagraph(p.speaker, p.text) for p in paragraphs(Transcript.from_dict(rev.data))]


def _edit(paras, index, old, new):
    out = [EditParagraph(p.speaker, p.text) for p in paras]
    assert old in out[index].text
    out[index].text = out[index].text.replace(old, new, 1)
    return out


def test_a_save_is_a_new_revision_timed_against_the_machine_words(cat):
    catalog, ep = cat
    edited = _edit(_paras(catalog, ep), 1, "Supervision has changed", "Supervision has really changed")
    r = service.save_transcript(catalog, ep, "ed", 1, edited)
    assert (r.revision, r.merged, r.changed) == (2, False, True)
    assert r.summary == "1 word added"
    t = Transcript.from_dict(catalog.revision("transcript", ep, 2).data)
    words = {w.text: w for w in t.words()}
    assert words["really"].origin == "estimated"
    machine = {w.text: w for w in machine_transcript().words()}
    assert (words["Supervision"].start, words["Supervision"].origin) == (machine["Supervision"].start, "machine")
    starts = [w.start for w in t.words()]
    assert starts == sorted(starts)
    (info,) = [x for x in catalog.revisions("transcript", ep) if x.number == 2]
    assert (info.author, info.base, info.merged) == ("ed", 1, False)


def test_non_overlapping_saves_from_one_base_merge(cat):
    catalog, ep = cat
    base = _paras(catalog, ep)
    first = service.save_transcript(catalog, ep, "ed", 1, _edit(base, 0, "check in", "check-in"))
    second = service.save_transcript(catalog, ep, "eve", 1, _edit(base, 3, "every month", "each month"))
    assert (first.revision, first.merged) == (2, False)
    assert (second.revision, second.merged) == (3, True)
    merged = _paras(catalog, ep, 3)
    assert "check-in" in merged[0].text and "each month" in merged[3].text
    (info,) = [x for x in catalog.revisions("transcript", ep) if x.number == 3]
    assert (info.author, info.base, info.merged) == ("eve", 1, True)


def test_overlapping_saves_conflict_and_save_nothing(cat):
    catalog, ep = cat
    base = _paras(catalog, ep)
    service.save_transcript(catalog, ep, "ed", 1, _edit(base, 2, "the money", "the fees"))
    with pytest.raises(Conflict) as e:
        service.save_transcript(catalog, ep, "eve", 1, _edit(base, 2, "the money", "the cost"))
    assert e.value.status == 409 and e.value.extra["latest_revision"] == 2
    (c,) = e.value.extra["conflicts"]
    assert c["paragraph"] == 2
    assert "the cost" in c["ours"]["text"] and "the fees" in c["theirs"]["text"] and "the money" in c["base"]["text"]
    assert c["ours"]["speaker"] == "Speaker 1"
    assert [x.number for x in catalog.revisions("transcript", ep)] == [1, 2]


def test_undoing_an_edit_brings_back_the_machine_times(cat):
    """Realignment always starts from the original machine words, so times never drift over saves."""
    catalog, ep = cat
    base = _paras(catalog, ep)
    service.save_transcript(catalog, ep, "ed", 1, _edit(base, 3, "share cases with care", "share our cases"))
    service.save_transcript(catalog, ep, "ed", 2, base)
    again = Transcript.from_dict(catalog.revision("transcript", ep, 3).data)
    machine = machine_transcript()
    assert [(w.text, w.start, w.end, w.probability) for w in again.words()] == \
           [(w.text, w.start, w.end, w.probability) for w in machine.words()]


def test_a_save_that_changes_nothing_adds_no_revision(cat):
    catalog, ep = cat
    r = service.save_transcript(catalog, ep, "ed", 1, _paras(catalog, ep))
    assert (r.revision, r.changed) == (1, False)
    assert len(catalog.revisions("transcript", ep)) == 1


def test_restore_makes_a_new_revision_with_the_old_words(cat):
    catalog, ep = cat
    base = _paras(catalog, ep)
    service.save_transcript(catalog, ep, "ed", 1, _edit(base, 0, "Welcome back", "Hello again"))
    r = service.restore(catalog, ep, "eve", 1)
    assert r.revision == 3
    assert catalog.revision("transcript", ep, 3).data == catalog.revision("transcript", ep, 1).data
    assert [x.summary for x in catalog.revisions("transcript", ep)][-1] == "restored revision 1"


def test_a_renamed_speaker_is_saved_everywhere(cat):
    from transcripts.revisions import rename_speaker

    catalog, ep = cat
    r = service.save_transcript(catalog, ep, "ed", 1, rename_speaker(_paras(catalog, ep), "Speaker 2", "Amira"))
    t = Transcript.from_dict(catalog.revision("transcript", ep, r.revision).data)
    assert t.speakers() == ["Speaker 1", "Amira"]
    assert {w.speaker for w in t.words()} == {"Speaker 1", "Amira"}


def test_bad_requests_are_one_line_errors(cat):
    catalog, ep = cat
    with pytest.raises(EditorError, match="base_revision must be"):
        service.save_transcript(catalog, ep, "ed", "1", _paras(catalog, ep))
    with pytest.raises(EditorError, match="no transcript revision 9") as e:
        service.save_transcript(catalog, ep, "ed", 9, _paras(catalog, ep))
    assert e.value.status == 404
    with pytest.raises(EditorError, match="paragraph 0 must be"):
        service.to_paragraphs([{"speaker": "A"}])


def test_notes_merge_field_by_field_and_conflict_on_the_same_field(cat):
    catalog, ep = cat
    first = service.save_notes(catalog, ep, "ed", 1, {"title": "Check in: supervision"})
    second = service.save_notes(catalog, ep, "eve", 1, {"chapters": [{"start": 0.0, "title": "Hello"},
                                                                     {"start": 10.0, "title": "Supervision"}]})
    assert (first.revision, second.revision, second.merged) == (2, 3, True)
    data = catalog.revision("notes", ep, 3).data
    assert data["title"] == "Check in: supervision"
    assert [c["title"] for c in data["chapters"]] == ["Hello", "Supervision"]
    assert "Hello" in data["html"] and "Hello" in data["text"]
    with pytest.raises(Conflict) as e:
        service.save_notes(catalog, ep, "olive", 1, {"title": "Another title"})
    assert e.value.extra["conflicts"][0]["field"] == "title"


def test_drafts_are_kept_per_user_until_saved(cat):
    catalog, ep = cat
    paras = [{"speaker": "Speaker 1", "text": "half typed"}]
    service.save_draft(catalog, ep, "ed", "transcript", 1, {"paragraphs": paras})
    assert service.load_draft(catalog, ep, "ed")["paragraphs"] == paras
    assert service.load_draft(catalog, ep, "eve") is None
    service.save_transcript(catalog, ep, "ed", 1, _edit(_paras(catalog, ep), 0, "Welcome", "Hello"))
    assert service.load_draft(catalog, ep, "ed") is None


def test_saves_store_exactly_what_a_full_realignment_gives(tmp_path):
    """A save made from a revision this process saved reuses that revision's unchanged paragraphs (timing and
    stored dicts); every stored revision is still exactly the full realignment of its edit against the
    machine words, saved one after another or merged."""
    import json

    from transcripts.alignment import realign

    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    ep = add_episode(catalog, transcript=machine_transcript(turns=TURNS * 6))
    machine = Transcript.from_dict(catalog.revision("transcript", ep, 1).data)

    def stored(n):
        return json.loads(json.dumps(catalog.revision("transcript", ep, n).data))

    def where(ps, word, nth):
        return [i for i, p in enumerate(ps) if word in p.text][nth]

    for n, (old, new, nth) in enumerate([("Welcome", "Welcome all", 0), ("group", "groups", 2), ("break", "pause", 3),
                                         ("fees", "the fees", 5), ("Thanks", "Thank you", 4)], start=1):
        ps = _paras(catalog, ep)
        edited = _edit(ps, where(ps, old, nth), old, new)
        before = Transcript.from_dict(stored(n))
        assert service.save_transcript(catalog, ep, "ed", n, edited).revision == n + 1
        assert stored(n + 1) == json.loads(json.dumps(realign(machine, before, edited).to_dict()))
    base = _paras(catalog, ep)
    a, b = where(base, "every month", 1), where(base, "supervision", 4)
    service.save_transcript(catalog, ep, "ed", 6, _edit(base, a, "every month", "each month"))
    r = service.save_transcript(catalog, ep, "eve", 6, _edit(base, b, "supervision", "peer supervision"))
    assert (r.revision, r.merged) == (8, True)
    merged = _paras(catalog, ep, 8)
    assert "each month" in merged[a].text and "peer supervision" in merged[b].text
    assert stored(8) == json.loads(json.dumps(realign(machine, Transcript.from_dict(stored(7)), merged).to_dict()))
