"""Publishing semantics against a real SeaweedFS: CORS, types and caching, HEAD/Range, incremental
republish, unpublish. Episodes are real: generated speech encoded to MP3 by ffmpeg, real transcript
formats and ID3 tags, catalog rows written by the pipeline's own steps.

``publish_episode`` and ``show_env`` are shared with the other publishing tests and the gPodder test.
"""
from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import podcastparser
import pytest

from chorus.catalog import Catalog
from chorus.errors import ChorusError
from chorus import sequence, steps
from chorus.publishing import publish_show, unpublish
from chorus.settings import PublishSettings, Settings
from chorus.steps import Context
from chorus.showfeed import feed_key
from chorus.storage import CORS_RULES, IMMUTABLE, SHORT, Bucket

SCRIPT = Path(__file__).parents[1] / "data" / "scripts" / "publish-short.json"


def http(url, method="GET", headers=None):
    """(status, headers, body) of an anonymous request, as a podcast app or browser makes it."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def make_bucket(seaweed, name: str) -> Bucket:
    key, secret = seaweed.credentials()
    b = Bucket(name, seaweed.endpoint_url, access_key=key, secret_key=secret, region="us-east-1")
    b.ensure()
    seaweed.allow_public(f"{name}/community-podcast")  # the default show's folder, as chorus.runtime scopes it
    return b


def show_env(bucket: Bucket, root: Path) -> tuple[Settings, Catalog]:
    """Settings and a fresh SQLite catalog for a show published to ``bucket``."""
    settings = Settings(data_dir=root / "data", publish=PublishSettings(bucket=bucket.name))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings, Catalog(settings.catalog)


def _transcript_and_notes(truth: dict, title: str):
    from transcripts import Chapter, Segment, ShowNotes, Transcript, Word

    segments = []
    for turn in (t for t in truth["turns"] if t.get("text")):
        words, span = turn["text"].split(), turn["end"] - turn["start"]
        step = span / len(words)
        segments.append(Segment(turn["start"], turn["end"], turn["text"], turn["speaker"], [
            Word(w, turn["start"] + i * step, turn["start"] + (i + 1) * step, 0.9, turn["speaker"])
            for i, w in enumerate(words)]))
    transcript = Transcript(language="en", duration=truth["duration"], segments=segments)
    cuts = [0.0, *truth["topic_boundaries"], truth["duration"]]
    topics = list(dict.fromkeys(t["topic"] for t in truth["turns"] if t.get("topic")))
    chapters = [Chapter(a, b, topic.capitalize()) for a, b, topic in zip(cuts, cuts[1:], topics)]
    notes = ShowNotes(summary=[truth["text"][:200]], keywords=topics, chapters=chapters,
                      html=f"<p>{title}: {', '.join(topics)}.</p>", text=f"{title}: {', '.join(topics)}.")
    return transcript, notes


def publish_episode(bucket, settings, catalog, synth, tmp_path: Path, title: str, gap: float = 0.35,
                    rebuild: bool = True, before_upload=None):
    """Publish one real episode with the one sequence (``chorus.sequence``); returns (episode_id, stored objects).

    Mastering and transcription are replaced by an MP3 made with ffmpeg and a transcript made from
    the script's truth (these tests are about publishing). ``rebuild=False`` stops before the feed
    (the episode is ``releasing``: uploaded, its feed not written yet); ``before_upload(files)`` runs
    between rendering and uploading (to provoke failures).
    """
    wav, truth = synth(SCRIPT, gap=gap)
    src = tmp_path / f"{title.lower().replace(' ', '-')}.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", "64k", str(src)], check=True)
    (src.with_suffix(".json")).write_text(f'{{"title": "{title}"}}')
    ctx = Context(settings, catalog, bucket)
    c = steps.claim(ctx, src)
    transcript, notes = _transcript_and_notes(truth, title)
    mastered = SimpleNamespace(mp3=src, duration=truth["duration"], video=None, poster=None,
                               kept=[(0.0, truth["duration"])])
    steps.draft(ctx, c, mastered, transcript, notes)
    stored = {}

    def run(name, fn, *args):
        if name == "publish-objects" and before_upload is not None:
            before_upload(args[2])
        if name in ("feed", "finish") and not rebuild:
            return "releasing"
        result = fn(*args)
        if name == "publish-objects":
            stored.update(result)
        return result

    sequence.release_episode(ctx, c.episode_id, run, mastered=mastered)
    return c.episode_id, stored


@pytest.fixture(scope="module")
def show(seaweed, synth, tmp_path_factory):
    """A show with two published episodes, shared by this module's read-only tests."""
    root = tmp_path_factory.mktemp("pubshow")
    bucket = make_bucket(seaweed, "publish-show")
    settings, catalog = show_env(bucket, root)
    first = publish_episode(bucket, settings, catalog, synth, root, "First check in")
    second = publish_episode(bucket, settings, catalog, synth, root, "Second check in", gap=0.5)
    slug = settings.default_show
    return SimpleNamespace(bucket=bucket, settings=settings, catalog=catalog, slug=slug, episodes=[first, second],
                           feed_url=bucket.url(feed_key(settings, slug)), root=root)


