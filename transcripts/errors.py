"""The one exception type of the ``transcripts`` package."""
from __future__ import annotations

from pathlib import Path

__all__ = ["TranscriptError", "LanguageUnsure"]


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


class LanguageUnsure(TranscriptError):
    """Detection among a show's listed languages could not tell which one a recording is in; nothing was
    transcribed. ``probabilities``: each listed language's mean probability over the windows, in the show's
    order; ``heard``: the language (and its probability) the model found most likely of all it knows.

    >>> str(LanguageUnsure("ep.wav", {"sv": 0.01, "en": 0.1}, ("la", 0.42)))
    'ep.wav: cannot tell whether this recording is in sv or en (sv 0.01, en 0.10; it sounds most like la 0.42)'
    """

    def __init__(self, path: str | Path | None, probabilities: dict[str, float],
                 heard: tuple[str, float] | None = None):
        self.probabilities, self.heard = dict(probabilities), heard
        listed = list(self.probabilities)
        which = " or ".join([", ".join(listed[:-1]), listed[-1]] if len(listed) > 2 else listed)
        figures = ", ".join(f"{k} {v:.2f}" for k, v in self.probabilities.items())
        most = f"; it sounds most like {heard[0]} {heard[1]:.2f}" if heard and heard[0] not in listed else ""
        super().__init__(path, f"cannot tell whether this recording is in {which} ({figures}{most})")
