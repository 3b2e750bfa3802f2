"""What a recording is: ffprobe, plus folders of per-speaker tracks (multitrack)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ._ffmpeg import ffprobe_json
from .errors import MediaError

__all__ = ["ProbeResult", "probe", "is_multitrack", "MAX_DURATION"]

MAX_DURATION = 12 * 3600.0  # longer recordings are refused (split them first)
AUDIO_EXTS = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".oga", ".wma", ".aif", ".aiff",
              ".mp4", ".mov", ".mkv", ".webm", ".caf", ".amr", ".3gp"}
_IMAGE_CODECS = {"mjpeg", "png", "bmp", "gif", "webp"}  # cover art, not video


@dataclass
class ProbeResult:
    """What ffprobe found (for a multitrack folder: the longest track, and ``tracks``)."""

    path: Path
    duration: float
    format_name: str
    audio_codec: str
    sample_rate: int
    channels: int
    has_video: bool
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    tracks: list[Path] = field(default_factory=list)  # multitrack folder: the per-speaker files, sorted


def is_multitrack(path) -> bool:
    """True when PATH is a folder holding per-speaker tracks (see :func:`probe`)."""
    return Path(path).is_dir()


def _track_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in AUDIO_EXTS and not p.name.startswith("."))


def _reason_from_ffprobe(err: str) -> str:
    low = err.lower()
    if "moov atom not found" in low or "end of file" in low or "truncat" in low:
        return "truncated or corrupt container (the file ends early)"
    if any(k in low for k in ("invalid data found", "could not find codec parameters", "invalid argument")):
        return "not a media file ffmpeg can read"
    if "permission denied" in low:
        return "permission denied"
    line = next((ln for ln in reversed(err.splitlines()) if ln.strip()), "unreadable media")
    return "not a media file ffmpeg can read (" + re.sub(r"^.*?:\s*", "", line.strip())[:160] + ")"


def _probe_file(path: Path) -> ProbeResult:
    if not path.exists():
        raise MediaError(path, "file not found")
    if not os.access(path, os.R_OK):
        raise MediaError(path, "permission denied")
    if path.stat().st_size == 0:
        raise MediaError(path, "empty file (0 bytes)")
    rc, data, err = ffprobe_json(path)
    if rc != 0 or not data.get("format"):
        raise MediaError(path, _reason_from_ffprobe(err))
    streams = data.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [s for s in streams if s.get("codec_type") == "video"
             and s.get("codec_name") not in _IMAGE_CODECS and not s.get("disposition", {}).get("attached_pic")]
    if not audio:
        raise MediaError(path, "no audio stream (nothing to make an episode from)")
    a = audio[0]
    codec = a.get("codec_name") or "unknown"
    if codec in ("unknown", "none") or not a.get("sample_rate"):
        tag = a.get("codec_tag_string") or a.get("codec_tag") or "?"
        raise MediaError(path, f"unsupported audio codec ({tag}); convert it to WAV, FLAC or MP3 first")
    fmt = data["format"]
    duration = _float(fmt.get("duration")) or _float(a.get("duration")) or 0.0
    if duration <= 0.0:
        raise MediaError(path, "zero duration (no audio samples)")
    if duration > MAX_DURATION:
        raise MediaError(path, f"too long ({duration / 3600:.1f} h; the limit is {MAX_DURATION / 3600:.0f} h): "
                               "split the recording into parts")
    v = video[0] if video else None
    return ProbeResult(path=path, duration=duration, format_name=fmt.get("format_name", ""), audio_codec=codec,
                       sample_rate=int(a.get("sample_rate") or 0), channels=int(a.get("channels") or 0),
                       has_video=v is not None, video_codec=v.get("codec_name") if v else None,
                       width=int(v["width"]) if v and v.get("width") else None,
                       height=int(v["height"]) if v and v.get("height") else None)


def _float(x) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def probe(path) -> ProbeResult:
    """Probe a recording with ffprobe; raise :class:`MediaError` with a one-line reason when it is unusable.

    PATH may be a file, or a folder of per-speaker tracks (a multitrack recording, e.g. from Zoom,
    Riverside or Zencastr). For a folder every track is probed; the result describes the longest
    track and lists all of them in ``tracks``. Rejected: missing or empty files, non-media, truncated
    containers, no audio stream, unsupported codecs, zero duration, more than 12 hours.
    Silence-only recordings are rejected by :func:`media.master` (it has to decode them to know).
    """
    path = Path(path)
    if path.is_dir():
        files = _track_files(path)
        if not files:
            raise MediaError(path, "folder holds no audio tracks")
        results = [_probe_file(f) for f in files]
        if any(r.has_video for r in results):
            raise MediaError(path, "multitrack folders take audio tracks only")
        longest = max(results, key=lambda r: r.duration)
        return ProbeResult(path=path, duration=longest.duration, format_name="multitrack",
                           audio_codec=",".join(sorted({r.audio_codec for r in results})),
                           sample_rate=max(r.sample_rate for r in results), channels=len(results),
                           has_video=False, tracks=files)
    return _probe_file(path)
