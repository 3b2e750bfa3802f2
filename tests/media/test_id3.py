"""write_id3(): ID3v2.4 frames read back with mutagen."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest
from mutagen.id3 import ID3
from PIL import Image

from media import Id3Tags, MediaError, write_id3


@dataclass
class _Ch:
    start: float
    end: float
    title: str


@pytest.fixture
def mp3(tmp_path):
    p = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=6", "-c:a", "libmp3lame", "-b:a", "96k", p],
                   check=True)
    return p


def test_tags_cover_and_chapters_read_back(mp3, tmp_path):
    cover = tmp_path / "cover.jpg"
    Image.new("RGB", (64, 64), (200, 80, 40)).save(cover)
    chapters = [_Ch(3.0, 6.0, "Supervision"), _Ch(0.0, 3.0, "Welcome")]
    write_id3(mp3, Id3Tags(title="Finding your people", show="Therapists Talk", author="The Collective",
                           date="2025-03-01", episode=7, cover=cover), chapters)
    tags = ID3(mp3)
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == "Finding your people" and str(tags["TALB"]) == "Therapists Talk"
    assert str(tags["TPE1"]) == "The Collective" and str(tags["TRCK"]) == "7"
    assert str(tags["TDRC"]) == "2025-03-01"
    apic = tags.getall("APIC")[0]
    assert apic.mime == "image/jpeg" and apic.type == 3 and apic.data == cover.read_bytes()
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        (0, 3000, "Welcome"), (3000, 6000, "Supervision")]
    toc = tags.getall("CTOC")[0]
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]


def test_no_chapters_no_toc_and_retag_replaces(mp3):
    write_id3(mp3, Id3Tags(title="One"), [_Ch(0, 1, "x")])
    write_id3(mp3, Id3Tags(title="Two"))
    tags = ID3(mp3)
    assert str(tags["TIT2"]) == "Two" and not tags.getall("CHAP") and not tags.getall("CTOC")


def test_bad_cover_is_a_clear_error(mp3, tmp_path):
    gif = tmp_path / "cover.gif"
    Image.new("RGB", (8, 8)).save(gif)
    with pytest.raises(MediaError, match="JPEG or PNG"):
        write_id3(mp3, Id3Tags(title="x", cover=gif))
