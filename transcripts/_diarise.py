"""Single-track speaker diarisation: resemblyzer voice embeddings of phrase chunks, clustered."""
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
_END = re.compile(r"[.,;:!?]['\")\]]*$")


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


def _embed(audio, start: float, end: float) -> np.ndarray:
    enc = _encoder()
    mid, half = (start + end) / 2, max((end - start) / 2, 0.8)  # at least 1.6 s of context
    if hasattr(audio, "read"):  # an AudioFile: read just this span
        a = audio.read(max(0.0, mid - half), mid + half)
    else:
        a = audio[max(0, int((mid - half) * SR)):int((mid + half) * SR)]
    return enc.embed_utterance(a.astype(np.float32))


def _cluster(emb: np.ndarray, k: int | None, threshold: float = 0.35) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering  # lazy: optional extra `speakers`; ~1.4 s to import
    if len(emb) < 2:
        return np.zeros(len(emb), dtype=int)
    if k:
        k = min(k, len(emb))
        model = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
    else:
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=threshold)
    return model.fit_predict(emb)


def diarise(audio, words: list[Word], options: TranscribeOptions,
            required: bool = True) -> list[tuple[float, float, str]]:
    """A speaker timeline ``[(start, end, name)]`` for ``words``; names from ``options.speakers`` in
    order of first appearance (then "Speaker 3", ...). ``audio`` is 16 kHz float32 samples or an
    object with ``read(start, end)`` returning them for a span in seconds.

    Without resemblyzer installed this raises :class:`TranscriptError` when ``required``, otherwise
    it logs a warning and returns no timeline (the transcript then has no speaker labels)."""
    if not words:
        return []
    if not required and not available():
        logging.getLogger("chorus.transcripts").warning(
            "speaker labels skipped: install chorus-podcast[speakers] (resemblyzer) for diarisation")
        return []
    chunks = _chunks(words)
    spans = [(words[a].start, words[b - 1].end) for a, b in chunks]
    emb = np.stack([_embed(audio, s, e) for s, e in spans])
    long_ = np.array([e - s >= 1.0 for s, e in spans])
    if long_.sum() < 2:
        long_[:] = True
    k = options.num_speakers or (len(options.speakers) if len(options.speakers) >= 2 else None)
    labels = np.full(len(spans), -1)
    labels[long_] = _cluster(emb[long_], k)
    cents = np.stack([emb[labels == c].mean(0) for c in range(labels.max() + 1)])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    for i in np.where(~long_)[0]:  # short chunks: nearest voice
        labels[i] = int(np.argmax(cents @ emb[i]))
    order: dict[int, str] = {}
    for c in labels:
        if int(c) not in order:
            n = len(order)
            order[int(c)] = options.speakers[n] if n < len(options.speakers) else f"Speaker {n + 1}"
    return [(s, e, order[int(c)]) for (s, e), c in zip(spans, labels)]
