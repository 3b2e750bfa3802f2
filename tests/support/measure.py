"""Independent measurements for tests and benchmarks: decode with ffmpeg, meter with pyloudnorm."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

__all__ = ["decode", "loudness", "true_peak_dbtp", "wer"]


def decode(path: Path, rate: int = 48000) -> np.ndarray:
    """Decode any media file to float32 samples, shape (n, channels)."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=channels",
                            "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True)
    channels = int(probe.stdout.strip().split(",")[0])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-acodec", "pcm_f32le",
                          "-ar", str(rate), "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, channels)


def loudness(path: Path, rate: int = 48000) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770-4) measured by pyloudnorm, not by ffmpeg."""
    import pyloudnorm

    data = decode(path, rate)
    return float(pyloudnorm.Meter(rate).integrated_loudness(data if data.shape[1] > 1 else data[:, 0]))


def true_peak_dbtp(path: Path, rate: int = 48000) -> float:
    """True peak (dBTP): the sample peak after 4x oversampling (BS.1770 Annex 2)."""
    from scipy.signal import resample_poly

    data = decode(path, rate)
    peak = max(float(np.max(np.abs(resample_poly(data[:, c], 4, 1)))) for c in range(data.shape[1]))
    return 20 * np.log10(max(peak, 1e-12))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing and removing punctuation (jiwer)."""
    import jiwer

    norm = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                          jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    return float(jiwer.wer(reference, hypothesis, reference_transform=norm, hypothesis_transform=norm))


def turn_at(t: float, turns: list[dict]) -> dict:
    """The ground-truth turn that time ``t`` falls in, else the nearest one (synth truth turns)."""
    return min(turns, key=lambda x: 0 if x["start"] <= t <= x["end"] else min(abs(t - x["start"]), abs(t - x["end"])))
