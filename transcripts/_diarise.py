"""Single-track speaker diarisation: resemblyzer voice embeddings of phrase chunks, plus pitch, clustered.

The number of speakers is estimated: average-linkage agglomerative clustering of the chunks' voices
(cosine distance) stops merging at :data:`THRESHOLD`, so one voice stays one speaker. A chunk's voice
is its resemblyzer embedding with one more coordinate, its median pitch (:data:`PITCH_WEIGHT`).
Each chunk is levelled before it is embedded (resemblyzer's mel spectrogram is not logarithmic, so
a quieter guest would otherwise sound like someone else), voices with too little speech to be told
apart are folded into the nearest one, and every chunk is then given its nearest voice.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import re
import warnings

import numpy as np

from .errors import TranscriptError
from .model import TranscribeOptions, Word

SR = 16000
THRESHOLD = 0.15
"""Cosine distance at which clustering of chunks stops merging (tuned on tests/data/scripts/speakers-tune-*)."""
MERGE = 2.0
"""Two voices are one when their means are nearer than this many times their chunks' spread (see ``_merge``)."""
MIN_VOICE_SECONDS = 3.5
"""A voice with less speech than this is merged into the nearest other voice."""
PITCH_WEIGHT = 0.5
"""Weight of a chunk's median pitch (octaves from the recording's median) next to its unit-length embedding."""
_END = re.compile(r"[.,;:!?]['\")\]]*$")
_LEVEL = 10 ** (-30 / 20)  # resemblyzer's own target level, -30 dBFS


def available() -> bool:
    """Whether the diarisation extra (resemblyzer) is installed."""
    return importlib.util.find_spec("resemblyzer") is not None


@functools.lru_cache(maxsize=1)
def _encoder():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder  # lazy: optional extra `speakers` (loads torch)
    except ImportError:
        raise TranscriptError(None, "speaker diarisation needs resemblyzer: pip install 'chorus-podcast[speakers]', "
                                    "or give a multitrack timeline, or set diarise = false") from None
    return VoiceEncoder("cpu", verbose=False)


def _chunks(words: list[Word], max_len: float = 6.0, gap: float = 0.25) -> list[tuple[int, int]]:
    """Word index ranges split at pauses, punctuation and ``max_len`` seconds.

    >>> _chunks([Word("Hi.", 0, .4), Word("Yes", .5, .8), Word("sure", .8, 1.2)])
    [(0, 1), (1, 3)]
    """
    out, first = [], 0
    for i in range(1, len(words) + 1):
        if i == len(words) or words[i].start - words[i - 1].end > gap or _END.search(words[i - 1].text) \
                or words[i].end - words[first].start > max_len:
            out.append((first, i))
            first = i
    return out


def _samples(audio, start: float, end: float) -> np.ndarray:
    if hasattr(audio, "read"):  # an AudioFile: read just this span
        return audio.read(max(0.0, start), end)
    return audio[max(0, int(start * SR)):int(end * SR)]


def _embed(audio, start: float, end: float) -> np.ndarray:
    """The voice embedding of the chunk's own audio (not its neighbours'), levelled to -30 dBFS."""
    a = _samples(audio, start - 0.05, end + 0.05).astype(np.float32)
    rms = float(np.sqrt(np.mean(a ** 2))) if len(a) else 0.0
    if rms > 1e-5:
        a = a * (_LEVEL / rms)
    if len(a) < SR // 2:  # resemblyzer pads a short chunk; below 0.5 s repeat it instead of padding silence
        a = np.tile(a, int(np.ceil(SR / 2 / max(len(a), 1))))
    return _encoder().embed_utterance(a)


def _pitch(audio, start: float, end: float, frame: int = 640, hop: int = 160) -> float:
    """The chunk's median pitch in octaves (log2 Hz) from the normalised autocorrelation of 40 ms frames
    (70–400 Hz, voiced where the peak is over 0.5); NaN with fewer than 10 voiced frames.

    >>> t = np.arange(SR) / SR
    >>> round(2 ** _pitch(0.1 * np.sin(2 * np.pi * 150 * t).astype(np.float32), 0, 1))
    150
    """
    a = _samples(audio, start, end + frame / SR).astype(np.float64)
    n = 1 + (len(a) - frame) // hop
    if n < 10:
        return float("nan")
    win = np.hanning(frame)
    x = a[np.arange(frame)[None, :] + hop * np.arange(n)[:, None]] * win
    x -= x.mean(1, keepdims=True)
    r = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * frame)) ** 2)[:, :frame]
    own = np.correlate(win, win, "full")[frame - 1:]  # the window's own autocorrelation, to undo its taper
    lo, hi = SR // 400, SR // 70
    norm = r[:, lo:hi] / (r[:, :1] + 1e-9) / (own[lo:hi] / own[0])
    lag = np.argmax(norm, axis=1)
    voiced = (norm[np.arange(n), lag] > 0.5) & (np.sqrt(r[:, 0] / frame) > 1e-3)
    return float(np.median(np.log2(SR / (lag[voiced] + lo)))) if voiced.sum() >= 10 else float("nan")


