"""The check after a redaction reads what podcast apps show: every ID3 tag in the bucket, whole."""
from __future__ import annotations

import subprocess
from collections import Counter

from mutagen.id3 import APIC, ID3, TIT2

from chorus.review import _id3_bytes, _id3_text, hold_reason


def test_an_mp3_tag_is_read_whole_however_large_its_cover_art(bucket, tmp_path):
    mp3 = tmp_path / "episode.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=2", "-b:a", "64k", str(mp3)],
                   check=True)
    tags = ID3()
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=b"\xff" * 3_000_000))  # 3 MB art
    tags.add(TIT2(encoding=3, text="Margaret calls between sessions"))  # after the art in the tag
    tags.save(mp3)
    bucket.put_file("show/ep/abc.mp3", mp3)
    assert "Margaret calls between sessions" in _id3_text(_id3_bytes(bucket, "show/ep/abc.mp3", None))
    bucket.put_bytes("show/ep/plain.mp3", mp3.read_bytes()[-4096:], ctype="audio/mpeg")  # no tag at all
    assert _id3_bytes(bucket, "show/ep/plain.mp3", None) == b""


def test_a_held_episode_says_why_in_kinds_never_words():
    reason = hold_reason(Counter({"person": 1, "phone": 1}), "flagged", decided=2)
    assert reason == ("held for review: personal data flagged (1 person, 1 phone; 2 redacted or dismissed); "
                      "an organiser approves it in the editor")
    assert hold_reason(Counter(), "flagged") is None and hold_reason(Counter({"email": 3}), "after") is None
