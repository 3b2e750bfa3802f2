"""Redaction in the catalog (``chorus.privacy_review``) on a real SQLite catalog with real transcripts and
notes: nothing of the removed words is left anywhere in the file, and the record says who, what kind and when."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from chorus import privacy_review as review
from chorus.catalog import Catalog, Draft, Episode, EpisodeEvent, PrivacyFlag, Redaction, RevisionInfo
from chorus.errors import ChorusError
from transcripts import Transcript
from transcripts.model import Segment, Word
from transcripts.notes import Chapter, Person, ShowNotes
from transcripts.notes._render import render_html, render_text
from transcripts.privacy import Flag
from transcripts.redaction import REDACTED, count_digests

TURNS = [("Ann Lee", "Welcome back. Today Bo Park joins us."),
         ("Bo Park", "Thanks Ann. My client Jane Doe rang me at work."),
         ("Ann Lee", "How did jane doe sound?"),
         ("Bo Park", "Upset. Doe's sister was with her. CBT helped."),
         ("Ann Lee", "Her number is oh seven seven double oh nine double one two three.")]
NAME = re.compile(rb"jane|\bdoe\b", re.IGNORECASE)


def transcript(turns=TURNS, misheard: bool = False) -> Transcript:
    segs, clock = [], 0.0
    for speaker, said in turns:
        words = []
        for x in said.split():
            if misheard and x == "Doe":
                x = "Dough"
            words.append(Word(x, round(clock, 2), round(clock + 0.4, 2), 0.8, speaker))
            clock += 0.5
        segs.append(Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), speaker, words))
    t = Transcript("en", clock, segs)
    t.options.glossary = ["Jane Doe", "CBT"]
    return t


def notes() -> ShowNotes:
    people = [Person("Ann Lee", "host"), Person("Bo Park", "guest")]
    chapters = [Chapter(0, 5, "Welcome"), Chapter(5, 20, "Jane Doe at work")]
    summary = ["My client Jane Doe rang me at work.", "CBT helped."]
    keywords = ["jane doe", "cbt", "work"]
    return ShowNotes(summary, keywords, chapters, render_html("", summary, people, chapters, [], keywords),
                     render_text("", summary, people, chapters, [], keywords, 4000), title="Jane Doe rang",
                     people=people)


def index(t: Transcript, word: str) -> int:
    return [w.text for w in t.words()].index(word)


def build_episode(catalog: Catalog) -> int:
    """An episode as the editor leaves it: a misheard machine revision, a volunteer's correction (the latest),
    notes, autosaved drafts, an event and open flags."""
    with catalog.session() as s:
        show = catalog.show(s, "community-podcast")  # the default show
        ep = Episode(show_id=show.id, slug="ep-1", title="Jane Doe rang", source_name="ep1.wav",
                     source_sha256="0" * 64)
        s.add(ep)
        s.flush()
        episode_id = ep.id
    catalog.add_revision("transcript", episode_id, transcript(misheard=True).to_dict())
    t = transcript()
    catalog.add_revision("transcript", episode_id, t.to_dict(), author="ed", base=1,
                         summary="1 word changed")
    catalog.add_revision("notes", episode_id, notes().to_dict())
    for n in range(5):  # autosaves replace the row: the old versions were freed inside the file
        catalog.put_draft(episode_id, "ed", "transcript",
                          {"paragraphs": [{"speaker": "Bo Park", "text": f"My client Jane Doe rang {n}"}]}, base=2)
    catalog.set_status(episode_id, "held", detail="held for review: person 'Jane Doe' flagged")
    jane = index(t, "Jane")
    phone = index(t, "oh")
    review.store_flags(catalog, episode_id, 2, [
        Flag(jane, jane + 1, t.words()[jane].start, t.words()[jane + 1].end, "person", "Jane Doe", 0.9),
        Flag(phone, phone + 9, t.words()[phone].start, t.words()[phone + 9].end, "phone",
             "oh seven seven double oh nine double one two three.", 0.9),
        Flag(0, 0, 0.0, 0.4, "person", "Welcome", 0.5)])
    return episode_id


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    return Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")


def _everything(path: Path) -> tuple[bytes, str]:
    """Every byte of the catalog's files (database, write-ahead log, shared memory) and its SQL dump."""
    raw = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    con = sqlite3.connect(path)
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    return raw, dump


