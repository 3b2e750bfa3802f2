"""The one exception type of :mod:`media`."""
from __future__ import annotations

from pathlib import Path

__all__ = ["MediaError"]


class MediaError(ValueError):
    """A recording that cannot be processed, with a one-line human reason.

    >>> str(MediaError("/in/talk.wav", "no audio stream"))
    'talk.wav: no audio stream'
    """

    def __init__(self, path, reason: str):
        self.path = Path(path)
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(f"{self.path.name}: {self.reason}")
