"""`chorus run` with a multitrack folder and a video recording: speaker labels from the tracks, a
video feed, and chapters everywhere a listener meets them (feed, MP3 ID3 frames, episode page)."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3

from tests.e2e.conftest import make_video, results

pytestmark = pytest.mark.e2e


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.headers, r.read()


@pytest.fixture(scope="module")
def run(tmp_path_factory, synth, s3_env, seaweed, prefect_api):
    seaweed.allow_public("e2e-media/community-podcast")  # the show folder is public, as chorus.runtime scopes it
    root = tmp_path_factory.mktemp("media-run")
    # a multitrack folder: one track per speaker, the guest 10 dB quieter, named by a sidecar
    mix, truth = synth("quiet-guest", multitrack=True)
    folder = root / "zoom-tracks"
    folder.mkdir()
    stem = mix.with_suffix("")
    shutil.copy(f"{stem}.Host.wav", folder / "audio-host.wav")
    shutil.copy(f"{stem}.Guest.wav", folder / "audio-guest.wav")
    (folder / "speakers.json").write_text(json.dumps({"audio-host.wav": "Host", "audio-guest.wav": "Guest"}))
    # a video recording of the panel (small picture: the test is about the pipeline, not x264)
    wav, _ = synth("panel")
    video = make_video(wav, root / "panel-session.mp4")
    env = {**os.environ, **s3_env, "CHORUS_PUBLISH__BUCKET": "e2e-media", "CHORUS_DATA_DIR": str(root / "data"),
           "PREFECT_API_URL": prefect_api,
           # about media: published at once (tiny.en hears "long winter" as "London", a place the default policy holds)
           "CHORUS_SHOW__REVIEW": "after"}
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "run", "--json", str(folder), str(video)],
                          capture_output=True, text=True, env=env, timeout=900, cwd=root)
    return proc, {r["source"].rsplit("/", 1)[-1]: r for r in results(proc)}, truth


def test_both_publish(run):
    proc, by, _ = run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert by["zoom-tracks"]["status"] == by["panel-session.mp4"]["status"] == "published", by


def test_multitrack_speaker_labels_come_from_the_tracks(run):
    _, by, truth = run
    body = _get(by["zoom-tracks"]["feed_url"])[1].decode()
    item = next(i for i in re.findall(r"<item>.*?</item>", body, re.S) if "Zoom Tracks" in i)
    url = re.search(r'<podcast:transcript url="([^"]+)" type="application/json"', item).group(1)
    segments = json.loads(_get(url)[1])["segments"]
    assert {s["speaker"] for s in segments} == {"Host", "Guest"}
    # every segment carries the speaker of the scripted turn it transcribes (matched by words, since
    # mastering trims leading silence and so shifts times)
    turns = [t for t in truth["turns"] if t["kind"] == "speech"]

    def words(text):
        return set(re.findall(r"[a-z']+", text.lower()))

    for seg in segments:
        turn = max(turns, key=lambda t: len(words(t["text"]) & words(seg["body"])))
        assert seg["speaker"] == turn["speaker"], (seg, turn["text"])


def test_video_feed_and_chapters_everywhere(run, tmp_path):
    _, by, _ = run
    r = by["panel-session.mp4"]
    feed = _get(r["feed_url"])[1]
    episode = next(e for e in podcastparser.parse(r["feed_url"], io.BytesIO(feed))["episodes"]
                   if e["link"] == r["episode_url"])
    # chapters in the feed (Podcasting 2.0 JSON chapters, served with their type)
    chapters_url = re.search(rb'<podcast:chapters url="([^"]+)" type="application/json\+chapters"', feed).group(1)
    headers, body = _get(chapters_url.decode())
    chapters = json.loads(body)["chapters"]
    assert len(chapters) >= 2 and chapters[0]["startTime"] == 0
    # ... in the MP3 (ID3 CHAP frames) ...
    mp3 = tmp_path / "ep.mp3"
    mp3.write_bytes(_get(episode["enclosures"][0]["url"])[1])
    chap = ID3(mp3).getall("CHAP")
    assert len(chap) == len(chapters)
    # ... and on the episode page
    page = _get(r["episode_url"])[1].decode()
    assert all(c["title"].split()[0] in page for c in chapters)
    # the separate video feed carries the web video
    video_url = r["feed_url"].replace("feed.xml", "video.xml")
    headers, video_feed = _get(video_url)
    fp = feedparser.parse(video_feed)
    assert not fp.bozo and fp.entries[0].enclosures[0]["type"] == "video/mp4"
    headers, mp4 = _get(fp.entries[0].enclosures[0]["href"])
    assert headers["Content-Type"] == "video/mp4" and int(fp.entries[0].enclosures[0]["length"]) == len(mp4)