def test_nothing_of_a_redacted_name_is_left_anywhere_in_the_catalog_file(catalog, tmp_path):
    ep = build_episode(catalog)
    raw, dump = _everything(tmp_path / "catalog.db")
    assert NAME.search(raw) and "Jane Doe" in dump  # the check below can fail
    flag = next(f for f in review.flags(catalog, ep) if f["kind"] == "person" and f["text"] == "Jane Doe")
    result = review.accept(catalog, ep, flag["id"], "org")
    assert result["occurrences"] == 3 and result["revision"] == 3
    raw, dump = _everything(tmp_path / "catalog.db")
    assert not NAME.search(raw), NAME.search(raw)
    assert not NAME.search(dump.encode())
    assert "Dough" not in dump and b"Dough" not in raw  # the misheard machine words, found by their times
    assert "Ann Lee" in dump and "Bo Park" in dump and "CBT" in dump  # the known people and the rest stay


def test_words_freed_before_secure_delete_are_gone_too(catalog, tmp_path):
    """A catalog made before ``secure_delete`` was on: its free pages still hold replaced drafts."""
    ep = build_episode(catalog)
    con = sqlite3.connect(tmp_path / "catalog.db")
    with con:
        con.execute("PRAGMA secure_delete=OFF")
        for n in range(20):
            con.execute("UPDATE drafts SET data = ? WHERE episode_id = ?",
                        ('{"paragraphs": [{"speaker": "Bo Park", "text": "%s Jane Doe rang"}]}' % ("x" * 3000 * n), ep))
        con.execute("UPDATE drafts SET data = '{}'")
    con.close()
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Jane Doe")
    review.accept(catalog, ep, flag["id"], "org")
    raw, _dump = _everything(tmp_path / "catalog.db")
    assert not NAME.search(raw)


def test_every_occurrence_is_redacted_in_a_new_revision_with_its_times(catalog):
    ep = build_episode(catalog)
    t = transcript()
    jane = index(t, "Jane")
    result = review.redact(catalog, ep, "org", 2, jane, jane + 1, kind="person")
    new = Transcript.from_dict(catalog.latest_revision("transcript", ep).data)
    assert [s.text for s in new.segments][1:4] == ["Thanks Ann. My client [redacted] rang me at work.",
                                                  "How did [redacted] sound?",
                                                  "Upset. [redacted] sister was with her. CBT helped."]
    ws = t.words()
    how, doe = [w.text for w in ws].index("jane"), [w.text for w in ws].index("Doe's")
    assert result["spans"] == [[ws[jane].start, ws[jane + 1].end], [ws[how].start, ws[how + 1].end],
                               [ws[doe].start, ws[doe].end]]
    assert new.options.glossary == [REDACTED, "CBT"]
    rev = catalog.latest_revision("transcript", ep)
    assert rev.author == "org" and rev.number == 3
    assert catalog.revisions("transcript", ep)[-1].summary == "redacted 1 item (person)"
    assert catalog.revisions("transcript", ep)[-1].base == 2


def test_earlier_revisions_drafts_notes_title_and_events_are_scrubbed(catalog):
    ep = build_episode(catalog)
    t = transcript()
    review.redact(catalog, ep, "org", 2, index(t, "Jane"), index(t, "Jane") + 1, kind="person")
    machine = Transcript.from_dict(catalog.revision("transcript", ep, 1).data)
    assert "My client [redacted] rang" in machine.text() and "Dough" not in machine.text()
    assert catalog.get_draft(ep, "ed", "transcript").data["paragraphs"][0]["text"] == "My client [redacted] rang 4"
    n = ShowNotes.from_dict(catalog.latest_revision("notes", ep).data)
    assert catalog.latest_revision("notes", ep).number == 2
    assert [c.title for c in n.chapters] == ["Welcome", "[redacted] at work"]
    assert n.keywords == ["cbt", "work"] and n.title == "[redacted] rang" and "Doe" not in n.html
    assert "Jane" not in str(catalog.revision("notes", ep, 1).data)
    with catalog.session() as s:
        ep_row = s.get(Episode, ep)
        assert ep_row.title == "[redacted] rang"
        summaries = [r.summary for r in s.scalars(select(RevisionInfo).where(RevisionInfo.episode_id == ep))
                     if r.summary]
        assert summaries == ["1 word changed", "redacted 1 item (person)", "redacted 1 item (person)"]
        details = [e.detail for e in s.scalars(select(EpisodeEvent).where(EpisodeEvent.episode_id == ep))]
        assert details == ["held for review: person '[redacted]' flagged"]
        row = s.scalar(select(Redaction))
        assert row.scrubbed == 4  # revision 1, revision 2, notes revision 1, the draft