def _with_pitch(emb: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Unit-length embeddings with the pitch (octaves from the median; 0 where unknown) appended, renormalised."""
    known = ~np.isnan(pitch)
    p = np.where(known, pitch - (np.median(pitch[known]) if known.any() else 0.0), 0.0)
    x = np.hstack([emb / np.linalg.norm(emb, axis=1, keepdims=True), PITCH_WEIGHT * p[:, None]])
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _cluster(emb: np.ndarray, k: int | None, threshold: float = THRESHOLD) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering  # lazy: optional extra `speakers`; ~1.4 s to import
    if len(emb) < 2:
        return np.zeros(len(emb), dtype=int)
    if k:
        model = AgglomerativeClustering(n_clusters=min(k, len(emb)), metric="cosine", linkage="average")
    else:
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=threshold)
    return model.fit_predict(emb)


def _centroids(emb: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> np.ndarray:
    cents = np.stack([(emb[labels == c] * weight[labels == c, None]).sum(0) for c in np.unique(labels)])
    return cents / np.linalg.norm(cents, axis=1, keepdims=True)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 0..n-1 in order of first appearance."""
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(c), len(order)) for c in labels], dtype=int)


def _voices(emb: np.ndarray, secs: np.ndarray, k: int | None) -> np.ndarray:
    """A voice per chunk. Chunks of 1 s or more are over-clustered; then, until nothing changes, voices
    with less than ``MIN_VOICE_SECONDS`` of speech are folded into their nearest neighbour, voices nearer
    than ``MERGE`` are merged, and every chunk (short ones included) goes to its nearest voice."""
    long_ = secs >= 1.0
    if long_.sum() < 2:
        long_[:] = True
    labels = np.zeros(len(emb), dtype=int)
    labels[long_] = _relabel(_cluster(emb[long_], k))
    labels = _nearest(emb, secs, labels, long_)
    for _ in range(10):
        before = labels
        if not k:
            labels = _merge(emb, secs, labels)
        labels = _nearest(emb, secs, labels, np.ones(len(emb), dtype=bool))
        if len(before) == len(labels) and (before == labels).all():
            break
    return labels


def _nearest(emb: np.ndarray, secs: np.ndarray, labels: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Each chunk's nearest voice, the voices being the duration-weighted means of the ``basis`` chunks."""
    cents = _centroids(emb[basis], _relabel(labels[basis]), secs[basis])
    return _relabel(np.argmax(emb @ cents.T, axis=1))


def _merge(emb: np.ndarray, secs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fold small voices into, and merge close voices with, their nearest neighbour, one pair at a time.

    "Close" is relative to how much each voice's own chunks vary (noise and short chunks spread them):
    two voices merge when the distance between their means is under ``MERGE`` times the mean distance
    of their chunks to their own means."""
    while labels.max() >= 1:
        talk = np.array([secs[labels == c].sum() for c in range(labels.max() + 1)])
        cents = _centroids(emb, labels, secs)
        spread = np.array([np.average(1 - emb[labels == c] @ cents[c], weights=secs[labels == c])
                           for c in range(len(cents))])
        ratio = (1 - cents @ cents.T) / ((spread[:, None] + spread[None, :]) / 2 + 1e-6)
        np.fill_diagonal(ratio, np.inf)
        small = int(np.argmin(talk))
        if talk[small] < MIN_VOICE_SECONDS:
            a, b = small, int(np.argmin(ratio[small]))
        elif ratio.min() < MERGE:
            a, b = np.unravel_index(int(np.argmin(ratio)), ratio.shape)
        else:
            break
        labels = _relabel(np.where(labels == a, b, labels))
    return labels


def diarise(audio, words: list[Word], options: TranscribeOptions,
            required: bool = True) -> list[tuple[float, float, str]]:
    """A speaker timeline ``[(start, end, name)]`` for ``words``. Voices are named ``Speaker 1..n`` in order
    of first appearance; when ``options.speakers`` names people (host first), the voice that opens the
    episode is the host and the others stay ``Speaker n`` for volunteers to rename. The number of voices
    is ``options.num_speakers`` when given, otherwise estimated. ``audio`` is 16 kHz float32 samples or
    an object with ``read(start, end)`` returning them for a span in seconds.

    Without resemblyzer installed this raises :class:`TranscriptError` when ``required``, otherwise
    it logs one line and returns no timeline (the transcript then has no speaker labels)."""
    if not words:
        return []
    if not required and not available():
        logging.getLogger("chorus.transcripts").warning(
            "speaker labels skipped: install chorus-podcast[speakers] (resemblyzer) for diarisation")
        return []
    spans = [(words[a].start, words[b - 1].end) for a, b in _chunks(words)]
    emb = _with_pitch(np.stack([_embed(audio, s, e) for s, e in spans]),
                      np.array([_pitch(audio, s, e) for s, e in spans]))
    secs = np.array([e - s for s, e in spans])
    labels = _voices(emb, secs, options.num_speakers)
    return [(s, e, _name(int(c), options.speakers)) for (s, e), c in zip(spans, labels)]


def _name(voice: int, named: list[str]) -> str:
    """
    >>> [_name(v, ["Amira", "Ben"]) for v in range(3)], _name(1, [])
    (['Amira', 'Speaker 2', 'Speaker 3'], 'Speaker 2')
    """
    return named[0] if voice == 0 and named else f"Speaker {voice + 1}"
