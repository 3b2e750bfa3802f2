"""Multitrack naming, jingles (pydub) and web video/poster (private helpers of master())."""
from __future__ import annotations

import json
from pathlib import Path

from pydub import AudioSegment

from ._ffmpeg import ebur128_summary, run_ffmpeg
from .errors import MediaError
from .options import MasterOptions

SIDECAR_NAMES = ("speakers.json", "chorus-tracks.json")


def track_names(pr, o: MasterOptions) -> list[tuple[str, Path, float]]:
    """(speaker, file, offset seconds) for each track of a multitrack folder.

    The sidecar (``o.sidecar`` or ``speakers.json`` in the folder) maps file names to a speaker
    name, or to ``{"speaker": NAME, "offset": SECONDS}``. Without one, the speaker is the file's
    stem (for ``x.Host.wav``: ``Host``).
    """
    side = o.sidecar or next((pr.path / n for n in SIDECAR_NAMES if (pr.path / n).is_file()), None)
    mapping: dict = {}
    if side:
        try:
            mapping = json.loads(Path(side).read_text())
        except (OSError, ValueError) as e:
            raise MediaError(side, f"unreadable speaker sidecar ({e.__class__.__name__})") from None
        if not isinstance(mapping, dict):
            raise MediaError(side, "speaker sidecar must be a JSON object of file name -> speaker")
        mapping = mapping.get("tracks", mapping)
    out = []
    for f in pr.tracks:
        entry = mapping.get(f.name, mapping.get(f.stem))
        if isinstance(entry, dict):
            name, offset = entry.get("speaker") or f.stem, float(entry.get("offset", 0.0))
        else:
            name, offset = entry or f.stem.rsplit(".", 1)[-1], 0.0
        out.append((str(name), f, max(0.0, offset)))
    return out


def _loudness(path: Path) -> float:
    log = run_ffmpeg(["-i", str(path), "-af", "ebur128=framelog=verbose", "-f", "null", "-"], path, "measuring")
    return ebur128_summary(log, "Parsed_ebur128_0").get("I", -70.0)


def prepare_jingles(o: MasterOptions, target: float, tmp: Path) -> dict:
    """Intro/outro as stage-format WAVs matched to the target loudness (pydub; jingles are short)."""
    out: dict = {}
    for key in ("intro", "outro"):
        path = getattr(o, key)
        if not path:
            continue
        path = Path(path)
        try:
            seg = AudioSegment.from_file(path)
        except Exception as e:  # pydub raises bare exceptions from ffmpeg
            raise MediaError(path, f"unreadable {key} jingle ({e.__class__.__name__})") from None
        seg = seg.set_frame_rate(o.sample_rate).set_channels(o.channels).set_sample_width(2)
        if len(seg) < 200:
            raise MediaError(path, f"{key} jingle is shorter than 0.2 s")
        raw = tmp / f"{key}.raw.wav"
        seg.export(raw, format="wav")
        loud = _loudness(raw)
        gain = target - loud if loud > -70 else 0.0
        ceiling = o.true_peak - 1.5
        gain = min(gain, ceiling - seg.max_dBFS)  # a jingle is never limited: rather a little quieter
        seg = seg.apply_gain(gain)
        fade = min(o.crossfade, len(seg) / 2000)
        dest = tmp / f"{key}.wav"
        seg.export(dest, format="wav")
        out[key], out[key + "_fade"] = dest, max(0.01, fade)
        if key == "intro":
            out["intro_offset"] = len(seg) / 1000 - out["intro_fade"]
    return out


def _scale(max_h: int) -> str:
    # at most max_h lines on the short side, keep aspect, even dimensions for yuv420p
    return (f"scale='if(gte(iw,ih),-2,min({max_h},iw))':'if(gte(iw,ih),min({max_h},ih),-2)'"
            f":force_divisible_by=2")


def web_video(src: Path, audio: Path, out: Path, poster: Path, pr, o: MasterOptions):
    """H.264 yuv420p (<= 1080p, aspect kept) + the mastered AAC, faststart; and a poster JPEG."""
    run_ffmpeg(["-i", str(src), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-vf",
                _scale(o.video_max_height) + ",format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "23", "-c:a", "copy", "-movflags", "+faststart", "-shortest", str(out)],
               src, "video encoding")
    at = min(5.0, pr.duration / 3)
    run_ffmpeg(["-ss", f"{at:.2f}", "-i", str(src), "-frames:v", "1", "-vf", _scale(o.video_max_height),
                "-q:v", "3", str(poster)], src, "poster frame")
    return out, poster
