"""The editor's personal-data routes (editor/privacy_api.py) against the real app, catalog and
``chorus.privacy_review``: who may read and decide flags, what bad input answers, and what a redaction
leaves in the transcript, the flags, the redactions and the queue. The republisher is a recording
function (the real republish is the lead's end-to-end test); everything else is real.
"""
from __future__ import annotations

import re

import pytest

from chorus import accounts
from tests.editor.conftest import add_episode, csrf_of, machine_transcript
from transcripts.privacy import Flag

PRIVATE_TURNS = [
    ("Host", "Welcome back to the check in. Our guest talks about a hard week in practice."),
    ("Guest", "Thank you. My client Jane Doe rang me at home last night, which surprised me."),
    ("Guest", "She read out her number, oh seven seven double nine one two three four five six, and asked me to call."),
    ("Host", "That is a boundary question. Did you talk it through at Riverside Clinic with your supervisor?"),
    ("Guest", "Yes, we met on Mill Lane near my office and talked it through."),
    ("Host", "Let us talk about boundaries after a short break."),
]
PLANTED = {"person": "Jane Doe", "phone": "oh seven seven double nine one two three four five six",
           "workplace": "Riverside Clinic"}
"""What the flagger would find; "Mill Lane" is left for a reviewer to select and redact by hand."""
REASON = 'A public clinic, named with the guest\'s consent <b>"ok"</b> & fine'


def _bare(token: str) -> str:
    return re.sub(r"[^\w]", "", token).lower()


def word_span(words, phrase: str) -> tuple[int, int]:
    """Global indices (first, last) of ``phrase`` among ``words`` (punctuation and case aside)."""
    want = [_bare(t) for t in phrase.split()]
    got = [_bare(w.text) for w in words]
    for i in range(len(got) - len(want) + 1):
        if got[i:i + len(want)] == want:
            return i, i + len(want) - 1
    raise AssertionError(f"{phrase!r} is not in the transcript")


def private_episode(catalog, status: str = "in_review", title: str = "Boundaries") -> tuple[int, dict[str, int]]:
    """An episode in which a guest names a client and reads out a phone number, held, with the flags the
    flagger would store (``privacy_review.store_flags``); returns its id and the flag ids by kind."""
    from chorus import privacy_review

    t = machine_transcript(PRIVATE_TURNS)
    episode = add_episode(catalog, title, transcript=t, status=status)
    words = t.words()
    flags = []
    for kind, phrase in PLANTED.items():
        first, last = word_span(words, phrase)
        flags.append(Flag(first, last, words[first].start, words[last].end, kind,
                          " ".join(w.text for w in words[first:last + 1]), 0.9))
    privacy_review.store_flags(catalog, episode, 1, flags)
    ids = {f["kind"]: f["id"] for f in privacy_review.flags(catalog, episode)}
    return episode, ids


