"""Redacting timed words and scrubbing every text made from them (``transcripts.redaction``): what a
listener's transcript, the notes and the check after republishing depend on."""
from __future__ import annotations

import pytest

from transcripts import Transcript
from transcripts.model import Segment, Word
from transcripts.notes import Chapter, Person, ShowNotes
from transcripts.notes._render import render_html, render_text
from transcripts.redaction import (REDACTED, count_digests, phrase_digests, redact_words, scrub_notes, scrub_terms,
                                   scrub_text, scrub_transcript)


def _t(*turns: tuple[str, str]) -> Transcript:
    """One segment per (speaker, text), words half a second each, one after another."""
    segs, clock = [], 0.0
    for speaker, said in turns:
        words = []
        for x in said.split():
            words.append(Word(x, clock, clock + 0.4, 0.8, speaker))
            clock += 0.5
        segs.append(Segment(words[0].start, words[-1].end, said, speaker, words))
    return Transcript("en", clock, segs)


def test_every_occurrence_becomes_one_redacted_word_with_its_time_and_speaker():
    t = _t(("Ann", "My client Jane Doe, she called."), ("Bo", "Was jane doe upset? Doe's mother was."),
           ("Ann", "Janet is fine."))
    i = [w.text for w in t.words()].index("Jane")
    new, spans, said = redact_words(t, i, i + 1, also=scrub_terms("Jane Doe", "person")[1:])
    assert [s.text for s in new.segments] == ["My client [redacted] she called.",
                                              "Was [redacted] upset? [redacted] mother was.", "Janet is fine."]
    assert spans == [(1.0, 1.9), (3.5, 4.4), (5.0, 5.4)]
    assert said[0] == "jane doe" and "doe" in said
    red = [w for w in new.words() if w.text == REDACTED]
    assert [(w.speaker, w.probability, w.origin) for w in red] == [("Ann", 1.0, "redacted"), ("Bo", 1.0, "redacted"),
                                                                   ("Bo", 1.0, "redacted")]
    assert "jane" not in new.text().lower().replace("janet", "")


def test_redacting_the_same_words_twice_changes_nothing():
    t = _t(("Ann", "Call Jane Doe today"))
    once, spans, _ = redact_words(t, 1, 2)
    again, spans2, said2 = redact_words(once, 1, 1)
    assert again == once and spans2 == [] and said2 == []
    assert spans == [(0.5, 1.4)]


@pytest.mark.parametrize("first,last", [(-1, 0), (2, 1), (0, 9)])
def test_words_out_of_range_are_one_line(first, last):
    with pytest.raises(ValueError) as e:
        redact_words(_t(("Ann", "one two three")), first, last)
    assert "\n" not in str(e.value) and "3 words" in str(e.value)


def test_scrubbing_text_ignores_case_punctuation_and_spacing_but_not_longer_words():
    text = "JANE  DOE said; jane-doe's friend Janet and Doe met Jane.Doe, Mrs Doehring"
    assert scrub_text(text, ["jane doe", "doe"]) == ("[redacted] said; [redacted]'s friend Janet and [redacted] met "
                                                     "[redacted], Mrs Doehring")


def test_numbers_are_scrubbed_written_with_any_spacing_or_spoken():
    phone = "oh seven seven double oh nine double one two three"
    terms = scrub_terms(phone, "phone")
    assert terms[1] == "0770091123"
    out = scrub_text(f"ring 07700 911 23, 0770091123 or {phone}; not 107700911234", terms)
    assert out == "ring [redacted], [redacted] or [redacted]; not 107700911234"


def test_known_people_and_common_words_are_never_scrubbed_alone():
    assert scrub_terms("Jane Lee", "person", keep=["Ann Lee"]) == ["jane lee", "jane"]
    assert scrub_terms("the Royal Infirmary of Leeds", "workplace") == ["the royal infirmary of leeds", "infirmary",
                                                                         "leeds"]
    assert scrub_terms("I met Jane in Leeds", "manual") == ["i met jane in leeds", "jane", "leeds"]


def test_an_older_revision_is_scrubbed_by_time_and_by_phrase():
    old = _t(("Ann", "My client Jane Dough called"), ("Bo", "and Jane Doe again"))
    old.options.glossary = ["Jane Doe", "CBT"]
    data = scrub_transcript(old.to_dict(), [(1.0, 1.9)], ["jane doe"])
    t = Transcript.from_dict(data)
    assert [s.text for s in t.segments] == ["My client [redacted] called", "and [redacted] again"]
    assert t.options.glossary == ["[redacted]", "CBT"]
    assert "Dough" not in str(data) and "Doe" not in str(data)


def _notes() -> ShowNotes:
    people = [Person("Ann Lee", "host")]
    chapters = [Chapter(0, 60, "Welcome"), Chapter(60, 120, "Jane Doe's story")]
    summary = ["We talk about Jane Doe.", "CBT helps."]
    keywords = ["jane doe", "doe", "therapy", "jane doe story"]
    return ShowNotes(summary, keywords, chapters, render_html("", summary, people, chapters, [], keywords),
                     render_text("", summary, people, chapters, [], keywords, 4000), title="Episode: Jane Doe",
                     people=people)


def test_notes_chapters_keywords_and_title_are_scrubbed_and_rendered_again():
    data = scrub_notes(_notes().to_dict(), ["jane doe", "doe"])
    n = ShowNotes.from_dict(data)
    assert n.title == "Episode: [redacted]"
    assert [c.title for c in n.chapters] == ["Welcome", "[redacted]'s story"]
    assert n.keywords == ["therapy"]
    assert n.summary == ["We talk about [redacted].", "CBT helps."]
    assert "Doe" not in n.html and "Doe" not in n.text and "[redacted]" in n.html
    assert n.people == [Person("Ann Lee", "host")]


def test_digests_find_the_phrase_in_other_casing_and_punctuation_and_none_after_scrubbing():
    digests = phrase_digests(["Jane Doe"], "person", b"0123456789abcdef")
    assert set(digests) == {"salt", "phrases", "max_tokens"} and digests["max_tokens"] == 2
    assert "jane" not in str(digests).lower() and "doe" not in str(digests).lower()
    text = "Notes: JANE-DOE (jane.doe) rang; later, Doe's sister. Janet came."
    assert count_digests(text, digests) == 3
    assert count_digests(scrub_text(text, scrub_terms("Jane Doe", "person")), digests) == 0
    assert count_digests(text, phrase_digests(["Jane Doe"], "person", b"another salt....")) == 3
    assert phrase_digests(["Jane Doe"], "person", b"x")["phrases"] != digests["phrases"]


def test_digests_of_a_spoken_phone_number_find_it_written():
    phone = "oh seven seven double oh nine double one two three"
    digests = phrase_digests([phone], "phone", b"salt")
    assert count_digests("Call 07700 911 23 or 0770-091-123.", digests) == 2
    assert count_digests("Call 07700 911 24 or the 0800 helpline", digests) == 0
