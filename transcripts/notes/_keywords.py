"""Key phrases with YAKE, and the pick of phrases that are distinctive for one part of an episode."""
from __future__ import annotations

from functools import lru_cache

from ._text import stopwords, tokens


@lru_cache(maxsize=16)
def _extractor(language: str, n: int, top: int):
    import yake  # lazy: ~0.2 s to import; only drafting notes needs it, so `import transcripts` stays cheap

    return yake.KeywordExtractor(lan=language[:2], n=n, top=top, dedup_lim=0.7, stopwords=set(stopwords(language)))


def key_phrases(text: str, language: str = "en", top: int = 12, n: int = 2) -> list[str]:
    """YAKE's best phrases of ``text``, best first, lower-cased, without stop-word-only phrases."""
    if not text.strip():
        return []
    out: list[str] = []
    for phrase, _score in _extractor(language, n, top).extract_keywords(text):
        p = " ".join(phrase.split())
        if tokens(p, language) and p.lower() not in (o.lower() for o in out):
            out.append(p)
    return out


def same_stems(a: str, b: str, language: str = "en") -> bool:
    """True when two phrases share a content word stem (so one would repeat the other).

    >>> same_stems("supervision", "monthly supervisions")
    True
    """
    return bool(_stems(a, language) & _stems(b, language))


@lru_cache(maxsize=50_000)
def _stems(phrase: str, language: str) -> frozenset[str]:
    return frozenset(tokens(phrase, language))