class Recorder:
    """A fake republisher: records the episodes it was asked to republish and says it started."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, episode_id: int) -> str:
        self.calls.append(episode_id)
        return "started"


@pytest.fixture
def priv(editor_env):
    episode, ids = private_episode(editor_env.catalog)
    editor_env.app.state.editor.republish = Recorder()
    editor_env.private, editor_env.ids = episode, ids
    return editor_env


def _writer(env, name="ed"):
    c = env.client(name)
    c.headers["X-CSRF-Token"] = csrf_of(c)
    return c


def _text(client, episode) -> str:
    return " ".join(w["text"] for w in client.get(f"/api/episodes/{episode}/transcript").json()["words"])


def test_reads_and_writes_need_a_login_and_writes_the_csrf_token(priv):
    e, f = priv.private, priv.ids["person"]
    anon = priv.client()
    assert anon.get(f"/api/episodes/{e}/flags").status_code == 401
    for path, body in ((f"flags/{f}/accept", None), (f"flags/{f}/dismiss", {"reason": "x"}),
                       ("redact", {"revision": 1, "first": 0, "last": 0})):
        r = anon.post(f"/api/episodes/{e}/{path}", json=body)
        assert r.status_code == 401 and list(r.json()) == ["error"], path
        no_csrf = priv.client("ed").post(f"/api/episodes/{e}/{path}", json=body)
        assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["error"], path
    assert priv.app.state.editor.republish.calls == []
    flags = priv.client("ed").get(f"/api/episodes/{e}/flags").json()
    assert {x["state"] for x in flags["flags"]} == {"open"} and flags["review"] == "flagged"


@pytest.mark.parametrize("path, body, words", [
    ("dismiss", {}, "reason"), ("dismiss", {"reason": "   "}, "reason"), ("dismiss", {"reason": 5}, "reason"),
    ("dismiss", {"reason": "x" * 501}, "at most 500"),
    ("redact", {"revision": 1, "first": 3}, "last"), ("redact", {"revision": 1, "first": True, "last": 4}, "first"),
    ("redact", {"revision": 1, "first": -1, "last": 4}, "first"), ("redact", {"revision": 1, "first": 5, "last": 4}, "before"),
    ("redact", {"revision": 1, "first": 0, "last": 400}, "at most 200"), ("redact", {"revision": 1, "first": 90, "last": 95}, "words"),
    ("redact", {"revision": "1", "first": 0, "last": 1}, "revision"),
])
def test_bad_input_is_a_400_with_one_line(priv, path, body, words):
    c = _writer(priv)
    url = f"/api/episodes/{priv.private}/" + (f"flags/{priv.ids['phone']}/dismiss" if path == "dismiss" else "redact")
    r = c.post(url, json=body)
    assert r.status_code == 400, r.text
    assert words in r.json()["error"] and "\n" not in r.json()["error"]
    r = c.post(url, content=b"not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "\n" not in r.json()["error"]
    assert {x["state"] for x in c.get(f"/api/episodes/{priv.private}/flags").json()["flags"]} == {"open"}


def test_unknown_flags_and_stale_revisions_are_refused(priv):
    c = _writer(priv)
    e = priv.private
    assert c.post(f"/api/episodes/{e}/flags/9999/accept").status_code == 404
    assert c.post(f"/api/episodes/{priv.episode}/flags/{priv.ids['person']}/accept").status_code == 404  # another episode's
    assert c.get("/api/episodes/999/flags").status_code == 404
    assert c.post(f"/api/episodes/{e}/flags/{priv.ids['person']}/accept").status_code == 200
    again = c.post(f"/api/episodes/{e}/flags/{priv.ids['person']}/dismiss", json={"reason": "late"})
    assert again.status_code == 409 and "already redacted" in again.json()["error"]
    stale = c.post(f"/api/episodes/{e}/redact", json={"revision": 1, "first": 0, "last": 1})
    assert stale.status_code == 409 and "revision 2 is the newest" in stale.json()["error"]


def test_an_editor_accepts_flags_and_the_words_are_gone(priv):
    c = _writer(priv, "ed")
    e = priv.private
    r = c.post(f"/api/episodes/{e}/flags/{priv.ids['person']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2 and r.json()["occurrences"] == 1 and r.json()["republish"] == "started"
    r = c.post(f"/api/episodes/{e}/flags/{priv.ids['phone']}/accept").json()
    assert r["revision"] == 3
    assert priv.app.state.editor.republish.calls == [e, e]
    text = _text(c, e)
    assert "Jane" not in text and "Doe" not in text and "double nine" not in text
    assert text.count("[redacted]") == 2 and "client [redacted] rang" in text and "number, [redacted]" in text
    got = c.get(f"/api/episodes/{e}/flags").json()
    by_kind = {x["kind"]: x for x in got["flags"]}
    assert by_kind["person"]["state"] == "redacted" and by_kind["person"]["decided_by"] == "ed"
    assert not by_kind["person"]["text"] and not by_kind["phone"]["text"]             # the catalog keeps no removed words
    assert [x["verified"] for x in got["redactions"]] == [None, None]                    # pending until the check runs
    assert {x["kind"] for x in got["redactions"]} == {"person", "phone"} and {x["by"] for x in got["redactions"]} == {"ed"}
    assert "Jane" not in str(got) and "double" not in str(got)


def test_dismissal_keeps_who_and_why_as_typed_and_an_organiser_redacts_by_hand(priv):
    e = priv.private
    ed = _writer(priv, "ed")
    r = ed.post(f"/api/episodes/{e}/flags/{priv.ids['workplace']}/dismiss", json={"reason": REASON})
    assert r.status_code == 200, r.text
    flag = next(x for x in ed.get(f"/api/episodes/{e}/flags").json()["flags"] if x["kind"] == "workplace")
    assert (flag["state"], flag["decided_by"], flag["reason"]) == ("dismissed", "ed", REASON)
    assert "Riverside Clinic" in _text(ed, e) and priv.app.state.editor.republish.calls == []
    olive = _writer(priv, "olive")
    words = olive.get(f"/api/episodes/{e}/transcript").json()["words"]
    first = next(i for i, w in enumerate(words) if w["text"] == "Mill")
    r = olive.post(f"/api/episodes/{e}/redact", json={"revision": 1, "first": first, "last": first + 1})
    assert r.status_code == 200, r.text
    assert "Mill" not in _text(olive, e) and "met on [redacted] near" in _text(olive, e)
    manual = olive.get(f"/api/episodes/{e}/flags").json()["redactions"]
    assert [(x["kind"], x["by"]) for x in manual] == [("manual", "olive")]


def test_a_bearer_token_needs_no_csrf_and_a_failed_republish_is_reported(priv):
    token = accounts.new_token(priv.catalog, "eve")
    c = priv.client()
    c.headers["Authorization"] = f"Bearer {token}"

    def broken(episode_id):
        raise RuntimeError("the deployment is not served\nat all")
    priv.app.state.editor.republish = broken
    r = c.post(f"/api/episodes/{priv.private}/flags/{priv.ids['phone']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["republish"] == "failed" and r.json()["republish_error"] == "the deployment is not served at all"
    assert "[redacted]" in _text(c, priv.private)


def test_the_queue_shows_held_episodes_first_with_flag_counts_never_the_words(priv):
    c = priv.client("eve")
    rows = c.get("/api/episodes").json()
    assert rows[0]["id"] == priv.private and rows[0]["held"]
    assert rows[0]["flags_open"] == {"person": 1, "phone": 1, "workplace": 1} and rows[0]["review"] == "flagged"
    page = c.get("/").text
    assert "Held for review:" in page and "3 open flags" in page and "1 person, 1 phone, 1 workplace" in page
    for words in PLANTED.values():
        assert words not in page and words not in str(rows)
    _writer(priv).post(f"/api/episodes/{priv.private}/flags/{priv.ids['person']}/accept")
    assert c.get("/api/episodes").json()[0]["flags_open"] == {"phone": 1, "workplace": 1}