def _parsed(show):
    status, _, body = http(show.feed_url)
    assert status == 200
    return podcastparser.parse(show.feed_url, __import__("io").BytesIO(body)), body


def test_transcripts_and_chapters_answer_any_origin(show):
    assert show.bucket.cors is True
    assert show.bucket.client.get_bucket_cors(Bucket=show.bucket.name)["CORSRules"] == CORS_RULES
    _, stored = show.episodes[0]
    for kind in ("vtt", "srt", "json", "chapters"):
        origin = "https://player.example.net"
        status, headers, body = http(stored[kind].url, headers={"Origin": origin})
        assert status == 200 and len(body) == stored[kind].length
        assert headers["Access-Control-Allow-Origin"] in ("*", origin), (kind, dict(headers))
        assert "GET" in headers["Access-Control-Allow-Methods"]
        status, headers, _ = http(stored[kind].url, "OPTIONS",
                                  {"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] in ("*", origin)


def test_every_object_has_its_type_and_caching(show):
    prefix = show.settings.show_prefix(show.slug) + "/"
    keys = show.bucket.keys(prefix)
    expected = {".mp3": "audio/mpeg", ".vtt": "text/vtt", ".srt": "application/x-subrip",
                ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
                ".xml": "application/rss+xml", ".jpg": "image/jpeg"}
    short = {f"{prefix}feed.xml", f"{prefix}index.html"} | {k for k in keys if k.endswith("/index.html")}
    assert f"{prefix}feed.xml" in keys and len(short) == 4  # feed, show page, two episode pages
    chapters = {o.key for _, st in show.episodes for k, o in st.items() if k == "chapters"}
    for key in keys:
        status, headers, body = http(show.bucket.url(key), "HEAD")
        assert status == 200, key
        want = "application/json+chapters" if key in chapters else expected.get(Path(key).suffix,
                                                                                 "application/json")
        assert headers["Content-Type"] == want, key
        assert headers["Cache-Control"] == (SHORT if key in short else IMMUTABLE), key


def test_enclosures_answer_head_and_ranges(show):
    parsed, _ = _parsed(show)
    assert len(parsed["episodes"]) == 2
    for ep in parsed["episodes"]:
        enc = ep["enclosures"][0]
        status, headers, _ = http(enc["url"], "HEAD")
        assert status == 200 and int(headers["Content-Length"]) == enc["file_size"]
        assert headers["Accept-Ranges"] == "bytes"
        _, _, whole = http(enc["url"])
        assert len(whole) == enc["file_size"] and whole[:3] == b"ID3"
        status, headers, part = http(enc["url"], headers={"Range": "bytes=100-1123"})
        assert status == 206 and part == whole[100:1124]
        assert headers["Content-Range"] == f"bytes 100-1123/{len(whole)}"
        status, _, tail = http(enc["url"], headers={"Range": "bytes=-500"})
        assert status == 206 and tail == whole[-500:]


def test_republishing_an_unchanged_show_uploads_nothing(show):
    before = show.bucket.bytes_sent
    pub = publish_show(show.bucket, show.settings, show.catalog, show.slug)
    assert pub.attempts == 1 and not pub.feed.uploaded
    assert not any(p.uploaded for p in pub.pages)
    assert pub.bytes_sent == show.bucket.bytes_sent - before == 0


def test_a_republish_lists_the_show_once_instead_of_a_head_per_object(show):
    """The referenced objects are answered for by one listing; HEAD goes only to the pages whose
    listed ETag matches (to confirm SHA-256 and type), the artwork and the unchanged feed."""
    calls = []
    record = lambda model, params, **_: calls.append((model.name, params.get("Key")))  # noqa: E731
    show.bucket.client.meta.events.register("before-call.s3.*", record)
    try:
        pub = publish_show(show.bucket, show.settings, show.catalog, show.slug)
    finally:
        show.bucket.client.meta.events.unregister("before-call.s3.*", record)
    ops = [op for op, _ in calls]
    assert ops.count("ListObjectsV2") == 1
    heads = {key for op, key in calls if op == "HeadObject"}
    media = {o.key for _, stored in show.episodes for o in stored.values()}
    assert len(media) >= 10 and not heads & media, sorted(heads & media)
    assert ops.count("HeadObject") <= len(pub.pages) + 2, ops


def test_unpublish_removes_the_episode_then_optionally_its_objects(show, synth):
    ep_id, stored = publish_episode(show.bucket, show.settings, show.catalog, synth, show.root, "Third check in",
                                    gap=0.6)
    parsed, _ = _parsed(show)
    assert [e["title"] for e in parsed["episodes"]][0] == "Third check in"
    page = show.bucket.url(f"{show.settings.show_prefix(show.slug)}/third-check-in/index.html")
    assert http(page)[0] == 200
    result = unpublish(show.bucket, show.settings, show.catalog, ep_id)
    parsed, body = _parsed(show)
    assert "Third check in" not in [e["title"] for e in parsed["episodes"]] and len(parsed["episodes"]) == 2
    assert b"third-check-in" not in body and b"third-check-in" not in http(show.bucket.url(
        f"{show.settings.show_prefix(show.slug)}/index.html"))[2]
    assert http(page)[0] == 404 and result.deleted == [page.split(f"/{show.bucket.name}/", 1)[1]]
    assert http(stored["mp3"].url, "HEAD")[0] == 200  # objects kept without --delete-objects
    again = unpublish(show.bucket, show.settings, show.catalog, ep_id, delete_objects=True)
    assert sorted(again.deleted) == sorted(o.key for o in stored.values())
    for obj in stored.values():
        assert http(obj.url, "HEAD")[0] == 404
    assert http(show.feed_url)[2] == body  # the live feed did not change on the second call
    for e in show.episodes:  # the other episodes' objects are untouched
        assert all(http(o.url, "HEAD")[0] == 200 for o in e[1].values())


def test_unpublish_refuses_unknown_or_unpublished_episodes_in_one_line(show):
    with pytest.raises(ChorusError) as e:
        unpublish(show.bucket, show.settings, show.catalog, 987654)
    assert "no episode with id 987654" in str(e.value) and "\n" not in str(e.value)
    from chorus.catalog import Episode

    with show.catalog.session() as s:
        show_id = show.catalog.show(s, show.slug).id
        ep = Episode(show_id=show_id, title="Draft", source_name="d.wav", source_sha256="0" * 64, slug="draft",
                     status="drafted")
        s.add(ep)
        s.flush()
        draft_id = ep.id
    with pytest.raises(ChorusError, match="is drafted, not published"):
        unpublish(show.bucket, show.settings, show.catalog, draft_id)
