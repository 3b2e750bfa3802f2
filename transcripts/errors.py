"""The one exception type of the ``transcripts`` package."""
from __future__ import annotations

from pathlib import Path

__all__ = ["TranscriptError"]


class TranscriptError(RuntimeError):
    """Transcription or transcript-writing failed; ``str(exc)`` is one human line.

    >>> str(TranscriptError("ep1.wav", "no speech found"))
    'ep1.wav: no speech found'
    """

    def __init__(self, path: str | Path | None, reason: str):
        self.path = Path(path) if path is not None else None
        self.reason = " ".join(str(reason).split())
        name = self.path.name if self.path is not None else "transcript"
        super().__init__(f"{name}: {self.reason}")
