"""Bounded-memory audio: decode once to a 16 kHz int16 temporary file, read slices back on demand.

A 2-hour recording is 460 MB as one float32 array, and decoding it the usual way (faster-whisper's
``decode_audio``: an int16 buffer, then two float32 copies) and running the VAD over the whole array
(a padded copy, then framed windows) peaks well above 2 GB. Here the decoded samples live on disk
(230 MB for 2 hours) and every stage reads only the window it works on, so peak memory does not grow
with the length of the recording. The voice-activity detector (Silero VAD, shipped inside faster-whisper)
also runs here, a window at a time.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import TranscriptError
from .model import TranscribeOptions

__all__ = ["AudioFile", "load_audio", "speech_regions", "vad_regions", "blocks"]

SR = 16000
_BYTES = 2  # int16


class AudioFile:
    """16 kHz mono samples of a decoded recording, kept in a temporary file (deleted on close).

    ``read(start, end)`` returns float32 samples in [-1, 1) for the span in seconds, exactly what
    faster-whisper's ``decode_audio`` gives for the same span.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise TranscriptError(self.path, "no such file")
        if self.path.stat().st_size == 0:
            raise TranscriptError(self.path, "the file is empty")
        fd, self._raw = tempfile.mkstemp(prefix="chorus-audio-", suffix=".s16")
        self._fd = fd
        try:
            _decode_into(self.path, fd)
        except TranscriptError:
            self.close()
            raise
        except Exception as exc:  # PyAV raises its own error family for bad media
            self.close()
            raise TranscriptError(self.path, f"cannot decode audio ({type(exc).__name__})") from None
        self.samples = os.fstat(fd).st_size // _BYTES
        if self.samples == 0:
            self.close()
            raise TranscriptError(self.path, "no audio samples")

    @property
    def samples_path(self) -> Path:
        """The temporary file that holds the samples (removed by :meth:`close`)."""
        return Path(self._raw)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples / SR

    def read(self, start: float = 0.0, end: float | None = None) -> np.ndarray:
        """Float32 samples from ``start`` to ``end`` seconds (clamped to the recording)."""
        a = max(0, int(start * SR))
        b = self.samples if end is None else min(self.samples, max(a, int(end * SR)))
        buf = os.pread(self._fd, (b - a) * _BYTES, a * _BYTES)
        return np.frombuffer(buf, dtype=np.int16).astype(np.float32) / np.float32(32768.0)

    def close(self) -> None:
        """Delete the temporary samples file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            Path(self._raw).unlink(missing_ok=True)

    def __enter__(self) -> "AudioFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _decode_into(path: Path, fd: int) -> None:
    """Stream-decode ``path`` with PyAV (as faster-whisper does) to 16 kHz mono int16 in ``fd``."""
    import av  # lazy: PyAV (FFmpeg's libraries) only when a file is decoded, so `import transcripts` stays cheap
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SR)
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise TranscriptError(path, "the file has no audio stream")
        frames = container.decode(audio=0)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:  # skip a damaged frame, as faster-whisper does
                continue
            for out in resampler.resample(frame):
                os.write(fd, out.to_ndarray().tobytes())
        for out in resampler.resample(None):
            os.write(fd, out.to_ndarray().tobytes())


def load_audio(path: str | Path) -> np.ndarray:
    """Decode any audio or video file to 16 kHz mono float32 (PyAV, as faster-whisper does).

    The whole recording as one array (460 MB for 2 hours); :func:`transcripts.transcribe` itself never does this.
    """
    with AudioFile(path) as audio:
        return audio.read()


def vad_regions(samples: np.ndarray, options: TranscribeOptions) -> list[tuple[float, float]]:
    """Silero VAD (shipped inside faster-whisper) speech regions of ``samples``, in seconds; with
    ``options.vad`` off, all of it."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps  # lazy: faster-whisper costs ~0.2 s to import
    if not options.vad:
        return [(0.0, len(samples) / SR)] if len(samples) else []
    vad = VadOptions(threshold=options.vad_threshold, min_silence_duration_ms=options.vad_min_silence_ms,
                     speech_pad_ms=options.vad_pad_ms, min_speech_duration_ms=120)
    return [(round(c["start"] / SR, 3), round(c["end"] / SR, 3)) for c in get_speech_timestamps(samples, vad)]


def speech_regions(audio: AudioFile, options: TranscribeOptions, window: float = 600.0) -> list[tuple[float, float]]:
    """Speech regions of the whole recording (:func:`vad_regions`), found ``window`` seconds at a time;
    a region cut by a window edge is joined with the one that continues it in the next window. Ends never
    pass the last sample (times are rounded down to the millisecond there).
    """
    out: list[tuple[float, float]] = []
    t = 0.0
    last = math.floor(audio.duration * 1000) / 1000
    while t < audio.duration:
        end = min(t + window, audio.duration)
        for s, e in vad_regions(audio.read(t, end), options):
            s, e = round(s + t, 3), min(round(e + t, 3), last)
            if out and s - out[-1][1] <= 0.3 and abs(s - t) <= 0.3:  # continues across the edge
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        t = end
    return out


def blocks(speech: list[tuple[float, float]], size: float) -> list[list[tuple[float, float]]]:
    """Split speech regions into consecutive groups spanning at most ``size`` seconds each
    (a region longer than ``size`` is cut), so that each group can be decoded on its own.

    >>> blocks([(0.0, 5.0), (6.0, 9.0), (12.0, 30.0)], 10.0)
    [[(0.0, 5.0), (6.0, 9.0)], [(12.0, 22.0)], [(22.0, 30.0)]]
    """
    out: list[list[tuple[float, float]]] = []
    for s, e in speech:
        while e - s > size:
            out.append([(s, s + size)])
            s += size
        if out and e - out[-1][0][0] <= size:
            out[-1].append((s, e))
        else:
            out.append([(s, e)])
    return out
