"""Is a recording in the drop folder whole? Checks that see a copy that stalled or is still being written.

Three signs, cheapest first: a local process holds the file open for writing (``/proc``); a WAV's data
chunk is shorter than its header says; a container holds fewer seconds of packets than it declares
(ffprobe's duration against ``ffmpeg -c copy -f null``, which reads every packet without decoding:
seven times faster than decoding, and a truncated copy ends early either way). An MP4/M4A whose
``moov`` atom has not arrived does not probe at all. See docs/watching.md.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

__all__ = ["open_for_writing", "shortfall"]

_SLACK = (0.5, 0.002)  # a container may end this short of its declared duration (s, fraction) and be whole


def open_for_writing(files: Iterable[Path]) -> dict[tuple[int, int], str]:
    """Which of ``files`` a local process holds open for writing: (dev, inode) -> "pid 12 (cp)".

    Reads /proc/*/fd and the access mode in /proc/*/fdinfo; processes we may not inspect are skipped.
    """
    wanted = set()
    for f in files:
        try:
            st = f.stat()
            wanted.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    found: dict[tuple[int, int], str] = {}
    if not wanted or not os.path.isdir("/proc"):
        return found
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"/proc/{pid}/fd/{fd}")
                if (st.st_dev, st.st_ino) not in wanted:
                    continue
                flags = re.search(r"^flags:\s*([0-7]+)", Path(f"/proc/{pid}/fdinfo/{fd}").read_text(), re.M)
                if flags and int(flags.group(1), 8) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                    found[(st.st_dev, st.st_ino)] = f"pid {pid} ({comm})"
            except (OSError, ValueError):
                continue
    return found


def _wav_shortfall(path: Path) -> str:
    """For a RIFF/WAVE file: why its data chunk is shorter than its header says ("" when whole or not a WAV)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return ""
        size, byte_rate = path.stat().st_size, 0
        while chunk := f.read(8):
            if len(chunk) < 8:
                return ""
            cid, n = chunk[:4], int.from_bytes(chunk[4:], "little")
            if cid == b"fmt ":
                fmt = f.read(n + n % 2)
                byte_rate = int.from_bytes(fmt[8:12], "little")
                continue
            if cid == b"data":
                have = size - f.tell()
                if n in (0, 0xFFFFFFFF) or have >= n or not byte_rate:  # 0/-1: a streaming writer's placeholder
                    return ""
                return _short(have / byte_rate, n / byte_rate)
            f.seek(n + n % 2, os.SEEK_CUR)
    return ""


def _short(have: float, declared: float) -> str:
    return f"copy never completed: it holds {have:.1f} s of the {declared:.1f} s its header declares"


def _declares_length(path: Path, fmt: dict) -> bool:
    """MP3 durations are estimates unless a Xing/Info/VBRI header counts the frames."""
    if "mp3" not in fmt.get("format_name", ""):
        return True
    with open(path, "rb") as f:
        head = f.read(10)
        skip = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10])) + 10 if head[:3] == b"ID3" else 0
        f.seek(skip)
        first = f.read(4096)
    return any(tag in first for tag in (b"Xing", b"Info", b"VBRI"))


def shortfall(path: Path) -> str:
    """Why one media file is not whole yet ("" when whole): empty, unreadable, or shorter than declared."""
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    if reason := _wav_shortfall(path):
        return reason
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration:stream=codec_type",
                            "-of", "json", str(path)], capture_output=True, text=True, timeout=120)
    if probe.returncode:
        line = next((ln for ln in probe.stderr.splitlines() if ln.strip()), "unreadable")
        return "ffmpeg cannot read it: " + re.sub(r"^\[.*?\]\s*", "", line.replace(str(path) + ": ", ""))[:200]
    info = json.loads(probe.stdout or "{}")
    fmt, kinds = info.get("format", {}), {s.get("codec_type") for s in info.get("streams", [])}
    declared = float(fmt.get("duration") or 0)
    if "audio" not in kinds or not declared or not _declares_length(path, fmt):
        return ""  # nothing to compare with: stability and the writer check are all we have
    read = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0", "-c", "copy",
                           "-f", "null", "-", "-progress", "pipe:1", "-nostats"],
                          capture_output=True, text=True, timeout=600)
    times = re.findall(r"^out_time_us=(\d+)", read.stdout, re.M)
    have = int(times[-1]) / 1e6 if times else 0.0
    return _short(have, declared) if have < declared - _SLACK[0] - _SLACK[1] * declared else ""
