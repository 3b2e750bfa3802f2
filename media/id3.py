"""ID3v2.4 tags, cover art and chapters for the MP3 (mutagen)."""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from mutagen.id3 import APIC, CHAP, CTOC, ID3, TALB, TDRC, TIT2, TPE1, TRCK, TCON, CTOCFlags, ID3NoHeaderError
from mutagen.id3 import error as ID3Error

from .errors import MediaError

__all__ = ["Id3Tags", "write_id3"]


@dataclass
class Id3Tags:
    """Episode tags: title, show (album), author (artist), ISO date, episode number, cover image."""

    title: str
    show: str = ""
    author: str = ""
    date: str = ""            # ISO 8601, e.g. "2025-03-01"
    episode: int | None = None
    cover: Path | None = None  # JPEG or PNG


def write_id3(mp3, tags: Id3Tags, chapters: Sequence = ()) -> Path:
    """Write ID3v2.4 tags into MP3 (in place; only our own output files are passed here).

    CHAP frames (with a TIT2 title each) and one ordered top-level CTOC are written when CHAPTERS
    (objects with ``.start``, ``.end`` in seconds and ``.title``) are given. Returns MP3's path.
    """
    mp3 = Path(mp3)
    if not mp3.is_file():
        raise MediaError(mp3, "MP3 to tag does not exist")
    try:
        id3 = ID3(mp3)
    except ID3NoHeaderError:
        id3 = ID3()
    except ID3Error as e:
        raise MediaError(mp3, f"unreadable ID3 tag ({e})") from None
    id3.delete(mp3) if len(id3) else None
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    if tags.show:
        id3.add(TALB(encoding=3, text=tags.show))
    if tags.author:
        id3.add(TPE1(encoding=3, text=tags.author))
    if tags.date:
        id3.add(TDRC(encoding=3, text=tags.date))
    if tags.episode is not None:
        id3.add(TRCK(encoding=3, text=str(tags.episode)))
    id3.add(TCON(encoding=3, text="Podcast"))
    if tags.cover:
        cover = Path(tags.cover)
        if not cover.is_file():
            raise MediaError(cover, "cover image not found")
        mime = mimetypes.guess_type(cover.name)[0] or "image/jpeg"
        if mime not in ("image/jpeg", "image/png"):
            raise MediaError(cover, f"cover art must be JPEG or PNG, not {mime}")
        id3.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover.read_bytes()))
    ids = []
    for i, ch in enumerate(sorted(chapters, key=lambda c: c.start)):
        eid = f"chp{i}"
        ids.append(eid)
        id3.add(CHAP(element_id=eid, start_time=int(round(ch.start * 1000)), end_time=int(round(ch.end * 1000)),
                     sub_frames=[TIT2(encoding=3, text=str(ch.title))]))
    if ids:
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                     sub_frames=[TIT2(encoding=3, text="Chapters")]))
    id3.save(mp3, v2_version=4)
    return mp3
