"""The catalog's revisions as the editor relies on them: what an episode publishes (approved, else the
machine draft), numbering that never overwrites under concurrent saves, history, drafts and presence."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from chorus.catalog import (Catalog, EditingPresence, Episode, NotesRevision, TranscriptRevision, User, utcnow)
from chorus.errors import ChorusError


@pytest.fixture
def catalog(tmp_path):
    return Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")


def _episode(catalog: Catalog) -> int:
    with catalog.session() as s:
        show = catalog.show(s, "community-podcast")
        ep = Episode(show_id=show.id, slug="ep-1", title="Episode 1", source_name="ep1.wav", source_sha256="0" * 64)
        s.add(ep)
        s.flush()
        return ep.id


def test_a_volunteer_revision_is_published_only_once_approved(catalog):
    ep = _episode(catalog)
    machine = catalog.add_revision(TranscriptRevision, ep, {"text": "machine words"})
    edit = catalog.add_revision("transcript", ep, {"text": "corrected words"}, author="ann", base=machine)
    assert catalog.latest_revision("transcript", ep).number == edit
    assert catalog.current_revision(TranscriptRevision, ep).data == {"text": "machine words"}
    approval = catalog.approve(ep, "transcript", edit, by="bo")
    assert approval.approved_by == "bo" and approval.number == edit
    assert catalog.current_revision(TranscriptRevision, ep).data == {"text": "corrected words"}
    # a regenerated machine draft never replaces the approved edit
    catalog.add_revision(TranscriptRevision, ep, {"text": "new machine words"})
    assert catalog.current_revision("transcript", ep).number == edit
    # the newest approval wins, even of an older revision (restoring)
    catalog.approve(ep, "transcript", machine, by="bo")
    assert catalog.current_revision("transcript", ep).number == machine
    assert catalog.approved_revision("transcript", ep).number == machine
    # notes are approved apart from transcripts
    assert catalog.approved_revision(NotesRevision, ep) is None


def test_without_approval_the_newest_machine_draft_is_published(catalog):
    ep = _episode(catalog)
    catalog.add_revision("notes", ep, {"html": "<p>one</p>"})
    catalog.add_revision("notes", ep, {"html": "<p>by ann</p>"}, author="ann")
    newest = catalog.add_revision("notes", ep, {"html": "<p>two</p>"})
    assert catalog.current_revision(NotesRevision, ep).number == newest
    assert catalog.current_revision("transcript", ep) is None


def test_approving_a_revision_that_does_not_exist_is_one_line(catalog):
    ep = _episode(catalog)
    with pytest.raises(ChorusError, match=f"episode {ep} has no notes revision 7"):
        catalog.approve(ep, "notes", 7, by="bo")
    with pytest.raises(ValueError, match="unknown revision kind 'captions'"):
        catalog.revisions("captions", ep)


def test_history_says_who_edited_from_what_and_who_approved(catalog):
    ep = _episode(catalog)
    one = catalog.add_revision("transcript", ep, {"w": 1})
    two = catalog.add_revision("transcript", ep, {"w": 2}, author="ann", base=one, summary="3 words changed")
    three = catalog.add_revision("transcript", ep, {"w": 3}, author="cy", base=one, merged=True, summary="merged")
    catalog.approve(ep, "transcript", three, by="bo")
    history = catalog.revisions("transcript", ep)
    assert [(r.number, r.author, r.base, r.merged, r.summary, r.approved_by) for r in history] == [
        (one, "machine", None, False, None, None),
        (two, "ann", one, False, "3 words changed", None),
        (three, "cy", one, True, "merged", "bo"),
    ]
    assert history[2].approved_at is not None and history[0].created_at <= history[2].created_at
    assert catalog.revision("transcript", ep, two).data == {"w": 2}
    assert catalog.revision("transcript", ep, 99) is None


def test_concurrent_savers_get_distinct_numbers_and_nothing_is_overwritten(catalog):
    ep = _episode(catalog)
    catalog.add_revision("transcript", ep, {"saver": "machine"})
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def save(i: int) -> None:
        start.wait()
        try:
            for j in range(5):
                numbers.append(catalog.add_revision("transcript", ep, {"saver": i, "n": j}, author=f"v{i}", base=1))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(numbers) == list(range(2, 42))
    saved = [(r.author, catalog.revision("transcript", ep, r.number).data.get("n"))
             for r in catalog.revisions("transcript", ep)]
    assert sorted(saved[1:]) == [(f"v{i}", j) for i in range(8) for j in range(5)]  # every save, once


def test_revisions_stay_append_only(catalog):
    ep = _episode(catalog)
    number = catalog.add_revision("notes", ep, {"html": "x"})
    with pytest.raises(ValueError, match="append-only"), catalog.session() as s:
        s.get_one(NotesRevision, 1).data = {"html": "changed"}
    assert catalog.revision("notes", ep, number).data == {"html": "x"}


def test_a_draft_is_one_row_per_user_episode_and_kind_replaced_at_each_save(catalog):
    ep = _episode(catalog)
    assert catalog.get_draft(ep, "ann", "transcript") is None
    catalog.put_draft(ep, "ann", "transcript", {"paragraphs": ["first"]}, base=1)
    first = catalog.get_draft(ep, "ann", "transcript").saved_at
    catalog.put_draft(ep, "ann", "transcript", {"paragraphs": ["second"]}, base=2)
    catalog.put_draft(ep, "ann", "notes", {"html": "n"})
    catalog.put_draft(ep, "cy", "transcript", {"paragraphs": ["cy's"]}, base=1)
    draft = catalog.get_draft(ep, "ann", "transcript")
    assert (draft.data, draft.base) == ({"paragraphs": ["second"]}, 2) and draft.saved_at >= first
    assert [(d.kind, d.data) for d in catalog.drafts_of("ann")] == [("notes", {"html": "n"}),
                                                                   ("transcript", {"paragraphs": ["second"]})]
    assert catalog.drop_draft(ep, "ann", "transcript") is True
    assert catalog.get_draft(ep, "ann", "transcript") is None
    assert catalog.get_draft(ep, "cy", "transcript").data == {"paragraphs": ["cy's"]}
    assert catalog.drop_draft(ep, "ann", "transcript") is False


def test_presence_shows_who_is_editing_since_when_and_forgets_the_gone(catalog):
    ep = _episode(catalog)
    ann = catalog.touch_presence(ep, "ann")
    catalog.touch_presence(ep, "cy")
    again = catalog.touch_presence(ep, "ann")
    assert again.since == ann.since and again.last_seen >= ann.last_seen
    assert [p.user for p in catalog.presence(ep)] == ["ann", "cy"]
    with catalog.session() as s:  # cy closed the laptop three minutes ago
        row = s.query(EditingPresence).filter_by(user="cy").one()
        row.last_seen = utcnow() - timedelta(minutes=3)
    assert [p.user for p in catalog.presence()] == ["ann"]
    assert catalog.touch_presence(ep, "cy").since > ann.since  # back: a new stretch of editing
    catalog.leave_presence(ep, "ann")
    assert [p.user for p in catalog.presence(ep)] == ["cy"]


def test_user_names_are_unique(catalog):
    from sqlalchemy.exc import IntegrityError

    with catalog.session() as s:
        s.add(User(name="ann", role="editor", password_hash="x"))
    with pytest.raises(IntegrityError), catalog.session() as s:
        s.add(User(name="ann", role="organiser", password_hash="y"))
