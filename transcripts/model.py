"""The timed-words model every transcript format, the notes and the editor are built from."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["TranscribeOptions", "Word", "Segment", "Transcript"]


@dataclass
class TranscribeOptions:
    """How to transcribe. Every field has a default that works offline with the bundled model."""

    engine: str = "faster-whisper"
    """``faster-whisper`` (default) or ``openai-whisper`` (optional extra)."""
    model: str | None = None
    """None: the bundled tiny.en (English only); ``"base"``: the multilingual Whisper base (extra
    ``chorus-podcast[multilingual]``); otherwise a CTranslate2 model directory."""
    language: str | None = "en"
    """The show's language, used as given (a Whisper code or BCP 47 tag: ``pt-BR`` means ``pt``); None lets
    a multilingual model detect it from windows of speech spread over the recording (not the first 30 s)."""
    glossary: list[str] = field(default_factory=list)
    """Names, acronyms and community terms to spell right."""
    speakers: list[str] = field(default_factory=list)
    """Speaker names from the episode's sidecar, host first."""
    beam_size: int = 5
    word_timestamps: bool = True
    vad: bool = True
    """Decode only what the voice-activity detector calls speech (and snap word times to it)."""
    batched: bool = True
    """faster-whisper's ``BatchedInferencePipeline`` (independent 30 s chunks, decoded together)."""
    batch_size: int = 8
    redecode: bool = True
    """Batched decoding: decode again, on its own, sequentially and with temperature fallback, a chunk whose
    words cover too little of its speech (see docs/transcription.md, "No speech is lost"). False: today's
    batched output as it comes (for comparison only: it can drop whole chunks of speech)."""
    threads: int = 0
    """CPU threads; 0 = all cores."""
    compute_type: str = "int8"
    """CTranslate2 compute type on CPU (``int8``, ``int8_float32``, ``float32``)."""
    compression_ratio_threshold: float | None = 2.4
    """Reject (and retry hotter) a decode whose text compresses better than this: repetition loops."""
    log_prob_threshold: float | None = -1.0
    no_speech_threshold: float | None = 0.6
    hallucination_silence_threshold: float | None = 2.0
    """Sequential decoding: skip silences longer than this (s) around a suspected hallucination."""
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    language_detection_segments: int = 4
    """When ``language`` is None: how many 30 s windows of speech, evenly spaced from the first speech to
    the last, vote on the language (1: Whisper's own first 30 s)."""
    languages: list[str] = field(default_factory=list)
    """When ``language`` is None: the only languages detection may choose (BCP 47 tags or Whisper codes, e.g.
    ``["sv", "en"]``); empty: any language the model knows. An unsure vote among them raises
    :class:`~transcripts.errors.LanguageUnsure` instead of guessing (see ``language_threshold``)."""
    language_threshold: float = 0.5
    """Detection among ``languages``: the winner's mean probability over the windows (out of every language the
    model knows) must reach this, it must hold ``language_share`` of the listed languages' probability, and every
    window must pick it; otherwise the vote is unsure."""
    language_share: float = 0.8
    """Detection among ``languages``: the share of the listed languages' probability the winner needs (0.8: at least
    4 times all the others together)."""
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 300
    vad_pad_ms: int = 200
    seed: int | None = 0
    """Seed of the sampling that temperature fallback uses: the same recording and options give the
    same transcript in any process. None: a fresh seed each time (not reproducible)."""
    min_word_probability: float = 0.0
    """Drop words below this confidence (0 keeps all; the editor highlights low ones instead)."""
    diarise: bool | None = None
    """Label speakers from the audio when no timeline is given. None (default): always, but without the
    ``speakers`` extra say so in one line and leave words unlabelled; True: the extra is required; False: never."""
    num_speakers: int | None = None
    """Known number of speakers (sidecar); None = estimated from the audio (``speakers`` may name only some)."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TranscribeOptions":
        """Build from a dict (a stored transcript's ``options``), ignoring unknown keys. Transcripts stored
        before the option was spelt ``diarise`` carry ``diarize``, which is read as ``diarise``.

        >>> TranscribeOptions.from_dict({"diarize": True, "bogus": 1}).diarise
        True
        """
        known = {f.name for f in fields(cls)}
        if "diarize" in d and "diarise" not in d:
            d = {**d, "diarise": d["diarize"]}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Word:
    """One spoken word. Times are seconds from the start of the mastered audio."""

    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None
    origin: str = "machine"
    """Where the timing came from: ``machine`` (the decoder), ``aligned`` (an edited word matched to a
    machine word, which keeps its times) or ``estimated`` (an inserted or replaced word, timed from its
    neighbours by its length)."""


@dataclass
class Segment:
    """A run of words by one speaker, roughly a sentence or a phrase."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    gap: bool = False
    """A marked gap: speech the voice-activity detector found but no decode gave words for. Its text (and its
    one word, confidence 0) reads ``[inaudible 12 s]``, so it shows in every format and is flagged for volunteers."""


@dataclass
class Transcript:
    """A whole episode's transcript; a result that records the options that produced it."""

    language: str
    duration: float
    segments: list[Segment]
    options: TranscribeOptions = field(default_factory=TranscribeOptions)
    engine: str = "faster-whisper"
    model: str = "tiny.en"
    coverage: float | None = None
    """Seconds of VAD speech that have words / seconds of VAD speech (0..1); None: not measured (VAD off,
    or stored before coverage was recorded)."""
    gaps: list[tuple[float, float]] = field(default_factory=list)
    """``(start, end)`` of each marked gap (speech with no words), also present as ``gap`` segments."""

    def words(self) -> list[Word]:
        """Every word, in time order."""
        return [w for s in self.segments for w in s.words]

    def text(self) -> str:
        """The plain text, segments joined by single spaces.

        >>> Transcript("en", 2.0, [Segment(0, 1, " Hello."), Segment(1, 2, "World ")]).text()
        'Hello. World'
        """
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def speakers(self) -> list[str]:
        """Distinct speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.segments:
            if s.speaker:
                seen.setdefault(s.speaker)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; catalog revisions store exactly this."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        """Inverse of :meth:`to_dict`.

        >>> t = Transcript("en", 1.0, [Segment(0, 1, "Hi", "Host", [Word("Hi", 0.1, 0.4, 0.9, "Host")])])
        >>> Transcript.from_dict(t.to_dict()) == t
        True
        >>> import json
        >>> g = Transcript("en", 9.0, [Segment(1, 8, "[inaudible 7 s]", None, [], gap=True)], coverage=0.2, gaps=[(1, 8)])
        >>> Transcript.from_dict(json.loads(json.dumps(g.to_dict()))) == g
        True
        """
        segments = [
            Segment(
                start=s["start"], end=s["end"], text=s["text"], speaker=s.get("speaker"),
                words=[Word(**w) for w in s.get("words", [])], gap=bool(s.get("gap", False)),
            )
            for s in d["segments"]
        ]
        return cls(
            language=d["language"], duration=d["duration"], segments=segments,
            options=TranscribeOptions.from_dict(d.get("options") or {}),
            engine=d.get("engine", "faster-whisper"), model=d.get("model", "tiny.en"),
            coverage=d.get("coverage"), gaps=[(float(a), float(b)) for a, b in d.get("gaps") or []],
        )
