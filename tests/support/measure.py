"""Independent measurements for tests and benchmarks: decode with ffmpeg, meter with pyloudnorm."""
from __future__ import annotations

import bisect
import subprocess
from pathlib import Path

import numpy as np

__all__ = ["decode", "loudness", "true_peak_dbtp", "wer", "turn_at", "speaker_score", "turn_start_errors"]


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


def speaker_score(words, truth: dict) -> tuple[int, int, float]:
    """(true speakers, speakers found, share of words on the right speaker after the best one-to-one mapping
    of labels) for timed ``words`` against a synth truth; each word's true speaker is the turn its middle is in.
    The mapping is scipy's ``linear_sum_assignment``, so two labels on one voice count only once.

    >>> from transcripts import Word
    >>> truth = {"turns": [{"kind": "speech", "speaker": "Host", "start": 0, "end": 2},
    ...                    {"kind": "speech", "speaker": "Guest", "start": 2, "end": 4}]}
    >>> speaker_score([Word("a", 0, 1, 1, "S1"), Word("b", 1, 2, 1, "S1"), Word("c", 2, 3, 1, "S1"),
    ...                Word("d", 3, 4, 1, "S2")], truth)
    (2, 2, 0.75)
    """
    from scipy.optimize import linear_sum_assignment

    turns = [x for x in truth["turns"] if x["kind"] == "speech"]
    if not words:
        return len({x["speaker"] for x in turns}), 0, 0.0
    ref = [turn_at((w.start + w.end) / 2, turns)["speaker"] for w in words]
    hyp = [w.speaker for w in words]
    rs, hs = sorted(set(ref)), sorted(set(hyp), key=str)
    m = np.zeros((len(rs), len(hs)))
    for r, h in zip(ref, hyp):
        m[rs.index(r), hs.index(h)] += 1
    i, j = linear_sum_assignment(-m)
    return len(rs), len(hs), float(m[i, j].sum() / len(words))


def turn_start_errors(starts: list[float], truth: dict) -> list[float]:
    """For each true speech turn, the distance (s) from its start to the nearest of ``starts`` (the caption
    cue starts, as a reader sees them); infinite when there are none.

    >>> turn_start_errors([0.1, 5.0], {"turns": [{"kind": "speech", "start": 0.0},
    ...                                          {"kind": "pause", "start": 2.0}, {"kind": "speech", "start": 4.5}]})
    [0.1, 0.5]
    """
    ordered = sorted(starts)
    out = []
    for turn in truth["turns"]:
        if turn["kind"] != "speech":
            continue
        i = bisect.bisect_left(ordered, turn["start"])
        near = [abs(ordered[k] - turn["start"]) for k in (i - 1, i) if 0 <= k < len(ordered)]
        out.append(round(min(near), 3) if near else float("inf"))
    return out
