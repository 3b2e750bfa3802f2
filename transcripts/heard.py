"""What the transcriber hears around given spans of a recording: the check after a redaction.

``heard_in_spans(audio, spans)`` cuts ``[start - pad, end + pad]`` of AUDIO for each span with ffmpeg
(a 16 kHz mono WAV in a temporary folder; the recording itself is never decoded whole) and transcribes
each cut with the project's own engine and bundled model. After a redaction none of the removed words may
be among the words heard (see docs/mastering.md, "Redaction: bleep or silence").
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from .api import transcribe
from .errors import TranscriptError
from .model import TranscribeOptions

__all__ = ["heard_in_spans", "HEARD_OPTIONS"]

_EMPTY_WAV = 100  # bytes: a WAV header and no samples
_CHECK = {"diarise": False, "vad": False, "batched": False, "temperatures": [0.0]}
"""How the check decodes, whatever options it is given: no speakers; no voice-activity detection, so that nothing
in a cut (quiet leftovers of speech included) is skipped as non-speech; sequential decoding without temperature
fallback (a bleep made the decoder retry hotter, which cost up to 24 s a span and recognised no more)."""
HEARD_OPTIONS = TranscribeOptions(**_CHECK)
"""The default options: the bundled model, English."""


def heard_in_spans(audio: str | Path, spans: list[tuple[float, float]], options: TranscribeOptions | None = None,
                   pad: float = 1.5) -> list[str]:
    """The text the transcriber hears in each span of AUDIO widened by PAD seconds on each side, in span order.

    The model, language and glossary come from OPTIONS (default :data:`HEARD_OPTIONS`: the bundled model,
    English); how the check decodes is fixed (no diarisation, no voice-activity detection, sequential, no
    temperature fallback: measured in docs/mastering.md, "Redaction: bleep or silence"). A span past the end
    of AUDIO hears ``""``. Raises :class:`TranscriptError` (one line) for a missing file, a bad span or a cut
    ffmpeg cannot make.

    >>> heard_in_spans("missing.mp3", [(1.0, 2.0)])
    Traceback (most recent call last):
    ...
    transcripts.errors.TranscriptError: missing.mp3: no such file
    """
    audio = Path(audio)
    if not audio.is_file():
        raise TranscriptError(audio, "no such file")
    if pad < 0:
        raise TranscriptError(audio, f"pad must be zero or more seconds, not {pad!r}")
    opts = replace(options or HEARD_OPTIONS, **_CHECK)
    exe = shutil.which("ffmpeg")
    if not exe:
        raise TranscriptError(audio, "ffmpeg is not installed (Debian/Ubuntu: apt-get install ffmpeg)")
    heard = []
    with tempfile.TemporaryDirectory(prefix="chorus-heard-") as tmp:
        for i, (start, end) in enumerate(spans):
            if not (0 <= start <= end):
                raise TranscriptError(audio, f"span {start:g}-{end:g} s is not a (start, end) with 0 <= start <= end")
            a = max(0.0, start - pad)
            cut = Path(tmp) / f"span{i}.wav"
            proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{a:.3f}",
                                   "-t", f"{end + pad - a:.3f}", "-i", str(audio), "-map", "0:a:0", "-vn",
                                   "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(cut)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if proc.returncode != 0 or not cut.is_file():
                line = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                raise TranscriptError(audio, f"cannot cut {a:.2f}-{end + pad:.2f} s: {line[:160]}")
            if cut.stat().st_size <= _EMPTY_WAV:  # the span lies past the end: nothing to hear
                heard.append("")
                continue
            heard.append(transcribe(cut, opts).text())
    return heard
