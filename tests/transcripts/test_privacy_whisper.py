"""transcripts.privacy on what the pipeline's transcriber writes: phone numbers, e-mail addresses, dates of birth and
NHS numbers read out by espeak-ng voices, transcribed by the bundled Whisper tiny.en, must be flagged with the right
kind, and counting, helplines and durations must not be.

Two layers: the transcriber's outputs kept as literal strings (``_privacy_heard.WHISPER_SAID``, fast), and short
clips rendered and transcribed here (one transcription per clip, module-scoped).
"""
from __future__ import annotations

import re

import pytest

from tests.transcripts._privacy_heard import WHISPER_SAID
from transcripts import TranscribeOptions, Word, transcribe
from transcripts.privacy import find_personal_data

_SPECIFIC = {"phone", "email", "date_of_birth", "nhs_number", "age"}
"""Kinds a planted number, address or date must not be mistaken for."""


def _words(text: str) -> list[Word]:
    return [Word(t, round(i * 0.4, 2), round(i * 0.4 + 0.3, 2)) for i, t in enumerate(text.split())]


def _check(words: list, kind: str | None, expect: str = "") -> None:
    """``kind`` None: nothing flagged. Otherwise a flag of ``kind`` covers every word of ``expect`` (a run of the
    words; empty: any flag of that kind will do), and no flag has another specific kind."""
    flags = find_personal_data(words)
    got = [(f.kind, f.text) for f in flags]
    if kind is None:
        assert got == [], got
        return
    assert kind in {f.kind for f in flags}, got
    assert not {f.kind for f in flags} & (_SPECIFIC - {kind}), got
    if expect:
        texts = [w.text for w in words]
        n = len(expect.split())
        at = next((i for i in range(len(texts) - n + 1) if texts[i:i + n] == expect.split()), None)
        assert at is not None, f"{expect!r} not in the transcript"
        for i in range(at, at + n):
            assert any(f.kind == kind and f.first <= i <= f.last for f in flags), (texts[i], got)


@pytest.mark.parametrize("said", [
    pytest.param(w, id=f"{w.kind or 'none'}-{k}",
                 marks=[pytest.mark.xfail(strict=True, reason=w.miss)] if w.miss else [])
    for k, w in enumerate(WHISPER_SAID)])
def test_as_whisper_wrote_it(said):
    _check(_words(said.heard), said.kind, said.expect)


@pytest.mark.parametrize("text", [
    "We counted 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and then stopped.",
    "The number is 1, 2, 3, 4, 5, 6, 7, 8.",
    "I called her in 2019, 2020 and 2021.",
    "Ring 116 123 any time, or call 999, or NHS 111.",
    "I bought the book on amazon .com last week.",
    "She was born and raised in Sheffield, then moved in 1990.",
])
def test_lookalikes_are_not_flagged(text):
    got = [(f.kind, f.text) for f in find_personal_data(_words(text))]
    assert not [g for g in got if g[0] in _SPECIFIC], got


