"""Chorus: drop recordings in a folder; get mastered, transcribed, published podcast episodes.

The ``chorus`` package holds the CLI, settings, catalog, storage and embedded services. Media,
speech and feed logic live in the sibling packages ``media``, ``transcripts`` and ``feeds``.
"""
from chorus.errors import ChorusError

__all__ = ["ChorusError", "__version__"]
__version__ = "0.1.0"
