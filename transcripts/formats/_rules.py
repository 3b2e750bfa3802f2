"""Professional caption rules (Netflix English timed-text guide, BBC subtitle guidelines, Subtitle Edit's
Netflix profile) and the one checker that the writers' tests, the pipeline and the editor share."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Word


@dataclass
class CaptionRules:
    """Limits every caption cue keeps."""

    max_line: int = 42
    """Characters a line (Netflix, BBC)."""
    max_lines: int = 2
    max_cps: float = 20.0
    """Reading speed: characters a second, spaces included (Netflix adult programmes)."""
    target_cps: float = 17.0
    """The reading speed the cue builder aims for when there is time (BBC's 160-180 words a minute)."""
    min_duration: float = 0.83
    """Seconds (Netflix: 5/6 s, 20 frames at 24 fps)."""
    max_duration: float = 7.0
    min_gap: float = 0.083
    """Seconds between two cues that do not touch (Netflix: 2 frames)."""
    max_gap: float = 1.0
    """A cue never shows across more silence than this (s); a longer pause always starts a new cue."""


@dataclass
class Cue:
    """One caption: the lines shown (with "Name: " at a speaker change), who speaks, and its words."""

    start: float
    end: float
    lines: list[str]
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    named: bool = False
    """Whether ``lines`` open with ``"<speaker>: "`` (the cue starts a new speaker's turn)."""

    @property
    def label(self) -> str:
        return f"{self.speaker}: " if self.named and self.speaker else ""

    @property
    def text(self) -> str:
        """The spoken words, without the speaker's name."""
        shown = " ".join(self.lines)
        return shown[len(self.label):] if shown.startswith(self.label) else shown


@dataclass
class Problem:
    """One broken rule: the cue's index in the list, the rule's name and what is wrong."""

    cue: int
    rule: str
    """``line_length``, ``lines``, ``reading_speed``, ``duration``, ``gap``, ``silence`` or ``speaker``."""
    detail: str


def caption_problems(cues: list[Cue], rules: CaptionRules | None = None) -> list[Problem]:
    """Every way ``cues`` break ``rules`` (an empty list when they keep them all).

    >>> w = [Word("Hello.", 0.0, 0.5, speaker="Amira"), Word("Hi.", 0.55, 0.9, speaker="Ben")]
    >>> [(p.cue, p.rule) for p in caption_problems([Cue(0.0, 0.9, ["Amira: Hello. Hi."], "Amira", w, True)])]
    [(0, 'speaker')]
    """
    rules = rules or CaptionRules()
    out: list[Problem] = []
    eps = 0.0015  # times are kept to the millisecond
    for i, c in enumerate(cues):
        def bad(rule: str, detail: str, i: int = i) -> None:
            out.append(Problem(i, rule, detail))
        for n, line in enumerate(c.lines, 1):
            if len(line) > rules.max_line:
                bad("line_length", f"line {n} has {len(line)} characters (at most {rules.max_line})")
        if not 1 <= len(c.lines) <= rules.max_lines:
            bad("lines", f"{len(c.lines)} lines (1 to {rules.max_lines})")
        dur = c.end - c.start
        if dur < rules.min_duration - eps or dur > rules.max_duration + eps:
            bad("duration", f"{dur:.3f} s (from {rules.min_duration} to {rules.max_duration} s)")
        chars = len(" ".join(c.lines))
        if dur > 0 and chars / dur > rules.max_cps + 0.05:
            bad("reading_speed", f"{chars / dur:.1f} characters a second (at most {rules.max_cps:g})")
        elif dur <= 0:
            bad("duration", f"ends at {c.end:.3f} s, not after it starts at {c.start:.3f} s")
        if i:
            gap = c.start - cues[i - 1].end
            if gap < -eps:
                bad("gap", f"overlaps the previous cue by {-gap:.3f} s")
            elif eps < gap < rules.min_gap - eps:
                bad("gap", f"{gap * 1000:.0f} ms after the previous cue (0 or at least {rules.min_gap * 1000:.0f} ms)")
        if c.words:
            silence = _longest_silence(c)
            if silence > rules.max_gap + eps:
                bad("silence", f"shows across {silence:.2f} s without speech (at most {rules.max_gap:g} s)")
            speakers = list(dict.fromkeys(w.speaker for w in c.words))
            if len(speakers) > 1:
                bad("speaker", f"spoken by {len(speakers)} speakers; start a new cue at each change")
        prev = cues[i - 1].speaker if i else None
        if c.speaker and c.speaker != prev and not (c.named and " ".join(c.lines).startswith(f"{c.speaker}: ")):
            bad("speaker", f"a new speaker without \"{c.speaker}: \" at the start")
    return out


def _longest_silence(c: Cue) -> float:
    """The longest stretch of the cue's time with none of its words being spoken."""
    t, longest = c.start, 0.0
    for w in sorted(c.words, key=lambda w: w.start):
        longest = max(longest, w.start - t)
        t = max(t, w.end)
    return max(longest, c.end - t)
