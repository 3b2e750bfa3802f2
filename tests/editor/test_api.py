"""The JSON API as pages and scripts use it (real app, real SQLite catalog), the ``chorus editor`` command,
and approval republishing a real episode to a real SeaweedFS bucket."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import podcastparser
import pytest

from chorus import accounts, steps
from chorus.catalog import Episode
from chorus.services import free_port
from chorus.showfeed import episode_page_key, feed_key
from editor import create_app

from tests.chorus.test_publish import SCRIPT, http, publish_episode, show_env
from tests.editor.conftest import PASSWORDS, csrf_of

WORD_KEYS = {"text", "start", "end", "speaker", "probability", "origin", "paragraph"}


def _save(c, ep, base, paras, headers):
    return c.put(f"/api/episodes/{ep}/transcript", json={"base_revision": base, "paragraphs": paras}, headers=headers)


def test_episodes_and_transcript_shapes(editor_env):
    c = editor_env.client("ed")
    ep = editor_env.episode
    (row,) = c.get("/api/episodes").json()
    assert {"id", "show", "title", "status", "revision", "source", "duration", "coverage", "gaps", "low_confidence",
            "caption_problems", "editing", "approved_revision", "published_url"} <= row.keys()
    assert (row["id"], row["show"], row["status"], row["revision"], row["source"], row["low_confidence"]) == \
        (ep, "community-podcast", "needs review", 1, "check-in.wav", 2)
    assert c.get("/api/episodes?show=community-podcast").json() == [row]
    assert c.get("/api/episodes?show=other").json() == []
    one = c.get(f"/api/episodes/{ep}").json()
    assert one["media"].keys() == {"audio_url", "video_url", "vtt_url", "duration"}
    t = c.get(f"/api/episodes/{ep}/transcript").json()
    assert t["revision"] == 1 and t["speakers"] == ["Speaker 1", "Speaker 2"]
    assert len(t["paragraphs"]) == 5 and t["paragraphs"][0]["speaker"] == "Speaker 1"
    assert all(w.keys() == WORD_KEYS for w in t["words"])
    assert [w["paragraph"] for w in t["words"]][:14] == [0] * 13 + [1]
    assert t["words"][3]["probability"] == 0.3 and t["words"][0]["origin"] == "machine"
    assert t["gaps"] == [] and isinstance(t["caption_problems"], list)
    assert c.get("/api/episodes/99/transcript").json() == {"error": "episode 99 has no transcript"}


def test_save_merge_and_conflict_over_http(editor_env):
    ep = editor_env.episode
    ed, eve = editor_env.client("ed"), editor_env.client()
    h_ed = {"X-CSRF-Token": csrf_of(ed)}
    h_eve = {"Authorization": f"Bearer {accounts.new_token(editor_env.catalog, 'eve')}"}  # a script: no CSRF
    base = ed.get(f"/api/episodes/{ep}/transcript").json()["paragraphs"]
    mine = [dict(p) for p in base]
    mine[0]["text"] = mine[0]["text"].replace("check in", "check-in")
    r = _save(ed, ep, 1, mine, h_ed)
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.json()["merged"] is False
    theirs = [dict(p) for p in base]
    theirs[4]["text"] = theirs[4]["text"].replace("short break", "short pause")
    r = _save(eve, ep, 1, theirs, h_eve)
    assert r.status_code == 200 and r.json() == {"revision": 3, "merged": True, "changed": True,
                                                 "summary": "1 word changed"}
    clash = [dict(p) for p in base]
    clash[0]["text"] = clash[0]["text"].replace("check in", "catch up")
    r = _save(eve, ep, 1, clash, h_eve)
    assert r.status_code == 409
    body = r.json()
    assert body["latest_revision"] == 3 and body["error"]
    assert body["conflicts"][0]["paragraph"] == 0 and "catch up" in body["conflicts"][0]["ours"]["text"]
    latest = ed.get(f"/api/episodes/{ep}/transcript").json()
    assert "check-in" in latest["paragraphs"][0]["text"] and "short pause" in latest["paragraphs"][4]["text"]
    revs = ed.get(f"/api/episodes/{ep}/revisions").json()
    assert [(r["number"], r["author"], r["base"], r["merged"]) for r in revs] == \
        [(3, "eve", 1, True), (2, "ed", 1, False), (1, "machine", None, False)]
    assert revs[0].keys() >= {"number", "kind", "author", "created_at", "base", "merged", "summary", "approved_by"}
    d = ed.get(f"/api/episodes/{ep}/revisions/2/diff").json()
    assert d["summary"] == "2 words changed" and d["previous"] == 1
    assert {"kind": "replace", "old": "check in.", "new": "check-in.", "paragraph": 0, "speaker": False} in d["ops"]
    r = ed.post(f"/api/episodes/{ep}/revisions/1/restore", headers=h_ed)
    assert r.json() == {"revision": 4, "merged": False, "restored": 1}
    assert ed.get(f"/api/episodes/{ep}/transcript").json()["paragraphs"] == base


def test_drafts_presence_notes_and_checks(editor_env):
    ep = editor_env.episode
    c = editor_env.client("ed")
    h = {"X-CSRF-Token": csrf_of(c)}
    assert c.get(f"/api/episodes/{ep}/draft").status_code == 404
    draft = {"base_revision": 1, "paragraphs": [{"speaker": "Speaker 1", "text": "half typed"}]}
    assert "saved_at" in c.put(f"/api/episodes/{ep}/draft", json=draft, headers=h).json()
    got = c.get(f"/api/episodes/{ep}/draft").json()
    assert got["base_revision"] == 1 and got["paragraphs"] == draft["paragraphs"]
    c.post(f"/api/episodes/{ep}/presence", headers=h)
    (row,) = editor_env.client("eve").get("/api/episodes").json()
    assert row["status"] == "being edited" and row["editing"][0]["user"] == "ed"
    assert "Resume where you left off" in c.get("/").text
    notes = c.get(f"/api/episodes/{ep}/notes").json()
    assert notes["revision"] == 1 and notes["chapters"][0] == {"start": 0.0, "title": "Welcome"}
    r = c.put(f"/api/episodes/{ep}/notes", json={"base_revision": 1, "chapters": [
        {"start": 0, "title": "Hello"}, {"start": 10, "title": "Supervision"}]}, headers=h)
    assert r.json()["revision"] == 2
    assert c.put(f"/api/episodes/{ep}/notes", json={"base_revision": 1, "chapters": [{"start": "x", "title": 1}]},
                 headers=h).status_code == 400
    long = [{"speaker": "Speaker 1", "text": " ".join(["supercalifragilistic"] * 40)}]
    problems = c.post(f"/api/episodes/{ep}/check", json={"paragraphs": long}, headers=h).json()["caption_problems"]
    assert problems and {"cue", "kind", "message"} <= problems[0].keys()
    assert c.put(f"/api/episodes/{ep}/transcript", json={"base_revision": 1, "paragraphs": "x"},
                 headers=h).json()["error"].startswith("paragraphs must be")


def test_a_new_login_after_the_session_ended_keeps_the_draft(editor_env):
    ep = editor_env.episode
    c = editor_env.client("ed")
    h = {"X-CSRF-Token": csrf_of(c)}
    c.put(f"/api/episodes/{ep}/draft", json={"base_revision": 1, "paragraphs": [{"speaker": "A", "text": "kept"}]},
          headers=h)
    accounts.end_session(editor_env.catalog, c.cookies.get("chorus_session"))  # as if it expired
    assert c.put(f"/api/episodes/{ep}/draft", json={"paragraphs": []}, headers=h).status_code == 401
    r = c.post("/api/login", json={"name": "ed", "password": PASSWORDS["ed"]})
    assert r.status_code == 200 and r.json()["user"] == {"name": "ed", "role": "editor"}
    assert c.get(f"/api/episodes/{ep}/draft").json()["paragraphs"] == [{"speaker": "A", "text": "kept"}]
    assert c.post("/api/login", json={"name": "ed", "password": "nope"}).status_code == 401


def test_chorus_editor_serves_on_its_port(tmp_path, s3_env):
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "PREFECT_API"))}, **s3_env,
           "CHORUS_EDITOR__PORT": str(port),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # a venv installed before editor/ existed
    proc = subprocess.Popen([sys.executable, "-m", "chorus.cli", "editor", "--data-dir", str(tmp_path / "d")],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = proc.stderr.readline()
        assert line.strip() == f"editor: http://127.0.0.1:{port}/", line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
            assert r.status == 200 and b'name="password"' in r.read()
    finally:
        proc.terminate()
        proc.wait(20)


# -- approval republishes a real episode ------------------------------------------------------------------
@pytest.fixture
def published(seaweed, synth, tmp_path, bucket):
    """A published episode (the pipeline's own steps, real MP3 and bucket) with its mastered audio in the
    step cache, as a real run leaves it: republishing never masters again."""
    settings, catalog = show_env(bucket, tmp_path)
    episode_id, _stored = publish_episode(bucket, settings, catalog, synth, tmp_path, "Check in")
    _wav, truth = synth(SCRIPT, gap=0.35)
    with catalog.session() as s:
        ep = s.get_one(Episode, episode_id)
        sha, slug, show = ep.source_sha256, ep.slug, ep.show.slug
    mastered = SimpleNamespace(mp3=tmp_path / "check-in.mp3", duration=truth["duration"], video=None, poster=None,
                               kept=[(0.0, truth["duration"])])
    steps.cached_step(settings.path("work") / str(episode_id), "master",
                      steps.step_key(sha, steps.master_options(settings.get_show(show)[1])), lambda: mastered)
    for name, role in (("olive", "organiser"), ("ed", "editor")):
        accounts.add_user(catalog, name, role, PASSWORDS[name])
    app = create_app(settings, catalog, bucket)
    return SimpleNamespace(settings=settings, catalog=catalog, bucket=bucket, app=app, id=episode_id, slug=slug,
                           show=show)


def _login(app, name):
    from fastapi.testclient import TestClient

    from tests.editor.conftest import log_in

    c = TestClient(app, base_url="http://127.0.0.1")
    assert log_in(c, name).status_code == 303
    return c, {"X-CSRF-Token": csrf_of(c)}


def _wait_released(pub, timeout=120):
    deadline = time.monotonic() + timeout
    for t in pub.app.state.editor.republish.threads:
        t.join(max(0.0, deadline - time.monotonic()))
    with pub.catalog.session() as s:
        ep = s.get_one(Episode, pub.id)
        return ep.status, ep.error, dict(ep.objects)


def test_approval_republishes_the_corrected_words(published):
    pub = published
    ed, h_ed = _login(pub.app, "ed")
    t = ed.get(f"/api/episodes/{pub.id}/transcript").json()
    paras = [dict(p) for p in t["paragraphs"]]
    assert "fortnight" in paras[1]["text"]
    paras[1]["text"] = paras[1]["text"].replace("fortnight", "fortnightly Tuesday")
    paras[1]["speaker"] = 'Bo "Chen" <script>alert(1)</script>'
    r = _save(ed, pub.id, t["revision"], paras, h_ed)
    assert r.status_code == 200
    revision = r.json()["revision"]
    notes = ed.get(f"/api/episodes/{pub.id}/notes").json()
    r = ed.put(f"/api/episodes/{pub.id}/notes", json={"base_revision": notes["revision"],
                                                      "description": "Peer groups <script>alert(2)</script> & more"},
               headers=h_ed)
    notes_revision = r.json()["revision"]
    assert ed.post(f"/api/episodes/{pub.id}/approve", json={"revision": revision}, headers=h_ed).status_code == 403
    olive, h_o = _login(pub.app, "olive")
    r = olive.post(f"/api/episodes/{pub.id}/approve", json={"revision": revision, "notes_revision": notes_revision},
                   headers=h_o)
    assert r.status_code == 200 and r.json()["republish"] == "started" and r.json()["approved"] == revision
    status, error, objects = _wait_released(pub)
    assert status == "published", error
    assert not (pub.settings.path("work") / str(pub.id) / "master").exists()  # never mastered again
    vtt = http(objects["vtt"]["url"])[2].decode()
    assert "fortnightly Tuesday" in vtt and "fortnight to" not in vtt
    assert "<script>" not in vtt and "&lt;script&gt;" in vtt  # WebVTT escapes < as &lt;
    page = http(pub.bucket.url(episode_page_key(pub.settings, pub.show, pub.slug)))[2].decode()
    assert "fortnightly Tuesday" in " ".join(re.sub(r"<[^>]+>", " ", page).split())  # one <span> per word
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page and "&lt;script&gt;alert(2)" in page
    feed_body = http(pub.bucket.url(feed_key(pub.settings, pub.show)))[2]
    feed = podcastparser.parse("feed.xml", io.BytesIO(feed_body))
    (item,) = feed["episodes"]
    assert "alert(2)" in item["description"] and "<script>" not in item["description_html"]
    with pub.catalog.session() as s:
        assert s.get_one(Episode, pub.id).status == "published"
    row = olive.get(f"/api/episodes/{pub.id}").json()
    assert (row["status"], row["approved_revision"]) == ("published", revision)
    assert re.match(r"https?://", row["published_url"])
    (rev,) = [x for x in olive.get(f"/api/episodes/{pub.id}/revisions").json() if x["number"] == revision]
    assert rev["approved_by"] == "olive"
    assert olive.post(f"/api/episodes/{pub.id}/unpublish").status_code == 403  # no CSRF token
    r = olive.post(f"/api/episodes/{pub.id}/unpublish", headers=h_o)
    assert r.status_code == 200 and r.json() == {"unpublished": pub.id, "show": pub.show}
    feed = podcastparser.parse("feed.xml", io.BytesIO(http(pub.bucket.url(feed_key(pub.settings, pub.show)))[2]))
    assert feed["episodes"] == []


def test_chorus_up_serves_the_editor_and_says_where(tmp_path):
    """``chorus up`` starts the editor in a thread and prints ``editor: http://HOST:PORT/``; a taken port
    gives way to a free one (named in the line) rather than stopping the service."""
    import socket

    from chorus.catalog import Catalog
    from chorus.service import Service
    from chorus.settings import EditorSettings, Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(data_dir=tmp_path / "d", editor=EditorSettings(port=port))
        said: list[str] = []
        service = Service(settings, None, tmp_path / "inbox", example=False, say=said.append)
        server = service._start_editor(Catalog(settings.catalog), None)
    try:
        (line,) = [x for x in said if x.startswith("editor: ")]
        assert re.fullmatch(r"editor: http://127\.0\.0\.1:(\d+)/", line) and server.port != port
        assert any(f"port {port} on 127.0.0.1 is taken" in x for x in said)
        with urllib.request.urlopen(f"{line.split(' ', 1)[1]}login", timeout=10) as r:
            assert r.status == 200 and r.headers["X-Frame-Options"] == "DENY"
    finally:
        server.stop()
