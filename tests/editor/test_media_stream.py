"""``GET /media/<id>/<kind>``: a held episode's files reach logged-in reviewers through the editor, with
HTTP Range, and nobody else; the player is pointed there instead of at signed bucket URLs. Real app,
real catalog and a real SeaweedFS bucket whose private prefix answers 403 to anyone."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from chorus import accounts
from editor import create_app

from tests.editor.conftest import log_in

AUDIO = bytes(range(256)) * 800            # 204,800 bytes: more than one 64 KiB chunk from the store


def _anonymous_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture
def held(editor_env, bucket):
    """The seeded episode, held for review, with its MP3 and captions under the private prefix."""
    settings, ep = editor_env.settings, editor_env.episode
    settings.publish.bucket = bucket.name
    objects = {}
    for kind, body in (("mp3", AUDIO), ("vtt", b"WEBVTT\n\n00:00.500 --> 00:02.000\nWelcome back\n")):
        key = settings.private_key("community-podcast", ep, f"{'ab' * 8}.{kind}")
        stored = bucket.put_bytes(key, body)
        objects[kind] = {"key": key, "url": stored.url, "length": stored.length, "type": stored.type,
                         "sha256": stored.sha256}
    editor_env.catalog.set_status(ep, "in_review", objects=objects)
    editor_env.app = create_app(settings, editor_env.catalog, bucket)
    editor_env.objects = objects
    return editor_env


def _client(env, name=None):
    from fastapi.testclient import TestClient
    c = TestClient(env.app, base_url="http://127.0.0.1")
    if name:
        assert log_in(c, name).status_code == 303
    return c


def test_nobody_logged_out_hears_a_held_episode(held):
    anonymous = _client(held)
    r = anonymous.get(f"/media/{held.episode}/mp3", headers={"Range": "bytes=0-99"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert AUDIO[:100] not in r.content
    r = anonymous.get(f"/media/{held.episode}/mp3", headers={"Authorization": "Bearer not-a-token"},
                      follow_redirects=False)
    assert r.status_code == 303 and AUDIO[:100] not in r.content
    assert _anonymous_status(held.objects["mp3"]["url"]) == 403     # nor straight from the bucket


def test_a_reviewer_seeks_with_range_and_nothing_is_cached(held):
    editor = _client(held, "ed")                           # an editor: any role may listen
    r = editor.get(f"/media/{held.episode}/mp3", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == AUDIO[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(AUDIO)}"
    assert r.headers["content-length"] == "100" and r.headers["accept-ranges"] == "bytes"
    assert r.headers["cache-control"] == "private, no-store"
    r = editor.get(f"/media/{held.episode}/mp3", headers={"Range": "bytes=-50"})
    assert r.status_code == 206 and r.content == AUDIO[-50:]
    r = editor.get(f"/media/{held.episode}/mp3")
    assert r.status_code == 200 and r.content == AUDIO and r.headers["content-type"] == "audio/mpeg"
    r = editor.get(f"/media/{held.episode}/mp3", headers={"Range": f"bytes={len(AUDIO) + 10}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(AUDIO)}"
    r = editor.get(f"/media/{held.episode}/vtt")
    assert r.status_code == 200 and r.text.startswith("WEBVTT") and r.headers["content-type"] == "text/vtt"


def test_a_script_with_a_token_may_listen_too(held):
    token = accounts.new_token(held.catalog, "olive")
    r = _client(held).get(f"/media/{held.episode}/mp3", headers={"Authorization": f"Bearer {token}",
                                                                 "Range": "bytes=0-9"})
    assert r.status_code == 206 and r.content == AUDIO[:10]


@pytest.mark.parametrize("path", ["/media/{ep}/mp4", "/media/{ep}/opus", "/media/999/mp3", "/media/{ep}/..%2Fmp3",
                                  "/media/{ep}/MP3"])
def test_unknown_episodes_and_kinds_are_404(held, path):
    r = _client(held, "ed").get(path.format(ep=held.episode))
    assert r.status_code == 404 and AUDIO[:100] not in r.content


def test_the_player_of_a_held_episode_uses_the_editor_not_the_bucket(held):
    media = _client(held, "ed").get(f"/api/episodes/{held.episode}").json()["media"]
    assert media["audio_url"] == f"/media/{held.episode}/mp3"
    assert media["vtt_url"] == f"/media/{held.episode}/vtt" and media["video_url"] is None
    page = _client(held, "ed").get(f"/episodes/{held.episode}")
    assert page.status_code == 200 and "X-Amz-Signature" not in page.text


def test_a_live_episode_keeps_its_public_urls(held):
    held.catalog.set_status(held.episode, "published")
    media = _client(held, "ed").get(f"/api/episodes/{held.episode}").json()["media"]
    assert media["audio_url"] == held.objects["mp3"]["url"]
