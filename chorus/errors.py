"""The one exception type of the ``chorus`` package."""
from __future__ import annotations

from pathlib import Path

__all__ = ["ChorusError"]


class ChorusError(RuntimeError):
    """Something Chorus could not do, with a one-line human reason and how to retry.

    >>> str(ChorusError("bucket 'x' does not exist", path="s3://x"))
    "s3://x: bucket 'x' does not exist"
    """

    def __init__(self, reason: str, path: str | Path | None = None):
        self.reason = " ".join(str(reason).split())
        self.path = path
        super().__init__(f"{path}: {self.reason}" if path else self.reason)
