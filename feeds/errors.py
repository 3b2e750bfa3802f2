"""The one exception type of the ``feeds`` package."""
from __future__ import annotations

from pathlib import Path

__all__ = ["FeedError"]


class FeedError(ValueError):
    """A feed, page or artwork cannot be built or fails validation.

    ``reason`` is one human line naming the problem; ``path`` is the file concerned
    (artwork, a written feed) or None for in-memory XML. ``str(e)`` is that one line.

    >>> str(FeedError("item 3 has no guid"))
    'feed: item 3 has no guid'
    >>> str(FeedError("not square", Path("/tmp/cover.png")))
    'cover.png: not square'
    """

    def __init__(self, reason: str, path: Path | str | None = None):
        self.reason = " ".join(str(reason).split())
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path.name if self.path else 'feed'}: {self.reason}")
