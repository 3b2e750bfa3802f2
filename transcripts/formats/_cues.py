"""Caption cues from timed words: the caption rules in one place."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Word

_PUNCT = re.compile(r"[.,;:!?\u2026]['\")\]]*$")
_SENT = re.compile(r"[.!?\u2026]['\")\]]*$")


@dataclass
class CaptionRules:
    """Limits every caption cue keeps (BBC/Netflix-style subtitle guidance)."""

    max_line: int = 42
    max_lines: int = 2
    min_duration: float = 1.0
    max_duration: float = 7.0
    max_gap: float = 1.0
    """A pause longer than this (s) between words always starts a new cue."""


@dataclass
class Cue:
    """One caption: its lines (already broken) and who speaks."""

    start: float
    end: float
    lines: list[str]
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def split_lines(tokens: list[str], max_line: int = 42, max_lines: int = 2) -> list[str] | None:
    """Break ``tokens`` into at most ``max_lines`` lines of at most ``max_line`` characters, preferring
    a break after punctuation, then the most balanced break; None when impossible.

    >>> split_lines("Thank you for inviting me. It is lovely to be here".split())
    ['Thank you for inviting me.', 'It is lovely to be here']
    >>> split_lines(["word"] * 30) is None
    True
    """
    one = " ".join(tokens)
    if len(one) <= max_line:
        return [one]
    if max_lines < 2:
        return None
    best = None
    for i in range(1, len(tokens)):
        a, b = " ".join(tokens[:i]), " ".join(tokens[i:])
        if len(a) > max_line:
            break
        rest = split_lines(tokens[i:], max_line, max_lines - 1) if len(b) > max_line else [b]
        if rest is None:
            continue
        score = abs(len(a) - len(rest[0])) - (25 if _PUNCT.search(tokens[i - 1]) else 0) \
            + (8 if len(a) < len(rest[0]) - 6 else 0)  # a bottom-heavy pyramid reads better
        if best is None or score < best[0]:
            best = (score, [a, *rest])
    return best[1] if best else None


def make_cues(words: list[Word], rules: CaptionRules | None = None) -> list[Cue]:
    """Group words into cues that keep ``rules``; cues break at speaker changes, pauses and, when a
    cue must end, after the last phrase boundary (punctuation) in its second half."""
    rules = rules or CaptionRules()
    groups: list[list[Word]] = []
    cur: list[Word] = []
    for i, w in enumerate(words):
        if cur and _PUNCT.search(cur[-1].text) and not _must_break(cur, w, rules) \
                and not _clause_fits(cur, words, i, rules) and cur[-1].end - cur[0].start >= 0.8:
            groups.append(cur)  # the next clause will not fit: end the cue at this phrase boundary
            cur = []
        if cur and _must_break(cur, w, rules):
            carry = _phrase_tail(cur, rules) if _fits_more(cur, w, rules) is False else []
            groups.append(cur[:len(cur) - len(carry)])
            cur = carry
        elif cur and _SENT.search(cur[-1].text) and _chars(cur) >= rules.max_line * 0.9:
            groups.append(cur)  # a full-ish cue that ends a sentence: end it there
            cur = []
        cur.append(w)
    if cur:
        groups.append(cur)
    cues = []
    for g in groups:
        lines = split_lines([w.text for w in g], rules.max_line, rules.max_lines) or _hard_wrap(g, rules)
        cues.append(Cue(g[0].start, g[-1].end, lines, g[0].speaker, g))
    return _fix_times(cues, rules)


def _chars(ws: list[Word]) -> int:
    return sum(len(w.text) for w in ws) + max(0, len(ws) - 1)


def _fits_more(cur: list[Word], w: Word, rules: CaptionRules) -> bool:
    return (split_lines([x.text for x in cur + [w]], rules.max_line, rules.max_lines) is not None
            and w.end - cur[0].start <= rules.max_duration)


def _clause_fits(cur: list[Word], words: list[Word], i: int, rules: CaptionRules) -> bool:
    """Whether the clause starting at ``words[i]`` (up to its punctuation) fits in ``cur`` too."""
    j = i
    while j < len(words) - 1 and not _PUNCT.search(words[j].text) and words[j + 1].speaker == words[i].speaker:
        j += 1
    clause = words[i:j + 1]
    return (split_lines([x.text for x in cur + clause], rules.max_line, rules.max_lines) is not None
            and clause[-1].end - cur[0].start <= rules.max_duration)


def _must_break(cur: list[Word], w: Word, rules: CaptionRules) -> bool | None:
    if w.speaker != cur[-1].speaker or w.start - cur[-1].end > rules.max_gap:
        return True
    return not _fits_more(cur, w, rules)


def _phrase_tail(cur: list[Word], rules: CaptionRules) -> list[Word]:
    """The words after the last punctuation in the second half of ``cur`` (moved to the next cue)."""
    total = _chars(cur)
    for i in range(len(cur) - 1, 0, -1):
        if _PUNCT.search(cur[i - 1].text) and _chars(cur[:i]) >= total * 0.45:
            return cur[i:]
    # no punctuation: avoid ending a cue on a short function word
    if len(cur) > 3 and cur[-1].text.lower() in _WEAK:
        return cur[-1:]
    return []


_WEAK = {"a", "an", "the", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "my", "your",
         "our", "their", "is", "are", "was", "i", "we", "you", "that", "which", "who", "if", "so", "as"}


def _hard_wrap(ws: list[Word], rules: CaptionRules) -> list[str]:
    text = " ".join(w.text for w in ws)
    return [text[i:i + rules.max_line] for i in range(0, len(text), rules.max_line)][: rules.max_lines]


def _fix_times(cues: list[Cue], rules: CaptionRules) -> list[Cue]:
    """Make every cue last 1-7 s without overlapping the next one."""
    for i, c in enumerate(cues):
        if i and c.start < cues[i - 1].end:
            c.start = round(cues[i - 1].end, 3)
        if c.end - c.start < rules.min_duration:
            c.end = c.start + rules.min_duration
        c.end = round(min(c.end, c.start + rules.max_duration), 3)
        c.start = round(c.start, 3)
    return cues
