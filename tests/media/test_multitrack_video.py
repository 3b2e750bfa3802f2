"""Multitrack folders (aligned mixdown + speaker timeline), video inputs (web video + poster) and jingles."""
from __future__ import annotations

import subprocess

import pytest

from media import MasterOptions, master

from ._meter import atom_order, decode, ffprobe, lufs, speaker_lufs, true_peak_db


@pytest.fixture(scope="module")
def mastered_tracks(multitrack, tmp_path_factory):
    folder, truth = multitrack
    return master(folder, tmp_path_factory.mktemp("mt")), truth


def test_multitrack_mixdown_is_levelled_and_on_target(mastered_tracks):
    r, truth = mastered_tracks
    x = decode(r.mp3)
    assert abs(lufs(x) - -19.0) <= 0.5 and true_peak_db(x) <= -1.0
    shift = r.kept[0][0]
    per = speaker_lufs(x, truth["turns"], lambda t: t - shift)
    assert abs(per["Host"] - per["Guest"]) <= 3.0, per
    assert r.speakers == ["Host", "Guest"]


def test_multitrack_timeline_names_every_turn(mastered_tracks):
    r, truth = mastered_tracks
    shift = r.kept[0][0]
    assert r.timeline and all(b > a for a, b, _ in r.timeline)
    for turn in (t for t in truth["turns"] if t["kind"] == "speech"):
        a, b = turn["start"] - shift, turn["end"] - shift
        overlap = {}
        for s, e, who in r.timeline:
            overlap[who] = overlap.get(who, 0.0) + max(0.0, min(b, e) - max(a, s))
        assert max(overlap, key=overlap.get) == turn["speaker"], (turn, overlap)
        assert overlap[turn["speaker"]] >= 0.8 * (b - a)
    covered = sum(e - s for s, e, _ in r.timeline)
    spoken = sum(t["end"] - t["start"] for t in truth["turns"] if t["kind"] == "speech")
    assert covered <= spoken * 1.25            # silence is not attributed to anyone


def test_video_gives_web_video_poster_and_audio(quiet_guest, tmp_path):
    src = tmp_path / "session.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=10",
                    "-i", quiet_guest[0], "-t", "24", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", src], check=True)
    r = master(src, tmp_path)
    info = ffprobe(r.video)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (v["codec_name"], v["pix_fmt"], a["codec_name"]) == ("h264", "yuv420p", "aac")
    assert (v["width"], v["height"]) == (640, 360)            # never upscaled, aspect kept
    order = atom_order(r.video)
    assert order.index("moov") < order.index("mdat")          # +faststart
    src_dur = float(ffprobe(src)["format"]["duration"])
    assert abs(float(info["format"]["duration"]) - src_dur) <= 0.1
    assert abs(lufs(decode(r.video)) - -19.0) <= 0.7           # it carries the mastered audio
    p = ffprobe(r.poster)["streams"][0]
    assert p["codec_name"] == "mjpeg" and (p["width"], p["height"]) == (640, 360)
    assert abs(r.duration - src_dur) <= 0.1 and r.mp3.exists()  # no trimming: picture stays in sync


def test_intro_and_outro_are_crossfaded_and_loudness_matched(quiet_guest, mastered_mono, tmp_path):
    src, _ = quiet_guest
    plain = mastered_mono[0]
    jingles = {}
    for name, freq in (("intro", 660), ("outro", 440)):
        jingles[name] = tmp_path / f"{name}.wav"
        subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", jingles[name], "synth", "3", "sine", str(freq),
                        "vol", "0.9"], check=True)
    r = master(src, tmp_path / "dressed", MasterOptions(intro=jingles["intro"], outro=jingles["outro"]))
    assert abs(r.duration - (plain.duration + 3 + 3 - 2 * 1.0)) < 0.15
    x = decode(r.mp3)
    assert abs(lufs(x) - -19.0) <= 0.5 and true_peak_db(x) <= -1.0
    intro = x[int(0.2 * 44100):int(1.8 * 44100)]
    assert abs(lufs(intro) - -19.0) <= 1.5                      # the jingle is matched, not blasting
