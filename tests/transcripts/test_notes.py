"""Show notes and chapters from timed transcripts built from generated scripts (synth ground truth)."""
from __future__ import annotations

import json

import pytest

from transcripts.notes import (Chapter, NotesError, NotesOptions, ShowNotes, chapters_json, load_sidecar,
                               make_notes)
from transcripts.model import Segment, Transcript, Word

from tests.transcripts.test_notes_support import topic_spans, truth_transcript


@pytest.fixture(scope="module")
def panel_t(panel):
    return truth_transcript(panel[1])


@pytest.fixture(scope="module")
def panel_notes(panel_t):
    return make_notes(panel_t, NotesOptions())


def _topic_of(sentence: str, truth: dict) -> str:
    for turn in truth["turns"]:
        if turn.get("kind") == "speech" and sentence in turn["text"]:
            return turn["topic"]
    raise AssertionError(f"summary sentence not in the script: {sentence!r}")


def test_summary_is_extractive_and_spans_topics(panel_notes, panel):
    truth = panel[1]
    assert 3 <= len(panel_notes.summary) <= 5
    topics = {_topic_of(s, truth) for s in panel_notes.summary}
    assert len(topics) >= 2, topics
    assert panel_notes.summary[0] not in truth["turns"][0]["text"]  # not just the opening


def test_keywords_and_chapters(panel_notes, panel):
    truth = panel[1]
    assert 3 <= len(panel_notes.keywords) <= 12
    assert len({k.lower() for k in panel_notes.keywords}) == len(panel_notes.keywords)
    ch = panel_notes.chapters
    assert ch and ch[0].start == 0.0 and ch[-1].end == pytest.approx(truth["duration"], abs=0.5)
    for a, b in zip(ch, ch[1:]):
        assert a.end == b.start
    assert all(c.title and c.end > c.start for c in ch)
    assert panel_notes.sources["chapters"] == "generated"
    assert all(c.title in panel_notes.html for c in ch if "&" not in c.title)


def test_chapters_respect_minimum_and_find_topics(panel_notes, panel):
    truth = panel[1]
    minimum = min(60.0, max(truth["duration"] / 8, 10.0))
    assert all(c.end - c.start >= minimum - 1e-6 for c in panel_notes.chapters)
    hits = [b for b in truth["topic_boundaries"] if any(abs(c.start - b) <= 15 for c in panel_notes.chapters[1:])]
    assert len(hits) >= 2, ([c.start for c in panel_notes.chapters], truth["topic_boundaries"])


def test_sidecar_wins(panel_t):
    side = {"title": "Peer support", "description": "A talk about <peer> groups & fees.",
            "keywords": ["peer support", "fees"],
            "chapters": [{"start": "00:00:00", "title": "Welcome"}, {"start": "00:40", "title": "Supervision"},
                         {"start": 70.5, "title": "Money", "url": "https://example.org/fees"}],
            "host": "Ann Lee", "guests": [{"name": "Bo Chen", "role": "guest"}],
            "resources": [{"title": "On Being a Therapist", "url": None}, {"title": "BACP", "url": "https://bacp.co.uk"}]}
    n = make_notes(panel_t, NotesOptions(), side)
    assert n.title == "Peer support" and n.keywords == ["peer support", "fees"]
    assert [(c.start, c.title) for c in n.chapters] == [(0.0, "Welcome"), (40.0, "Supervision"), (70.5, "Money")]
    assert n.chapters[-1].end == pytest.approx(panel_t.duration)
    assert n.sources == {"title": "sidecar", "description": "sidecar", "chapters": "sidecar", "keywords": "sidecar"}
    assert "A talk about &lt;peer&gt; groups &amp; fees." in n.html and "<peer>" not in n.html
    assert n.text.startswith("A talk about <peer> groups & fees.")
    assert "Ann Lee (host)" in n.text and "Bo Chen (guest)" in n.text
    assert "On Being a Therapist" in n.html and '<a href="https://bacp.co.uk">BACP</a>' in n.html
    assert "00:40 Supervision" in n.text and "01:10 Money" in n.text
    assert n.summary  # the generated summary is kept for the editor


def _marked_up() -> Transcript:
    text = ('Welcome. <script>alert("x")</script> is what an attacker would say & "quote" it. '
            'Visit mind dot org dot uk slash peer dash support for help, or <a href="javascript:x">this</a>.')
    words = [Word(w, k * 0.4, k * 0.4 + 0.35) for k, w in enumerate(text.split())]
    return Transcript("en", words[-1].end + 1, [Segment(0, words[-1].end, text, "Host", words)])


