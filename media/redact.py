"""Redaction: bleep or silence spans of a published encoding (MP3, WAV, M4A, Opus/Ogg, FLAC, MP4 video).

One streamed ffmpeg pass decodes the audio, replaces every span (plus a margin) sample-exactly with a
1 kHz tone or with silence, and encodes it again with the source's codec, bitrate, sample rate and
channels. A video stream is copied untouched (``-c:v copy``). Nothing is held in memory, so a 2-hour
episode costs what one encode costs. See docs/mastering.md, "Redaction: bleep or silence".
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ._ffmpeg import ffprobe_json, run_ffmpeg
from .errors import MediaError
from .probe import probe

__all__ = ["RedactOptions", "RedactResult", "redact_audio", "merge_spans"]

_FADE = 0.005        # seconds of fade, outside each span, between the programme and the bleep or silence
_BLEEP_HZ = 1000.0
_BLEEP_AMP = 0.1     # peak -20 dBFS (RMS -23 dBFS): clearly a bleep, never startling
_FRAME = 1024        # samples per frame inside the filter (bounds how far before a span a frame can start)
_PER_FILTER = 8      # spans per aeval instance: each sample evaluates at most this many gate terms
_MP3_RATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
# codec ffprobe reports -> ffmpeg encoder; lossy ones get the source's bitrate
_ENCODERS = {"mp3": "libmp3lame", "aac": "aac", "opus": "libopus", "vorbis": "libvorbis", "flac": "flac",
             "alac": "alac"}
_LOSSY = {"mp3", "aac", "opus", "vorbis"}
# container by suffix -> (default codec when the source's does not fit, codecs it can hold)
_CONTAINERS = {".mp3": ("mp3", {"mp3"}), ".wav": ("pcm_s16le", {"pcm"}), ".m4a": ("aac", {"aac", "alac"}),
               ".aac": ("aac", {"aac"}), ".mp4": ("aac", {"aac", "mp3", "opus", "alac"}),
               ".m4v": ("aac", {"aac"}), ".mov": ("aac", {"aac", "pcm", "alac"}),
               ".opus": ("opus", {"opus"}), ".ogg": ("opus", {"opus", "vorbis", "flac"}),
               ".oga": ("opus", {"opus", "vorbis", "flac"}), ".flac": ("flac", {"flac"})}
_VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov"}
_FASTSTART = {".mp4", ".m4a", ".m4v", ".mov"}


@dataclass
class RedactOptions:
    """How to redact. ``mode``: ``"bleep"`` (a 1 kHz tone, peak -20 dBFS, 5 ms fades) or ``"silence"``;
    ``margin``: seconds added before and after each span."""

    mode: str = "bleep"
    margin: float = 0.1


@dataclass
class RedactResult:
    """What :func:`redact_audio` did; records its options. ``spans`` are the spans actually replaced:
    margins added, overlapping or adjacent ones merged, clipped to ``[0, duration]``."""

    options: RedactOptions
    spans: list[tuple[float, float]]
    output: Path
    source: Path
    duration: float = 0.0
    """Seconds of the written file (ffprobe)."""
    codec: str = ""
    """Audio encoder used (``copy`` when there was nothing to redact)."""
    bitrate_kbps: int | None = None
    video_copied: bool = False
    seconds: float = 0.0
    """Wall time taken."""

    def to_dict(self) -> dict:
        """Plain JSON-able dict (paths as strings)."""
        d = asdict(self)
        d.update(output=str(self.output), source=str(self.source), spans=[list(s) for s in self.spans])
        return d


def merge_spans(spans, margin: float, duration: float, join: float = 2 * _FADE) -> list[tuple[float, float]]:
    """Spans widened by MARGIN, clipped to ``[0, DURATION]``, sorted, and merged when they overlap or are
    closer than JOIN seconds (their fades would meet). Raises ValueError for a bad span.

    >>> merge_spans([(5.0, 6.0), (1.0, 2.0), (2.1, 2.5), (9.5, 12.0)], 0.1, 10.0)
    [(0.9, 2.6), (4.9, 6.1), (9.4, 10.0)]
    >>> merge_spans([(11.0, 12.0)], 0.1, 10.0)
    []
    >>> merge_spans([(2.0, 1.0)], 0.1, 10.0)
    Traceback (most recent call last):
    ...
    ValueError: span 2-1 s ends before it starts
    """
    out: list[list[float]] = []
    for span in spans:
        try:
            a, b = (float(x) for x in span)
        except (TypeError, ValueError):
            raise ValueError(f"span {span!r} is not a (start, end) pair of seconds") from None
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"span {a:g}-{b:g} s is not finite")
        if a < 0 or b < 0:
            raise ValueError(f"span {a:g}-{b:g} s is negative")
        if b < a:
            raise ValueError(f"span {a:g}-{b:g} s ends before it starts")
        a, b = max(0.0, a - margin), min(duration, b + margin)
        if b > a:
            out.append([a, b])
    out.sort()
    merged: list[list[float]] = []
    for a, b in out:
        if merged and a <= merged[-1][1] + join:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(round(a, 4), round(b, 4)) for a, b in merged]


def redact_audio(src, dst, spans, options: RedactOptions | None = None) -> RedactResult:
    """Write DST: SRC with every span bleeped or silenced; return a :class:`RedactResult`.

    The container comes from DST's suffix (normally SRC's): ``.mp3``, ``.wav``, ``.m4a``, ``.aac``,
    ``.opus``, ``.ogg``, ``.flac``, ``.mp4``/``.m4v``/``.mov`` (the video stream copied untouched). The audio
    is encoded with SRC's codec, bitrate, sample rate and channels; tags, chapters, cover art and any
    subtitle streams are dropped (they may hold the removed words; the pipeline writes tags afterwards).
    With no spans the file is copied. DST is written beside itself and renamed into place atomically;
    SRC is never overwritten. Raises :class:`MediaError` (one line) for bad spans or options, DST == SRC,
    an unreadable SRC or a failed encode.
    """
    o = options or RedactOptions()
    clock = time.perf_counter()
    src, dst = Path(src), Path(dst)
    if o.mode not in ("bleep", "silence"):
        raise MediaError(src, f"unknown redaction mode {o.mode!r}; choose bleep or silence")
    if not (isinstance(o.margin, (int, float)) and math.isfinite(o.margin) and o.margin >= 0):
        raise MediaError(src, f"redaction margin must be zero or more seconds, not {o.margin!r}")
    if _same_file(src, dst):
        raise MediaError(dst, "redaction would overwrite its source; write to another path")
    pr = probe(src)
    if pr.tracks:
        raise MediaError(src, "redaction takes one file, not a folder of tracks")
    try:
        applied = merge_spans(spans, float(o.margin), pr.duration)
    except ValueError as e:
        raise MediaError(src, str(e)) from None
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.stem}.redacting-", suffix=dst.suffix.lower(), dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if not spans:
            shutil.copyfile(src, tmp)
            codec, kbps, video = "copy", None, pr.has_video
        else:
            codec, kbps, video = _encode(src, tmp, dst.suffix.lower(), applied, o, pr.duration)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    duration = _float(ffprobe_json(dst)[1].get("format", {}).get("duration")) or 0.0
    return RedactResult(options=o, spans=applied, output=dst, source=src, duration=round(duration, 3),
                        codec=codec, bitrate_kbps=kbps, video_copied=video,
                        seconds=round(time.perf_counter() - clock, 3))


def _encode(src: Path, out: Path, suffix: str, spans, o: RedactOptions, duration: float):
    """One ffmpeg pass: decode, gate, encode; video copied. Returns (encoder, kbps, video copied)."""
    if suffix not in _CONTAINERS:
        raise MediaError(out.with_suffix(suffix), f"cannot write {suffix or 'files without a suffix'}; "
                                                  f"choose one of {' '.join(sorted(_CONTAINERS))}")
    _, data, _ = ffprobe_json(src)
    streams = data.get("streams", [])
    audio = next(s for s in streams if s.get("codec_type") == "audio")
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    copy_video = video is not None and suffix in _VIDEO_SUFFIXES
    codec, encoder = _choose_codec(audio.get("codec_name", ""), suffix)
    # filter time starts at the file's start; spans count from the first audio sample
    t0 = max(0.0, (_float(audio.get("start_time")) or 0.0) - (_float(data["format"].get("start_time")) or 0.0))
    graph = _graph(spans, o.mode, t0)
    args = ["-i", str(src), "-map_metadata", "-1", "-map_chapters", "-1"]
    if copy_video:
        args += ["-map", f"0:{video['index']}", "-c:v", "copy"]
    args += ["-map", f"0:{audio['index']}", "-af", graph, "-c:a", encoder,
             "-ar", str(audio.get("sample_rate")), "-ac", str(audio.get("channels"))]
    kbps = None
    if codec in _LOSSY:
        kbps = _bitrate(audio, data, video, codec)
        args += ["-b:a", f"{kbps}k"]
    if codec in ("flac", "alac") or codec.startswith("pcm_"):
        fmt = audio.get("sample_fmt", "")
        if fmt and codec != "alac" and not codec.startswith("pcm_"):
            args += ["-sample_fmt", fmt.rstrip("p")]
    if suffix == ".wav":
        args += ["-rf64", "auto"]
    if suffix in _FASTSTART:
        args += ["-movflags", "+faststart"]
    if codec == "mp3":
        args += ["-write_xing", "1"]
    run_ffmpeg([*args, str(out)], src, "redacting")
    return encoder, kbps, copy_video


def _choose_codec(src_codec: str, suffix: str) -> tuple[str, str]:
    """(codec, encoder): the source's when the container holds it, else the container's default.

    >>> _choose_codec("pcm_s24le", ".wav")
    ('pcm_s24le', 'pcm_s24le')
    >>> _choose_codec("aac", ".mp3")
    ('mp3', 'libmp3lame')
    """
    default, holds = _CONTAINERS[suffix]
    family = "pcm" if src_codec.startswith("pcm_") else src_codec
    codec = src_codec if family in holds else default
    return codec, codec if codec.startswith("pcm_") else _ENCODERS[codec]


def _bitrate(audio: dict, data: dict, video: dict | None, codec: str) -> int:
    """The source audio's bitrate in kbps (MP3: the nearest legal rate); a default when nothing says."""
    bps = _float(audio.get("bit_rate"))
    if not bps and not video:
        bps = _float(data.get("format", {}).get("bit_rate"))
    kbps = round(bps / 1000) if bps else {"mp3": 128, "aac": 160, "opus": 64, "vorbis": 128}[codec]
    if codec == "mp3":
        kbps = min(_MP3_RATES, key=lambda r: abs(r - kbps))
    return int(kbps)


