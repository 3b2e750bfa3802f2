"""Independent measurements for the media tests: decode with ffmpeg, meter with pyloudnorm/scipy."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
from scipy.signal import resample_poly

RATE = 44100


def decode(path, channels: int = 1, rate: int = RATE) -> np.ndarray:
    """Decoded samples, shape (n, channels), float32."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", str(channels), "-ar", str(rate),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, channels)


def lufs(x: np.ndarray, rate: int = RATE) -> float:
    return float(pyln.Meter(rate).integrated_loudness(x if x.shape[1] > 1 else x[:, 0]))


def true_peak_db(x: np.ndarray) -> float:
    """4x oversampled peak (BS.1770 annex 2 style), dBTP."""
    up = resample_poly(x, 4, 1, axis=0)
    return float(20 * np.log10(np.max(np.abs(up)) + 1e-12))


def speaker_lufs(x: np.ndarray, turns, to_out, rate: int = RATE) -> dict[str, float]:
    """Integrated loudness of each speaker's turns (truth times mapped to output by TO_OUT)."""
    segs: dict[str, list[np.ndarray]] = {}
    for t in turns:
        if t.get("kind") != "speech":
            continue
        a, b = to_out(t["start"]), to_out(t["end"])
        assert a is not None and b is not None, f"speech at {t['start']}-{t['end']} s was cut"
        segs.setdefault(t["speaker"], []).append(x[int(a * rate):int(b * rate)])
    return {k: lufs(np.concatenate(v), rate) for k, v in segs.items()}


def ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, check=True).stdout
    return json.loads(out)


def atom_order(path: Path) -> list[str]:
    """Top-level MP4 atoms in file order."""
    data, names, pos = Path(path).read_bytes(), [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        names.append(data[pos + 4:pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        if size < 8:
            break
        pos += size
    return names
