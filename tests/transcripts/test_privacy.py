"""transcripts.privacy: personal data flagged in generated transcripts (recall per kind, false flags), each
spoken-form rule, known people and the allow list, gap markers, and no network at run time."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.transcripts._privacy_corpus import KINDS as CORPUS_KINDS
from tests.transcripts._privacy_corpus import evaluate, make_corpus
from transcripts import Word
from transcripts.privacy import KINDS, Flag, find_personal_data

ROOT = Path(__file__).resolve().parents[2]
FALSE_FLAGS_PER_1000 = 2.0
"""Bound on false flags per 1,000 words of the generated corpora (measured: 0.15 tuning, 0.0 held-out)."""


def words(text: str) -> list[Word]:
    return [Word(t, round(i * 0.4, 2), round(i * 0.4 + 0.3, 2)) for i, t in enumerate(text.split())]


def flagged(text: str, **kw) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(words(text), **kw)]


@pytest.fixture(scope="module")
def tuning():
    c = make_corpus(0)
    return c, evaluate(c)


@pytest.fixture(scope="module")
def held_out():
    c = make_corpus(7, held_out=True)
    return c, evaluate(c)


def test_kinds_match_the_corpus():
    assert KINDS == CORPUS_KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_recall_per_kind_on_the_tuning_corpus(tuning, kind):
    corpus, r = tuning
    assert r["planted"][kind] >= 40
    assert r["found"][kind] / r["planted"][kind] >= 0.95, [m for m in r["misses"] if m[0].kind == kind]


def test_lower_case_episodes_alone_keep_recall(tuning):
    corpus, _ = tuning
    r = evaluate(corpus, lower=True)
    assert sum(r["planted"].values()) >= 150
    for kind in KINDS:
        assert r["found"][kind] / r["planted"][kind] >= 0.95, kind


def test_false_flags_on_the_tuning_corpus(tuning):
    _, r = tuning
    assert 1000 * len(r["false"]) / r["words"] <= FALSE_FLAGS_PER_1000, [(f.kind, f.text) for f in r["false"]]


_HELD_MISSES = {
    "person": "held-out names said as a sentence's subject with no cue ('Honestly Imran was the hardest case') "
              "are missed in lower case, and spaCy calls 'Bethany Jenkins' a place",
    "place": "held-out 'Her flat is on Cardiff' (a town after 'on') has no place cue, and lower-case "
             "'market place' is two common words",
    "workplace": "lower-case 'boots' is a common word, and in lower-case 'royal victoria infirmary' only "
                 "'victoria infirmary' is flagged ('royal' is a common word)",
}


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=_HELD_MISSES[k]))
                                  if k in _HELD_MISSES else k for k in KINDS])
def test_recall_per_kind_on_the_held_out_corpus(held_out, kind):
    corpus, r = held_out
    assert r["planted"][kind] >= 40
    assert r["found"][kind] / r["planted"][kind] >= 0.95, [m for m in r["misses"] if m[0].kind == kind]


def test_held_out_recall_is_still_most_items(held_out):
    _, r = held_out
    for kind in KINDS:
        assert r["found"][kind] / r["planted"][kind] >= 0.8, kind


def test_false_flags_on_the_held_out_corpus(held_out):
    _, r = held_out
    assert 1000 * len(r["false"]) / r["words"] <= FALSE_FLAGS_PER_1000, [(f.kind, f.text) for f in r["false"]]


# ------------------------------------------------------------------ spoken and written forms
@pytest.mark.parametrize("said", [
    "oh seven seven double oh nine hundred one two three",
    "zero seven seven zero zero nine zero zero one two three",
    "nought two oh triple seven nine four six oh nine",
    "oh one one three double five five two one seven eight",
    "plus four four two oh seven nine four six oh nine five eight",
])
def test_spoken_phone_numbers(said):
    assert flagged(f"you can ring her on {said} after six") == [("phone", said)]


@pytest.mark.parametrize("written", ["07700 900123", "+44 20 7946 0958", "020 7946 0958", "0113 496 0000"])
def test_written_phone_numbers(written):
    assert flagged(f"His number is {written}, if anyone needs it.") == [("phone", written + ",")]


def test_spoken_phone_in_unpunctuated_lower_case_stops_at_the_number():
    got = flagged("she said ring me on oh seven seven double oh nine hundred one two three twenty minutes later")
    assert got == [("phone", "oh seven seven double oh nine hundred one two three")]


@pytest.mark.parametrize("text,email", [
    ("Email me at jane.doe@gmail.com please.", "jane.doe@gmail.com"),
    ("email me at jane dot doe at gmail dot com please", "jane dot doe at gmail dot com"),
    ("it's tom underscore baker forty two at outlook dot co dot uk for bookings",
     "tom underscore baker forty two at outlook dot co dot uk"),
    ("send it to priya at nhs dot net and she will reply", "priya at nhs dot net"),
])
def test_emails_written_and_spoken(text, email):
    assert ("email", email) in [(k, t.rstrip(".")) for k, t in flagged(text)]


@pytest.mark.parametrize("text,date", [
    ("She was born on the 3rd of May 1984 in a small town.", "3rd of May 1984"),
    ("his date of birth is twelfth of march nineteen ninety and", "twelfth of march nineteen ninety"),
    ("The form said DOB 03/05/1984 at the top.", "03/05/1984"),
    ("he was born in two thousand and seven", "two thousand and seven"),
])
def test_dates_of_birth(text, date):
    got = [t for k, t in flagged(text) if k == "date_of_birth"]
    assert len(got) == 1 and date in got[0]


@pytest.mark.parametrize("text,age", [
    ("She's 34 and still at home.", "34"), ("He was a forty two year old lad.", "forty two year old"),
    ("She was aged 9 at the time.", "9"), ("when he was twelve his dad left", "twelve"),
    ("a 17-year-old came in", "17-year-old"),
])
def test_ages(text, age):
    assert [t for k, t in flagged(text) if k == "age"] == [age]


@pytest.mark.parametrize("text", [
    "The session lasts twenty minutes.", "After three sessions she felt better.",
    "We had about 50 people at the conference in 2019.", "She's one of the best supervisors I know.",
    "It's 5 o'clock already.", "In May we ran a workshop on grief.", "He's been qualified for ten years.",
])
def test_ordinary_numbers_and_dates_are_not_flagged(text):
    assert flagged(text) == []


def test_nhs_numbers_written_need_the_check_digit():
    assert flagged("His NHS number is 943 476 5919.") == [("nhs_number", "5919.".join(["943 476 ", ""]))]
    assert [k for k, _ in flagged("His NHS number is 943 476 5918.")] != ["nhs_number"]


def test_nhs_number_spoken_after_nhs():
    said = "nine four three four seven six five nine one nine"
    assert flagged(f"his nhs number is {said} okay") == [("nhs_number", said)]
    assert flagged(f"the code was {said} okay") != [("nhs_number", said)]


@pytest.mark.parametrize("text", [
    "If you need support, call the Samaritans on 116 123.", "In an emergency call 999, or NHS 111.",
    "We use CBT and EMDR in the service.", "I trained in DBT and ACT, and a bit of IFS.",
    "My approach is person-centred, really.", "Call Childline on 0800 1111 or text Shout on 85258.",
    "we use cbt and emdr and the samaritans are on one one six one two three",
])
def test_helplines_and_therapy_vocabulary_are_not_flagged(text):
    assert flagged(text) == []


@pytest.mark.parametrize("text,kind,name", [
    ("I had a client called Sarah Thompson who struggled.", "person", "Sarah Thompson"),
    ("i had a client called sarah thompson who struggled", "person", "sarah thompson"),
    ("She works at St Mary's Hospital as a receptionist.", "workplace", "St Mary's Hospital"),
    ("her son goes to oakfield primary school now", "workplace", "oakfield primary school"),
    ("He moved to Harrogate last year.", "place", "Harrogate"),
    ("the family were living at 14 mill lane then", "place", "14 mill lane"),
])
def test_names_places_workplaces(text, kind, name):
    assert (kind, name) in flagged(text)


# ------------------------------------------------------------------ known people, allow list, gaps
def test_known_people_are_anchored_whole_words():
    text = "Ann told me that Annabel Jones had called."
    assert ("person", "Annabel Jones") in flagged(text, known_people=["Ann"])
    assert all("Ann " not in t + " " for _, t in flagged(text, known_people=["Ann"]))


def test_a_known_full_name_covers_its_parts():
    for text in ("Thanks Amira Haddad, great point.", "Thanks Amira, great point.", "I agree with Haddad here."):
        assert flagged(text, known_people=["Amira Haddad"]) == [], text
    assert flagged("Thanks Amira, great point.") != []


def test_allow_list():
    text = "She rang the Riverside Crisis Line on Monday."
    assert flagged(text) != []
    assert flagged(text, allow=["Riverside Crisis Line"]) == []


def test_gap_markers_are_skipped_and_break_names():
    ws = words("I rang Sarah [inaudible 12 s] Thompson and [redacted] told me")
    flags = find_personal_data(ws)
    assert all("[" not in f.text for f in flags)
    assert not any(f.first <= 3 <= f.last for f in flags)
    assert find_personal_data(words("[redacted] [inaudible 3 s]")) == []


# ------------------------------------------------------------------ API
def test_flags_are_sorted_non_overlapping_and_timed():
    ws = words("My colleague Sarah Thompson lives in Leeds and her number is 07700 900123 and she's 34.")
    flags = find_personal_data(ws)
    assert [f.kind for f in flags] == ["person", "place", "phone", "age"]
    for a, b in zip(flags, flags[1:]):
        assert a.last < b.first
    for f in flags:
        assert (f.start, f.end) == (ws[f.first].start, ws[f.last].end)
        assert f.text == " ".join(w.text for w in ws[f.first:f.last + 1])
        assert 0 < f.score <= 1


def test_flag_round_trips_through_json():
    f = find_personal_data(words("call me on 07700 900123 tomorrow"))[0]
    assert Flag.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_accepts_any_objects_with_text_and_times_and_is_deterministic():
    objs = [SimpleNamespace(text=w.text, start=w.start, end=w.end) for w in words("my client Chloe Murphy rang")]
    a = find_personal_data(objs)
    assert [(f.kind, f.text) for f in a] == [("person", "Chloe Murphy")]
    with ThreadPoolExecutor(4) as pool:
        assert all(r == a for r in pool.map(lambda _: find_personal_data(objs), range(8)))


def test_empty_input():
    assert find_personal_data([]) == []


def test_no_network_at_run_time():
    """A fresh process with sockets blocked loads Presidio, spaCy's model and tldextract, and flags an e-mail."""
    code = (
        "import socket\n"
        "def boom(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = boom\nsocket.create_connection = boom\n"
        "from transcripts import Word\nfrom transcripts.privacy import find_personal_data\n"
        "ws = [Word(t, i, i + .5) for i, t in enumerate('write to jane.doe@example.co.uk or ring 07700 900123'.split())]\n"
        "print(sorted(f.kind for f in find_personal_data(ws)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['email', 'phone']"