def test_html_escapes_transcript_markup():
    n = make_notes(_marked_up(), NotesOptions())
    assert "<script" not in n.html and "<a href=\"javascript" not in n.html
    assert "&lt;script&gt;" in n.html or "script" not in " ".join(n.summary)
    assert any(l.url == "https://mind.org.uk/peer-support" for l in n.links)
    assert '<a href="https://mind.org.uk/peer-support">' in n.html


def test_hostile_sidecar_is_escaped(panel_t):
    side = {"title": "x", "chapters": [{"start": 0, "title": "<img src=x onerror=alert(1)>",
                                        "url": "javascript:alert(1)"}],
            "resources": [{"title": "</ul><script>", "url": "https://ok.org/\"onclick"}]}
    for fix in ("resource", "chapter"):  # unsafe URLs are refused outright, one at a time
        with pytest.raises(NotesError, match=fix):
            make_notes(panel_t, NotesOptions(), side)
        if fix == "resource":
            side["resources"][0]["url"] = "https://ok.org/"
    side["chapters"][0]["url"] = "https://ok.org/ch"
    n = make_notes(panel_t, NotesOptions(), side)
    assert "<img" not in n.html and "<script>" not in n.html and "javascript:" not in n.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in n.html
    assert "javascript" not in json.dumps(chapters_json(n.chapters))


def test_description_limit_in_bytes(panel_t):
    long_desc = "Ünïcödé wörds ☕ " * 400
    side = {"description": long_desc, "guests": [f"Guest {i}" for i in range(50)],
            "resources": [{"title": f"Book {i}"} for i in range(200)]}
    n = make_notes(panel_t, NotesOptions(), side)
    assert len(n.text.encode("utf-8")) <= 4000
    assert n.text.endswith("…")
    small = make_notes(panel_t, NotesOptions(max_text_bytes=600), {"resources": [{"title": f"Book {i}"} for i in range(200)]})
    assert len(small.text.encode("utf-8")) <= 600 and small.summary[0][:40] in small.text


@pytest.mark.parametrize("side, words", [
    ({"chapters": [{"start": "soon", "title": "A"}]}, "not a time"),
    ({"chapters": [{"start": "00:01:00"}]}, "needs a start and a title"),
    ({"chapters": [{"start": "9:00:00", "title": "Late"}]}, "after the end"),
    ({"chapters": [{"start": 5, "title": "A"}, {"start": "0:05", "title": "B"}]}, "two chapters start"),
    ({"keywords": 5}, "'keywords' must be"),
    ({"guests": [{"role": "guest"}]}, "needs a name"),
    ({"resources": [{"title": "x", "url": "ftp://x"}]}, "plain http:// or https://"),
    ({"title": ["a"]}, "'title' must be text"),
])
def test_bad_sidecar_is_one_line(panel_t, side, words):
    with pytest.raises(NotesError) as e:
        make_notes(panel_t, NotesOptions(), side)
    assert words in str(e.value) and "\n" not in str(e.value) and e.value.reason


def test_load_sidecar(tmp_path):
    good = tmp_path / "ep.toml"
    good.write_text('title = "Ep"\n[[chapters]]\nstart = "00:01:30"\ntitle = "Fees"\n')
    assert load_sidecar(good)["chapters"][0]["start"] == "00:01:30"
    bad = tmp_path / "ep.json"
    bad.write_text("{not json")
    with pytest.raises(NotesError) as e:
        load_sidecar(bad)
    assert e.value.path == bad and str(e.value).startswith("ep.json: the sidecar is not valid JSON")
    assert bad.read_text() == "{not json"  # never touched


def test_round_trip_and_json_chapters(panel_notes):
    back = ShowNotes.from_dict(json.loads(json.dumps(panel_notes.to_dict())))
    assert back == panel_notes
    j = chapters_json(panel_notes.chapters, "Finding your people")
    assert j["version"] == "1.2.0" and j["title"] == "Finding your people"
    assert [c["startTime"] for c in j["chapters"]] == [c.start for c in panel_notes.chapters]
    assert chapters_json([Chapter(5, 0, "open end")]) == {"version": "1.2.0", "chapters": [{"startTime": 5.0, "title": "open end"}]}


def test_empty_and_tiny_transcripts():
    empty = make_notes(Transcript("en", 0.0, []), NotesOptions())
    assert empty.summary == [] and empty.chapters == [] and empty.text == ""
    w = [Word("Hello", 0, 0.5), Word("there.", 0.5, 1.0)]
    tiny = make_notes(Transcript("en", 1.0, [Segment(0, 1, "Hello there.", None, w)]), NotesOptions())
    assert len(tiny.chapters) == 1 and tiny.chapters[0].end == 1.0