def test_the_flag_is_closed_and_the_record_keeps_who_what_kind_and_when_but_no_words(catalog):
    ep = build_episode(catalog)
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Jane Doe")
    result = review.accept(catalog, ep, flag["id"], "org")
    closed = next(f for f in review.flags(catalog, ep) if f["id"] == flag["id"])
    assert closed["state"] == "redacted" and closed["text"] is None and closed["decided_by"] == "org"
    assert closed["decided_at"]
    others = [f for f in review.flags(catalog, ep) if f["id"] != flag["id"]]
    assert [f["state"] for f in others] == ["open", "open"] and all(f["revision"] == 3 for f in others)
    new = Transcript.from_dict(catalog.latest_revision("transcript", ep).data).words()
    phone = next(f for f in others if f["kind"] == "phone")
    assert new[phone["first"]].text == "oh" and new[phone["last"]].text == "three."
    [listed] = review.redactions(catalog, ep)
    assert listed["id"] == result["redaction"] and listed["kind"] == "person" and listed["by"] == "org"
    assert listed["occurrences"] == 3 and listed["verified"] is None and listed["at"]
    [pending] = review.pending_check(catalog, ep)
    assert pending.flag_id == flag["id"] and pending.revision == 3 and len(pending.spans["times"]) == 3
    assert count_digests("Jane Doe's sister, JANE DOE", pending.digests) == 2
    assert listed["check"] == {"catalog": "vacuumed"}
    checked = review.record_check(catalog, result["redaction"], True, {"bucket": 0, "audio": 0})
    assert checked["verified"] is True and checked["check"] == {"catalog": "vacuumed", "bucket": 0, "audio": 0}
    assert review.pending_check(catalog, ep) == []
    with catalog.session() as s:
        assert s.get(Redaction, result["redaction"]).digests is None


def test_a_phone_number_is_redacted_written_and_spoken(catalog):
    ep = build_episode(catalog)
    flag = next(f for f in review.flags(catalog, ep) if f["kind"] == "phone")
    result = review.accept(catalog, ep, flag["id"], "org")
    text = Transcript.from_dict(catalog.latest_revision("transcript", ep).data).text()
    assert text.endswith("Her number is [redacted]") and result["occurrences"] == 1
    assert count_digests("call 07700 911 23", review.pending_check(catalog, ep)[0].digests) == 1


def test_redacting_twice_is_harmless(catalog):
    ep = build_episode(catalog)
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Jane Doe")
    first = review.accept(catalog, ep, flag["id"], "org")
    assert review.accept(catalog, ep, flag["id"], "org") == first
    words = Transcript.from_dict(catalog.latest_revision("transcript", ep).data).words()
    at = [w.text for w in words].index(REDACTED)
    again = review.redact(catalog, ep, "org", 3, at, at)
    assert again == {"redaction": None, "revision": 3, "occurrences": 0, "spans": []}
    assert catalog.latest_revision("transcript", ep).number == 3 and len(review.redactions(catalog, ep)) == 1


def test_bad_requests_are_one_line_and_only_the_latest_revision_may_be_redacted(catalog):
    ep = build_episode(catalog)
    n = len(transcript().words())
    for first, last in ((0, n), (5, 4), (-1, 2)):
        with pytest.raises(ChorusError) as e:
            review.redact(catalog, ep, "org", 2, first, last)
        assert e.value.code == "invalid" and "\n" not in str(e.value) and f"{n} words" in str(e.value)
    with pytest.raises(ChorusError) as e:
        review.redact(catalog, ep, "org", 1, 0, 0)
    assert e.value.code == "conflict" and "revision 2" in str(e.value)
    with pytest.raises(ChorusError) as e:
        review.redact(catalog, 999, "org", 1, 0, 0)
    assert e.value.code == "not_found"
    with pytest.raises(ChorusError) as e:
        review.accept(catalog, ep, 999, "org")
    assert e.value.code == "not_found" and "chorus flags" in str(e.value)
    assert catalog.latest_revision("transcript", ep).number == 2