def _graph(spans, mode: str, t0: float) -> str:
    """The audio filter: per group of spans one ``aeval`` that runs only on frames near them.

    >>> _graph([(1.0, 2.0)], "silence", 0.0)  # doctest: +NORMALIZE_WHITESPACE
    "asetnsamples=n=1024:p=0,aeval=exprs='val(ch)*(1-(clip((t-0.995)/0.005,0,1)*clip((2.005-t)/0.005,0,1)))'\
:c=same:enable='between(t,0.795,2.005)'"
    """
    parts = [f"asetnsamples=n={_FRAME}:p=0"]
    window = 0.2  # >= one frame of _FRAME samples at 8 kHz and up: enable is judged at a frame's start
    for i in range(0, len(spans), _PER_FILTER):
        group = [(a + t0, b + t0) for a, b in spans[i:i + _PER_FILTER]]
        gate = "+".join(f"clip((t-{a - _FADE:.6g})/{_FADE},0,1)*clip(({b + _FADE:.6g}-t)/{_FADE},0,1)"
                        for a, b in group)
        if mode == "bleep":
            expr = f"st(0,{gate});val(ch)*(1-ld(0))+{_BLEEP_AMP}*sin(2*PI*{_BLEEP_HZ:g}*t)*ld(0)"
        else:
            expr = f"val(ch)*(1-({gate}))"
        enable = "+".join(f"between(t,{max(0.0, a - _FADE - window):.6g},{b + _FADE:.6g})" for a, b in group)
        parts.append(f"aeval=exprs='{expr}':c=same:enable='{enable}'")
    return ",".join(parts)


def _same_file(src: Path, dst: Path) -> bool:
    if src.resolve() == dst.resolve():
        return True
    try:
        return dst.exists() and os.path.samefile(src, dst)
    except OSError:
        return False


def _float(x) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None
