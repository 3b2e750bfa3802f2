"""Caption cues from timed words: the caption rules in one place."""
from __future__ import annotations

import re

from ..model import Word
from ._rules import CaptionRules, Cue

_PUNCT = re.compile(r"[.,;:!?\u2026]['\")\]]*$")
_SENT = re.compile(r"[.!?\u2026]['\")\]]*$")
_MAX_DELAY = 0.3
"""Seconds a cue may start after its first word, to give the cue before it time (never cumulative)."""


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
    """Group words into cues that keep ``rules`` (see :func:`caption_problems`), never dropping a word.

    Cues break at speaker changes and at pauses longer than ``rules.max_gap``; when a cue must end, it
    ends after the last phrase boundary (punctuation) in its second half, or (with none) early enough that the
    next cue holds the rest of the sentence; a cue that opens mid-sentence ends with it. The first cue of each
    speaker's turn opens with ``"Name: "``. Times then stretch into the silence around the words for
    the minimum duration and a comfortable reading speed, without overlapping or nearly touching."""
    rules = rules or CaptionRules()
    groups: list[tuple[list[str], list[Word]]] = []
    cur: list[Word] = []
    label: list[str] | None = None
    tail = False  # the cue being built opens in the middle of a sentence (a cue before it had to end early)
    for i, w in enumerate(words):
        if cur and _PUNCT.search(cur[-1].text) and not _must_break(label, cur, w, rules) \
                and not _clause_fits(label, cur, words, i, rules) and cur[-1].end - cur[0].start >= 0.8:
            groups.append((label, cur))  # the next clause will not fit: end the cue at this phrase boundary
            cur, label, tail = [], None, not _SENT.search(cur[-1].text)
        if cur and _must_break(label, cur, w, rules):
            size = w.speaker == cur[-1].speaker and w.start - cur[-1].end <= rules.max_gap
            carry = (_phrase_tail(cur) or _sentence_tail(cur, words, i, rules)) if size else []
            groups.append((label, cur[:len(cur) - len(carry)]))
            tail = size and not _SENT.search(groups[-1][1][-1].text)
            cur, label = carry, None
        elif cur and _SENT.search(cur[-1].text) and (_chars(label, cur) >= rules.max_line * 0.9
                                                     or (tail and w.start - cur[-1].end >= rules.min_gap)):
            # a full-ish cue, or the rest of a sentence before a pause (room to show it long enough), ends there
            groups.append((label, cur))
            cur, label, tail = [], None, False
        if label is None:  # a new cue: named when its speaker differs from the last cue's
            first = cur[0] if cur else w
            label = [f"{first.speaker}:"] if first.speaker and (
                not groups or groups[-1][1][-1].speaker != first.speaker) else []
        cur.append(w)
    if cur:
        groups.append((label or [], cur))
    cues = []
    for lab, g in groups:
        tokens = lab + [w.text for w in g]
        lines = split_lines(tokens, rules.max_line, rules.max_lines) or _hard_wrap(tokens, rules)
        cues.append(Cue(g[0].start, g[-1].end, lines, g[0].speaker, g, bool(lab)))
    return _fix_times(cues, rules)


def _chars(label: list[str], ws: list[Word]) -> int:
    return len(" ".join(label + [w.text for w in ws]))


def _fits(label: list[str], ws: list[Word], rules: CaptionRules) -> bool:
    return (split_lines(label + [x.text for x in ws], rules.max_line, rules.max_lines) is not None
            and ws[-1].end - ws[0].start <= rules.max_duration)


def _clause_fits(label: list[str], cur: list[Word], words: list[Word], i: int, rules: CaptionRules) -> bool:
    """Whether the clause starting at ``words[i]`` (up to its punctuation) fits in ``cur`` too."""
    j = i
    while j < len(words) - 1 and not _PUNCT.search(words[j].text) and words[j + 1].speaker == words[i].speaker:
        j += 1
    return _fits(label, cur + words[i:j + 1], rules)


def _must_break(label: list[str], cur: list[Word], w: Word, rules: CaptionRules) -> bool:
    if w.speaker != cur[-1].speaker or w.start - cur[-1].end > rules.max_gap:
        return True
    return not _fits(label, cur + [w], rules)


def _phrase_tail(cur: list[Word]) -> list[Word]:
    """The words after the last punctuation in the second half of ``cur`` (moved to the next cue)."""
    total = _chars([], cur)
    for i in range(len(cur) - 1, 0, -1):
        if _PUNCT.search(cur[i - 1].text) and _chars([], cur[:i]) >= total * 0.45:
            return cur[i:]
    # no punctuation: avoid ending a cue on a short function word
    if len(cur) > 3 and cur[-1].text.lower() in _WEAK:
        return cur[-1:]
    return []


