"""Options and results of :func:`media.master` (dataclasses; a result records its options)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["MasterOptions", "MasterResult", "Turn"]


@dataclass
class MasterOptions:
    """How to master one recording. The defaults are the show defaults (docs/mastering.md)."""

    target_lufs: float | None = None      # None: -16 LUFS for stereo output, -19 LUFS for mono
    true_peak: float = -1.0               # dBTP ceiling of the encoded MP3
    channels: int = 1                     # 1 = mono speech MP3, 2 = stereo
    bitrate_kbps: int | None = None       # None: 96 mono / 128 stereo
    sample_rate: int = 44100
    # speech levelling (quiet and loud speakers evened out)
    level_speech: bool = True
    max_level_gain_db: float = 22.0       # the most a quiet passage is raised
    level_threshold_db: float = -54.0     # quieter stretches (noise, room tone) are never raised
    # clean-up
    highpass_hz: float | None = 80.0      # rumble filter; None = off
    denoise: bool = False                 # ffmpeg afftdn (FFT noise reduction)
    trim_silence: bool = True             # leading/trailing silence cut to at most `edge_silence` s
    edge_silence: float = 1.0
    shorten_pauses_over: float | None = None   # internal silences longer than this (s) are cut to it
    silence_threshold_db: float = -50.0   # below this (after levelling) counts as silence
    # jingles, applied after levelling (loudness-matched to the target, crossfaded)
    intro: Path | None = None
    outro: Path | None = None
    crossfade: float = 1.0
    # extra outputs
    alternates: tuple[str, ...] = ()      # any of "m4a", "opus" (podcast:alternateEnclosure)
    video: bool = True                    # inputs with a video stream also give a web video + poster
    video_max_height: int = 1080
    # multitrack: a folder of per-speaker tracks; sidecar JSON names speakers (see docs/mastering.md)
    sidecar: Path | None = None

    def resolved_target(self) -> float:
        if self.target_lufs is not None:
            return float(self.target_lufs)
        return -16.0 if self.channels == 2 else -19.0

    def resolved_bitrate(self) -> int:
        return self.bitrate_kbps or (128 if self.channels == 2 else 96)


@dataclass
class Turn:
    """One stretch of one speaker in a multitrack recording (seconds of the mastered audio)."""

    start: float
    end: float
    speaker: str

    def __iter__(self):  # unpacks as (start, end, speaker)
        return iter((self.start, self.end, self.speaker))


@dataclass
class MasterResult:
    """What :func:`media.master` produced, measured and did."""

    options: MasterOptions
    mp3: Path
    speech_wav: Path                      # 16 kHz mono PCM of the mastered audio, for transcription
    duration: float                       # seconds of mastered audio
    input_lufs: float                     # integrated loudness of the source (downmixed)
    output_lufs: float                    # measured on the decoded MP3
    output_true_peak: float               # dBTP, 4x oversampled, measured on the decoded MP3
    video: Path | None = None
    poster: Path | None = None
    timeline: list[Turn] | None = None    # multitrack: who speaks when, in mastered-audio seconds
    source: Path | None = None
    target_lufs: float = 0.0
    mode: str = "linear"                  # "linear" gain, or "limited" (gain + true-peak limiter)
    gain_db: float = 0.0
    levelled_lufs: float = 0.0            # after clean-up and levelling, before the final gain
    kept: list[tuple[float, float]] = field(default_factory=list)   # source spans kept (trimming)
    alternates: dict[str, Path] = field(default_factory=dict)        # "m4a"/"opus" -> file
    speakers: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)         # wall seconds per step

    def to_dict(self) -> dict:
        """JSON-ready record of what was measured and done (for the episode's metadata)."""
        d = asdict(self)

        def conv(x):
            if isinstance(x, Path):
                return str(x)
            if isinstance(x, dict):
                return {k: conv(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [conv(v) for v in x]
            return x
        return conv(d)
