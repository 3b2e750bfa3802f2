"""One show, two languages, audio and video, tried as a new user would (issue #6's acceptance).

`chorus run` publishes an English video episode and a German audio episode to one show (the show
uses the multilingual model; the German sidecar says ``language = "de"``). Then: every tag the issue
lists is in the feeds and read by the parsers, every URL the feeds point at answers with the type
and length they declare, and gPodder (`gpo`) subscribes to both feeds and downloads every episode.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import urllib.request

import feedparser
import podcastparser
import pytest
from lxml import etree

from tests.e2e.conftest import make_video, results
from tests.e2e.test_gpodder import _gpo
from tests.support.measure import wer

pytestmark = pytest.mark.e2e

P = "{https://podcastindex.org/namespace/1.0}"
I = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
TITLE_DE = "Supervision im ersten Jahr <Gruppe & Kollegen>"


def _get(url, method="GET"):
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as r:
        return r.headers, (r.read() if method == "GET" else b"")


@pytest.fixture(scope="module")
def show(tmp_path_factory, synth, s3_env, seaweed, prefect_api):
    seaweed.allow_public("e2e-languages/community-podcast")  # the show folder is public, as chorus.runtime scopes it
    root = tmp_path_factory.mktemp("two-languages")
    wav, en_truth = synth("panel")
    video = make_video(wav, root / "rencontre-en.mp4")
    (root / "rencontre-en.json").write_text(json.dumps({"title": "Meeting our English chapter", "host": "Sam Rivers"}))
    de_wav, de_truth = synth("lang-de")
    de = root / "sitzung-de.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(de_wav), "-b:a", "128k", str(de)], check=True)
    (root / "sitzung-de.json").write_text(json.dumps(
        {"title": TITLE_DE, "language": "de", "host": "Jana Weiß", "guests": ["Lukas Brandt"]}))
    env = {**os.environ, **s3_env, "CHORUS_PUBLISH__BUCKET": "e2e-languages", "CHORUS_DATA_DIR": str(root / "data"),
           "PREFECT_API_URL": prefect_api, "CHORUS_SHOW__WHISPER_MODEL": "base",
           "CHORUS_SHOW__TITLE": "Réseau Chapters & Friends",
           "CHORUS_SHOW__REVIEW": "after"}  # about languages: personal data is flagged in English only (privacy tests)
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "run", "--json", str(video), str(de)],
                          capture_output=True, text=True, env=env, timeout=1200, cwd=root)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    by = {r["source"].rsplit("/", 1)[-1]: r for r in results(proc)}
    feed_url = by["sitzung-de.mp3"]["feed_url"]
    feeds = {"audio": _get(feed_url)[1], "video": _get(feed_url.replace("feed.xml", "video.xml"))[1]}
    return {"by": by, "feeds": feeds, "feed_url": feed_url, "root": root,
            "truth": {"sitzung-de.mp3": de_truth, "rencontre-en.mp4": en_truth}}


def _items(xml: bytes) -> dict[str, etree._Element]:
    return {i.findtext("title"): i for i in etree.fromstring(xml).iter("item")}


def test_each_episode_is_transcribed_in_its_own_language(show):
    items = _items(show["feeds"]["audio"])
    assert set(items) == {TITLE_DE, "Meeting our English chapter"}
    for title, lang, name, bound in ((TITLE_DE, "de", "sitzung-de.mp3", 0.35),
                                     ("Meeting our English chapter", "en", "rencontre-en.mp4", 0.25)):
        transcripts = items[title].findall(f"{P}transcript")
        assert {t.get("type") for t in transcripts} >= {"text/vtt", "application/x-subrip", "application/json",
                                                         "text/html"}
        assert {t.get("language") for t in transcripts} == {lang}, title
        assert next(t for t in transcripts if t.get("type") == "text/vtt").get("rel") == "captions"
        doc = json.loads(_get(next(t.get("url") for t in transcripts if t.get("type") == "application/json"))[1])
        hyp = " ".join(s["body"] for s in doc["segments"])
        assert wer(show["truth"][name]["text"], hyp) <= bound, (title, hyp)


def test_feeds_carry_every_tag_and_both_parsers_read_them(show):
    audio, video = show["feeds"]["audio"], show["feeds"]["video"]
    channel = etree.fromstring(audio).find("channel")
    for tag in (f"{P}guid", f"{P}locked", f"{I}image", f"{I}category", f"{I}explicit", f"{I}owner", "language",
                f"{I}type"):
        assert channel.find(tag) is not None, tag
    assert channel.findtext(f"{I}explicit") in ("true", "false")
    for item in _items(audio).values():
        for tag in ("guid", "pubDate", "enclosure", f"{I}duration", f"{I}episode", f"{P}episode", f"{P}chapters",
                    f"{P}person", "{http://purl.org/rss/1.0/modules/content/}encoded"):
            assert item.find(tag) is not None, (item.findtext("title"), tag)
        assert int(item.find("enclosure").get("length")) > 0
    de_item = _items(audio)[TITLE_DE]
    assert {(p.text, p.get("role")) for p in de_item.findall(f"{P}person")} == {("Jana Weiß", "host"),
                                                                                ("Lukas Brandt", "guest")}
    en_item = _items(audio)["Meeting our English chapter"]
    assert "video/mp4" in {a.get("type") for a in en_item.findall(f"{P}alternateEnclosure")}
    fp = feedparser.parse(audio)
    assert not fp.bozo, fp.bozo_exception
    assert fp.feed.language == "en" and fp.feed.title == "Réseau Chapters & Friends"
    assert {e.title for e in fp.entries} == set(_items(audio))
    assert all(e.get("podcast_transcript") is not None or e.get("podcast_chapters") is not None for e in fp.entries)
    pp = podcastparser.parse(show["feed_url"], io.BytesIO(audio))
    assert {e["title"] for e in pp["episodes"]} == set(_items(audio))  # accents and markup intact for apps
    assert all(e["enclosures"][0]["file_size"] > 0 and e["total_time"] > 0 and e["guid"] for e in pp["episodes"])
    vfp = feedparser.parse(video)
    assert not vfp.bozo and [e.title for e in vfp.entries] == ["Meeting our English chapter"]
    assert vfp.entries[0].enclosures[0]["type"] == "video/mp4"


def test_every_url_in_both_feeds_answers_with_its_declared_type_and_length(show):
    checked = 0
    for xml in show["feeds"].values():
        for el in etree.fromstring(xml).iter():
            url = el.get("url") or el.get("href") or el.get("uri")
            if not url or not isinstance(el.tag, str) or el.tag.endswith("}link"):
                continue
            headers, _ = _get(url, "HEAD")
            declared = el.get("type") or (el.getparent().get("type") if el.tag == f"{P}source" else None)
            if declared:
                assert headers["Content-Type"].split(";")[0] == declared, (url, declared, headers["Content-Type"])
            length = el.get("length") or (el.getparent().get("length") if el.tag == f"{P}source" else None)
            if length:
                assert int(headers["Content-Length"]) == int(length), url
            checked += 1
    assert checked >= 20


def test_gpodder_downloads_every_audio_and_video_episode(show, tmp_path):
    if not shutil.which("gpo"):  # not a skip: the acceptance needs a real client
        pytest.fail("gpo (Debian package gpodder) is not installed: run .ci/run or apt-get install gpodder",
                    pytrace=False)
    env = {**os.environ, "GPODDER_HOME": str(tmp_path / "gpodder-home"),
           "GPODDER_DOWNLOAD_DIR": str(tmp_path / "downloads"), "HOME": str(tmp_path)}
    urls = {"audio": show["feed_url"], "video": show["feed_url"].replace("feed.xml", "video.xml")}
    for url in urls.values():
        _gpo(env, "subscribe", url)
        _gpo(env, "update", url)
        _gpo(env, "download", url)
    got = sorted(p.read_bytes() for p in (tmp_path / "downloads").rglob("*") if p.is_file())
    expected = []
    for kind, xml in show["feeds"].items():
        for item in _items(xml).values():
            expected.append(_get(item.find("enclosure").get("url"))[1])
    assert len(got) == 3 and got == sorted(expected)