def _sentence_tail(cur: list[Word], words: list[Word], i: int, rules: CaptionRules) -> list[Word]:
    """Words at the end of ``cur`` to move on with ``words[i:]`` when a cue must end in a sentence with no
    punctuation to break at and the sentence ends within a few words: the next cue then holds the sentence's
    last line or so and ends with it, rather than opening on one word ("coming.") and running on into the
    next sentence, often the next speaker's turn when diarisation has merged two voices."""
    j = i
    while j < len(words) - 1 and j - i < 6 and not _SENT.search(words[j].text) \
            and words[j + 1].speaker == words[i].speaker and words[j + 1].start - words[j].end <= rules.max_gap:
        j += 1
    if not _SENT.search(words[j].text):
        return []
    rest, total = words[i:j + 1], _chars([], cur)
    for k in range(1, len(cur)):
        if _chars([], cur[-k:] + rest) >= rules.max_line * 0.9 or _PUNCT.search(cur[-k - 1].text):
            while k + 2 < len(cur) and cur[-k - 1].text.lower() in _WEAK and _fits([], cur[-k - 1:] + rest, rules):
                k += 1  # nor end the cue before on "a" or "the"
            return cur[-k:] if _chars([], cur[:-k]) >= total * 0.45 and _fits([], cur[-k:] + rest, rules) else []
    return []


_WEAK = {"a", "an", "the", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "my", "your",
         "our", "their", "is", "are", "was", "i", "we", "you", "that", "which", "who", "if", "so", "as"}


def _hard_wrap(tokens: list[str], rules: CaptionRules) -> list[str]:
    """Lines for a cue whose words cannot be broken within the rules (a very long word): never drops text."""
    text = " ".join(tokens)
    n = -(-len(text) // rules.max_lines)
    return [text[i:i + n] for i in range(0, len(text), n)]


def _hard(c: Cue, rules: CaptionRules) -> float:
    """The shortest time ``c`` may show: the minimum duration, or its reading time at ``max_cps``."""
    return min(max(rules.min_duration, len(" ".join(c.lines)) / rules.max_cps), rules.max_duration)


def _fix_times(cues: list[Cue], rules: CaptionRules) -> list[Cue]:
    """Stretch cues into the silence around their words (at most ``max_gap`` of it) until they last
    ``min_duration`` and read at ``target_cps`` (at worst ``max_cps``), within ``max_duration``; cues never
    overlap and either touch or leave at least ``min_gap`` between them."""
    for a, b in zip(cues, cues[1:]):
        b.start = max(b.start, a.end)  # word times may overlap by a few ms
    for i, c in enumerate(cues):
        nxt = cues[i + 1].start if i + 1 < len(cues) else float("inf")
        prev = cues[i - 1].end if i else 0.0
        chars = len(" ".join(c.lines))
        first, last = c.words[0].start if c.words else c.start, c.words[-1].end if c.words else c.end
        for cps in (rules.target_cps, rules.max_cps):
            need = max(rules.min_duration, chars / cps)
            if c.end - c.start >= need:
                break
            end = min(c.start + need, c.start + rules.max_duration, last + rules.max_gap, nxt)
            c.end = nxt if end > nxt - rules.min_gap else max(c.end, end)
            if c.end - c.start < need and cps == rules.max_cps:  # still too fast to read: start earlier,
                # into the silence before (only for the hard limit: a cue that opens before its words
                # puts the caption ahead of the voice, so the preferred speed never moves a start)
                start = max(c.end - need, first - rules.max_gap, prev, c.end - rules.max_duration)
                c.start = prev if start < prev + rules.min_gap else min(c.start, start)
        hard = _hard(c, rules)
        if c.end - c.start < hard and i and c.start == cues[i - 1].end:  # borrow the previous cue's spare time
            p = cues[i - 1]
            spare = p.end - max(p.words[-1].end if p.words else p.end, p.start + _hard(p, rules))
            take = min(max(spare, 0.0), hard - (c.end - c.start), c.start - (first - rules.max_gap))
            if take > 0:
                p.end = c.start = c.start - take
        nxt_first = cues[i + 1].words[0].start if i + 1 < len(cues) and cues[i + 1].words else nxt
        if c.end - c.start < hard and c.start + hard <= nxt_first + _MAX_DELAY:
            c.end = min(c.start + hard + 0.002, last + rules.max_gap)  # last resort: delay the next cue a little
            if i + 1 < len(cues):
                cues[i + 1].start = max(cues[i + 1].start, c.end)
    for a, b in zip(cues, cues[1:]):
        if 0 < b.start - a.end < rules.min_gap:
            a.end = b.start  # touch rather than flicker
    for c in cues:
        c.start, c.end = round(c.start, 3), round(c.end, 3)
    return cues