# ------------------------------------------------------------------ real speech, real transcriber
_CLIPS = {
    # name: (voice, speed or None, what is read, kind planted, why it is missed)
    "phone-gb-zero": ("en-gb", None, "Please call her back on zero seven seven zero zero, nine zero zero, one two "
                      "three, before Friday.", "phone", ""),
    "phone-f3-zero": ("en-us+f3", None, "Please call her back on zero seven seven zero zero, nine zero zero, one two "
                      "three, before Friday.", "phone", ""),
    "phone-gb-written": ("en-gb", None, "Ring her on 07700 900123 before Friday.", "phone", ""),
    "phone-f3-oh": ("en-us+f3", None, "Her mobile number is oh seven seven oh oh, nine oh oh, one two three.",
                    "phone", ""),
    "phone-us-oh": ("en-us", None, "Her mobile number is oh seven seven oh oh, nine oh oh, one two three.", "phone",
                    "tiny.en writes 'The mobile number is 07700. I don't know. 1, 2, 3.': a sentence ends after five "
                    "digits and 'nine oh oh' is lost"),
    "phone-gb-landline": ("en-gb", None, "The office number is oh two oh, seven nine four six, oh nine five eight.",
                          "phone", "tiny.en writes 'The office number is 0 -2 -0, sent to the item 4 -6, so the item 5 "
                                   "made.': seven of the eleven digits are lost, since the fresh install of 2026-12-04 (faster-whisper 1.2.1, ctranslate2 4.8.5, PyAV 18.1.0, onnxruntime 1.32.0, numpy 2.4.6); it passed in the environment of 2026-12-03"),
    "email-gb": ("en-gb", None, "Her email is sarah jones at hotmail dot com.", "email", ""),
    "email-us": ("en-us", None, "Email me at jane dot doe at gmail dot com.", "email", ""),
    "email-us-slow": ("en-us", 130, "Drop her an email at emma dot wilson at gmail dot com.", "email", ""),
    "dob-f3": ("en-us+f3", None, "She was born on the third of May nineteen eighty four.", "date_of_birth", ""),
    "dob-f3-date-of-birth": ("en-us+f3", None, "Her date of birth is the fourth of July two thousand and three.",
                             "date_of_birth", "tiny.en writes '3800 is the fourth of July 2003.': nothing is left "
                             "that says it is a birthday"),
    "nhs-gb": ("en-gb", None, "His NHS number is nine four three, four seven six, five nine one nine.", "nhs_number",
               ""),
}
_DISTRACTOR = [
    ("en-gb", "We counted one, two, three, and then four, five, six."),
    ("en-us", "The session lasts twenty minutes, and about fifty people came in twenty nineteen."),
    ("en-us+f3", "If you need support, ring one one one, or the Samaritans on one one six, one two three. In an "
                 "emergency, call nine nine nine."),
    ("en-gb", "We ran three sessions in May, and she's one of the best."),
]


@pytest.fixture(scope="module")
def heard(synth):
    """``heard(name)``: the words the bundled model writes for clip ``name`` (or ``"distractor"``), transcribed once."""
    cache: dict[str, list] = {}

    def get(name: str) -> list:
        if name not in cache:
            if name == "distractor":
                voices = sorted({v for v, _ in _DISTRACTOR})
                speakers = {f"S{k}": {"voice": v} for k, v in enumerate(voices)}
                turns = [{"speaker": f"S{voices.index(v)}", "text": t} for v, t in _DISTRACTOR]
            else:
                voice, speed, text, _, _ = _CLIPS[name]
                speakers = {"S0": {"voice": voice, **({"speed": speed} if speed else {})}}
                turns = [{"speaker": "S0", "text": text}]
            path, _ = synth({"title": name, "language": "en", "speakers": speakers, "turns": turns})
            tr = transcribe(path, TranscribeOptions(diarise=False))
            cache[name] = [w for s in tr.segments for w in s.words]
        return cache[name]

    return get


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=c[4])] if c[4] else []) for n, c in _CLIPS.items()])
def test_spoken_items_are_flagged_after_transcription(heard, name):
    words = heard(name)
    kind = _CLIPS[name][3]
    assert words, "the transcriber wrote nothing"
    _check(words, kind)
    flags = [f for f in find_personal_data(words) if f.kind == kind]
    if kind in ("phone", "nhs_number"):  # the flag holds the number, not just a word near it
        assert max(len(re.sub(r"\D", "", f.text)) + len(re.findall(r"\b(zero|oh|one|two|three|four|five|six|seven|"
                                                                      r"eight|nine)\b", f.text.lower()))
                   for f in flags) >= 7, [f.text for f in flags]


def test_counting_helplines_and_durations_are_not_flagged_after_transcription(heard):
    words = heard("distractor")
    assert len(words) >= 40, " ".join(w.text for w in words)
    _check(words, None)