def test_a_flag_made_on_an_earlier_revision_is_found_again_by_its_time(catalog):
    ep = build_episode(catalog)
    t = transcript()
    catalog.add_revision("transcript", ep, t.to_dict(), author="ed", base=2, summary="no words changed")
    with catalog.session() as s:
        flag = s.scalar(select(PrivacyFlag).where(PrivacyFlag.text == "Jane Doe"))
        assert flag.revision == 2
        flag_id = flag.id
    result = review.accept(catalog, ep, flag_id, "org")
    assert result["revision"] == 4 and result["occurrences"] == 3


def test_dismissing_needs_a_reason_kept_as_typed_and_the_flag_is_not_raised_again(catalog):
    ep = build_episode(catalog)
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Welcome")
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ChorusError) as e:
            review.dismiss(catalog, ep, flag["id"], "org", reason)
        assert e.value.code == "invalid" and "\n" not in str(e.value)
    row = review.dismiss(catalog, ep, flag["id"], "org", "a greeting, <not> a name")
    assert row["state"] == "dismissed" and row["reason"] == "a greeting, <not> a name" and row["decided_by"] == "org"
    assert review.open_flags(catalog, ep) == 2
    added = review.store_flags(catalog, ep, 2, [Flag(0, 0, 0.0, 0.4, "person", "Welcome", 0.5),
                                                Flag(5, 6, 2.5, 3.4, "person", "Bo Park", 0.5)])
    assert added == 1 and review.open_flags(catalog, ep) == 1  # open flags replaced; the dismissed one stays
    assert [f["state"] for f in review.flags(catalog, ep)].count("dismissed") == 1


def test_a_dismissal_or_a_title_that_names_the_person_is_scrubbed_too(catalog):
    ep = build_episode(catalog)
    welcome = next(f for f in review.flags(catalog, ep) if f["text"] == "Welcome")
    review.dismiss(catalog, ep, welcome["id"], "org", "not Jane Doe, a greeting")
    jane = next(f for f in review.flags(catalog, ep) if f["text"] == "Jane Doe")
    review.accept(catalog, ep, jane["id"], "org")
    kept = next(f for f in review.flags(catalog, ep) if f["id"] == welcome["id"])
    assert kept["reason"] == "not [redacted], a greeting" and kept["text"] == "Welcome"
    with catalog.session() as s:
        assert s.scalar(select(Draft)).data["paragraphs"][0]["text"].startswith("My client [redacted]")


def test_an_edit_started_before_a_redaction_is_known(catalog):
    ep = build_episode(catalog)
    assert not review.redacted_since(catalog, ep, 2)
    t = transcript()
    review.redact(catalog, ep, "org", 2, index(t, "Jane"), index(t, "Jane") + 1, kind="person")
    assert review.redacted_since(catalog, ep, 2) and not review.redacted_since(catalog, ep, 3)


def test_a_slug_that_says_the_name_is_replaced_and_kept_nowhere(catalog, tmp_path):
    ep = build_episode(catalog)
    with catalog.session() as s:  # the title was typed with the client's name; another episode has the new slug
        s.get_one(Episode, ep).slug = "jane-doe-rang"
        s.add(Episode(show_id=s.get_one(Episode, ep).show_id, slug="redacted-rang", title="[redacted] rang",
                      source_name="ep2.wav", source_sha256="1" * 64))
    t = transcript()
    review.redact(catalog, ep, "org", 2, index(t, "Jane"), index(t, "Jane") + 1, kind="person")
    with catalog.session() as s:
        assert s.get_one(Episode, ep).slug == "redacted-rang-2"
    raw, dump = _everything(tmp_path / "catalog.db")
    assert b"jane-doe" not in raw.lower() and "jane-doe" not in dump.lower()


def test_a_slug_that_does_not_say_the_words_stays(catalog):
    ep = build_episode(catalog)
    t = transcript()
    review.redact(catalog, ep, "org", 2, index(t, "Jane"), index(t, "Jane") + 1, kind="person")
    with catalog.session() as s:
        assert s.get_one(Episode, ep).slug == "ep-1"  # links and keys of an unrelated slug do not move
