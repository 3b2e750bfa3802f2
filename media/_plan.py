"""Pure helpers for master(): filter strings, kept spans, time mapping (private)."""
from __future__ import annotations

import math

from .options import MasterOptions


def layout(channels: int) -> str:
    return "stereo" if channels == 2 else "mono"


TYPICAL_LEVELLED_LUFS = -20.5   # what speechnorm's peak target usually gives for speech


def _peak_control(o: MasterOptions, margin: float) -> str:
    """Limiter after levelling that keeps peak-to-loudness low enough for a linear final gain.

    >>> _peak_control(MasterOptions(), 1.5)
    'alimiter=limit=0.59566:attack=5:release=50:level=false'
    """
    plr = (o.true_peak - margin) - o.resolved_target()
    limit_db = min(-1.0, TYPICAL_LEVELLED_LUFS + plr - 0.5)
    return f"alimiter=limit={10 ** (limit_db / 20):.5f}:attack=5:release=50:level=false"


def clean_chain(o: MasterOptions, level: bool, margin: float = 1.5, peak_control: bool = True) -> list[str]:
    """Clean-up and levelling filters applied to one (already resampled) signal.

    >>> clean_chain(MasterOptions(), level=True)[:2]
    ['highpass=f=80', 'dynaudnorm=f=250:g=11:p=0.9:m=12.59:t=0.001995']
    """
    f = []
    if o.highpass_hz:
        f.append(f"highpass=f={o.highpass_hz:g}")
    if o.denoise:
        f.append("afftdn=nr=12:nf=-45:tn=1")
    if level and o.level_speech:
        m, t = 10 ** (o.max_level_gain_db / 20), 10 ** (o.level_threshold_db / 20)
        f.append(f"dynaudnorm=f=250:g=11:p=0.9:m={m:.2f}:t={t:.6f}")
        if peak_control:
            f.append(_peak_control(o, margin))
    return f


def kept_spans(silences, duration: float, o: MasterOptions) -> list[tuple[float, float]]:
    """Spans of the source to keep: edges trimmed to ``edge_silence``, long pauses shortened.

    >>> o = MasterOptions(shorten_pauses_over=2.0)
    >>> kept_spans([(0.0, 3.0), (10.0, 20.0), (30.0, None)], 40.0, o)
    [(2.0, 11.0), (19.0, 31.0)]
    >>> kept_spans([(10.0, 20.0)], 40.0, MasterOptions())
    [(0.0, 40.0)]
    """
    start, end = 0.0, duration
    if o.trim_silence and silences:
        s0, e0 = silences[0]
        if s0 <= 0.05 and e0 is not None:
            start = max(0.0, e0 - o.edge_silence)
        s1, e1 = silences[-1]
        if e1 is None or e1 >= duration - 0.05:
            end = min(duration, s1 + o.edge_silence)
    spans = [(start, end)]
    n = o.shorten_pauses_over
    if n:
        spans = []
        cur = start
        for s, e in silences:
            if e is None or s <= start or e >= end:
                continue
            if e - s > n:
                spans.append((cur, s + n / 2))
                cur = e - n / 2
        spans.append((cur, end))
    return [(round(a, 3), round(b, 3)) for a, b in spans if b - a > 0.001]


def select_expr(spans) -> str:
    """An aselect expression keeping SPANS (commas escaped for a filtergraph).

    >>> select_expr([(0.5, 2.0)])
    "aselect='between(t\\\\,0.5\\\\,2.0)'"
    """
    terms = "+".join(f"between(t\\,{a}\\,{b})" for a, b in spans)
    return f"aselect='{terms}'"


def clip_interval(a: float, b: float, spans, offset: float = 0.0) -> list[tuple[float, float]]:
    """Map a source interval to the mastered timeline, split where parts were removed.

    >>> clip_interval(10.0, 20.0, [(2.0, 11.0), (19.0, 31.0)])
    [(8.0, 9.0), (9.0, 10.0)]
    """
    out, acc = [], 0.0
    for s, e in spans:
        lo, hi = max(a, s), min(b, e)
        if hi > lo:
            out.append((round(offset + acc + lo - s, 3), round(offset + acc + hi - s, 3)))
        acc += e - s
    return out


def finite(x: float | None, default: float = -70.0) -> float:
    return default if x is None or math.isinf(x) or math.isnan(x) else float(x)
