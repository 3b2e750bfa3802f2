"""The editor's one exception type: a one-line reason and the HTTP status the web layer answers with."""
from __future__ import annotations

__all__ = ["EditorError", "Conflict"]


class EditorError(ValueError):
    """A request the editor cannot do: ``str(e)`` is one line for the volunteer, ``status`` the HTTP code."""

    def __init__(self, reason: str, status: int = 400, **extra):
        super().__init__(" ".join(str(reason).split()))
        self.status = status
        self.extra = extra
        """More JSON for the answer (a conflict's versions)."""


class Conflict(EditorError):
    """Two volunteers changed the same part since the base revision: nothing was saved.

    ``extra`` holds ``conflicts`` (``[{paragraph, base, ours, theirs}]``) and ``latest_revision``."""

    def __init__(self, reason: str, conflicts: list[dict], latest_revision: int):
        super().__init__(reason, 409, conflicts=conflicts, latest_revision=latest_revision)
