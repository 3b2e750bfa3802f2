"""probe(): what ffprobe sees, and one-line refusals for unusable input (the source is never touched)."""
from __future__ import annotations

import struct
import subprocess

import pytest

from media import MediaError, is_multitrack, probe


def _ff(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def _wav_header(path, tag: int, datasize: int, payload: bytes = b""):
    fmt = struct.pack("<HHIIHH", tag, 1, 44100, 88200, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", datasize) + payload
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + body)


def test_probe_reads_a_recording(quiet_guest):
    src, truth = quiet_guest
    p = probe(src)
    assert (p.sample_rate, p.channels, p.has_video, p.audio_codec) == (48000, 2, False, "pcm_s16le")
    assert abs(p.duration - truth["duration"]) < 0.05
    assert not is_multitrack(src)


def test_probe_reads_a_multitrack_folder(multitrack):
    folder, truth = multitrack
    p = probe(folder)
    assert is_multitrack(folder)
    assert [t.name for t in p.tracks] == ["track-1.wav", "track-2.wav"]
    assert p.channels == 2 and p.format_name == "multitrack"
    assert abs(p.duration - truth["duration"]) < 0.05


def _bad_inputs(d, good):
    made = {}
    (d / "empty.wav").write_bytes(b"")
    made["empty.wav"] = "empty file"
    (d / "notes.mp3").write_text("these are my meeting notes, not audio\n" * 20)
    made["notes.mp3"] = "not a media file"
    _ff("-i", good, "-t", "5", "-c:a", "aac", d / "full.m4a")
    (d / "cut.m4a").write_bytes((d / "full.m4a").read_bytes()[:20000])
    made["cut.m4a"] = "truncated"
    _ff("-f", "lavfi", "-i", "testsrc2=d=1:s=160x120", "-c:v", "libx264", d / "silent-film.mp4")
    made["silent-film.mp4"] = "no audio stream"
    _wav_header(d / "odd-codec.wav", 0x7777, 1000, b"\0" * 1000)
    made["odd-codec.wav"] = "unsupported audio codec"
    _wav_header(d / "zero.wav", 1, 0)
    made["zero.wav"] = "zero duration"
    _ff("-f", "lavfi", "-i", "sine=d=2", "-output_ts_offset", "50000", "-c:a", "flac", d / "marathon.mkv")
    made["marathon.mkv"] = "too long"
    made["missing.wav"] = "file not found"
    return made


def test_bad_inputs_get_one_line_reasons(tmp_path, quiet_guest):
    for name, why in _bad_inputs(tmp_path, quiet_guest[0]).items():
        before = (tmp_path / name).read_bytes() if (tmp_path / name).exists() else None
        with pytest.raises(MediaError) as e:
            probe(tmp_path / name)
        assert why in e.value.reason, (name, e.value.reason)
        assert "\n" not in str(e.value) and str(e.value).startswith(f"{name}: ")
        assert e.value.path.name == name
        if before is not None:
            assert (tmp_path / name).read_bytes() == before, f"{name} was modified"


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "readme.txt").write_text("no tracks here")
    with pytest.raises(MediaError, match="no audio tracks"):
        probe(tmp_path)
