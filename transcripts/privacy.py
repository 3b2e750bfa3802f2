"""Personal data in transcript words: names, places, workplaces, phone numbers, e-mail addresses, dates of birth,
ages and NHS numbers, written or spoken. See docs/privacy.md, "Flagging personal data".

``find_personal_data(words, known_people=(), allow=())`` is plain Python: no I/O, deterministic, thread-safe. It
combines Presidio (spaCy's small English model, phonenumbers, Presidio's e-mail and NHS recognisers) run on the
joined text with word rules for what people say rather than write, and for how Whisper writes it (``_privacy_rules``,
``_privacy_numbers``). Lower-cased transcripts are
also read through a truecased copy in which words that are not common lower-case English words are capitalised.

>>> from transcripts import Word
>>> ws = [Word(t, i * 0.4, i * 0.4 + 0.3) for i, t in enumerate("ring me on oh seven seven double oh nine hundred one two three".split())]
>>> [(f.kind, f.text) for f in find_personal_data(ws)]
[('phone', 'oh seven seven double oh nine hundred one two three')]
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from . import _privacy_names as names
from . import _privacy_numbers as numbers
from . import _privacy_rules as rules
from ._privacy_words import COMMON_LOWER

__all__ = ["Flag", "KINDS", "find_personal_data"]

KINDS = ("person", "place", "workplace", "phone", "email", "date_of_birth", "age", "nhs_number")
"""Every kind a flag can have."""

_PRIORITY = {"nhs_number": 8, "phone": 7, "email": 6, "date_of_birth": 5, "age": 4, "workplace": 3, "place": 2,
             "person": 1}
_GAP = re.compile(r"^\[[^\]]*\]$")
_NEVER = {"cbt", "emdr", "dbt", "act", "ifs", "nhs", "mbct", "cft", "ipt", "dit", "cat", "tf-cbt", "samaritans",
          "samaritan", "childline", "shout", "mind", "cruse", "bacp", "ukcp", "bps", "hcpc", "nice", "iapt", "talking",
          "person-centred", "person-centered", "trauma-informed", "gestalt", "jungian", "freudian", "rogerian",
          "psychodynamic", "mindfulness", "schema", "compassion-focused", "i", "i'm", "i've", "i'd", "i'll", "ok",
          "okay", "yeah", "dob", "um", "uh", "mm", "hmm", "zoom", "teams", "podcast", "covid", "christmas", "monday",
          "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "english", "british"}
"""Words that are never flagged on their own: therapy vocabulary, helplines, fillers, weekdays."""
_NEVER_PHRASES = [("person", "centred"), ("person", "centered"), ("internal", "family", "systems"),
                  ("nhs", "111"), ("nhs", "direct")]
_GLUE = {"the", "a", "an", "of", "and", "in", "on", "at", "to", "for", "my", "her", "his", "their", "our", "your",
         "'s", "&", "-"}
"""Words left of a name once known or allowed words are taken out, which are not flagged on their own."""
_NER_KIND = {"PERSON": "person", "LOCATION": "place", "ORGANIZATION": "workplace"}


@dataclass(frozen=True)
class Flag:
    """A run of words that looks like personal data."""

    first: int
    """Index of the first word in ``words``."""
    last: int
    """Index of the last word (inclusive)."""
    start: float
    """``words[first].start``, seconds."""
    end: float
    """``words[last].end``, seconds."""
    kind: str
    """One of :data:`KINDS`."""
    text: str
    """The flagged words joined by spaces, as in the transcript."""
    score: float
    """Confidence, 0..1."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Flag":
        """The flag :meth:`to_dict` wrote (unknown keys ignored)."""
        return cls(int(d["first"]), int(d["last"]), float(d["start"]), float(d["end"]), str(d["kind"]),
                   str(d["text"]), float(d["score"]))


def _key(tok: str) -> str:
    """A word compared with known people: normalised, possessive dropped ("Amira's" -> "amira")."""
    return re.sub(r"['’]s$", "", tok)


def _phrase_hits(toks: Sequence[str], phrase: Sequence[str]) -> Iterable[int]:
    n = len(phrase)
    for i in range(len(toks) - n + 1):
        if n and all(_key(toks[i + k]) == _key(phrase[k]) for k in range(n)):
            yield from range(i, i + n)


def _suppressed(toks: Sequence[str], known_people: Iterable[str], allow: Iterable[str]) -> set[int]:
    """Word indices never flagged: the known people's names (whole words: the full name, or any part of it on its
    own, so "Amira Haddad" covers "Amira" and "Haddad" but "Ann" never covers "Annabel"), allowed phrases, and
    therapy and helpline vocabulary."""
    out = {i for i, t in enumerate(toks) if t in _NEVER or not t}  # "" is a gap marker
    parts = {_key(rules.norm(p)) for name in known_people for p in str(name).split() if rules.norm(p)}
    out |= {i for i, t in enumerate(toks) if t and _key(t) in parts}
    for phrase in [tuple(rules.norm(p) for p in str(a).split()) for a in allow] + _NEVER_PHRASES:
        out |= set(_phrase_hits(toks, phrase))
    return out


def _lower_mode(words: Sequence[str]) -> bool:
    """Whether the text reads as lower-cased: under 3 % of its words start with a capital (Whisper's own casing
    has sentence starts, "I" and names, usually well over 5 %)."""
    alpha = [w for w in words if w[:1].isalpha()]
    return bool(alpha) and sum(w[0].isupper() for w in alpha) < 0.03 * len(alpha)


def _common(tok: str) -> bool:
    """A common lower-case English word, or an inflection of one ("phoning", "listened", "worries").

    >>> _common("phoning"), _common("sarah"), _common("worries")
    (True, False, True)
    """
    if tok in COMMON_LOWER:
        return True
    if "'" in tok or "’" in tok:
        return _common(re.split("['’]", tok)[0])
    for suffix, back in (("ing", ("", "e")), ("ed", ("", "e")), ("ies", ("y",)), ("es", ("", "e")), ("s", ("",)),
                         ("ly", ("",)), ("er", ("", "e"))):
        if tok.endswith(suffix) and len(tok) > len(suffix) + 2:
            stem = tok[: -len(suffix)]
            if any(stem + b in COMMON_LOWER for b in back) or (stem[-1:] == stem[-2:-1] and stem[:-1] in COMMON_LOWER):
                return True
    return False


def _truecase(word: str, tok: str) -> str:
    """``word`` capitalised when it is a lower-case word that is not common English (a likely name)."""
    if word[:1].islower() and tok.isalpha() and len(tok) > 1 and not _common(tok):
        return word[0].upper() + word[1:]
    return word


def _ner(texts: Sequence[str], starts: Sequence[int], real: Sequence[int], toks: Sequence[str]) -> list[tuple]:
    """Presidio's findings on each text (same offsets), as word spans."""
    from . import _presidio
    import bisect

    out = []
    for n, text in enumerate(texts):
        for h in _presidio.analyze(text):
            a = bisect.bisect_right(starts, h.start) - 1
            b = bisect.bisect_left(starts, h.end) - 1
            if a < 0 or b < a:
                continue
            first, last = real[a], real[b]
            digits = "".join(c for c in text[h.start:h.end] if c.isdigit())
            if h.entity in _NER_KIND:
                if n > 0 and h.entity == "ORGANIZATION":
                    continue  # the truecased copy turns rare words into organisations
                kind = _NER_KIND[h.entity]
                if kind == "place" and toks[last] in names.WORK_WORDS:
                    kind = "workplace"
                out.append((first, last, kind, h.score * (0.9 if n else 1.0), 1))
            elif h.entity == "EMAIL_ADDRESS":
                out.append((first, last, "email", h.score, 1))
            elif digits in numbers.HELPLINE_NUMBERS:
                continue
            elif h.entity == "UK_NHS" and "nhs" not in toks[max(0, first - 8):first]:
                continue  # without "NHS" the word rules decide (a phone read out, or a well-formed NHS number)
            elif h.entity == "UK_NHS" and not digits.startswith("0"):
                out.append((first, last, "nhs_number", h.score * 0.8, 1))
            elif h.entity in ("PHONE_NUMBER", "UK_NHS") and h.score >= 0.4:
                out.append((first, last, "phone", h.score, 1))
    return out


def _rank(kind: str, strength: int) -> tuple[int, int, int]:
    """Which of two overlapping candidates names the merged span: numbers, e-mails, dates and ages first; then,
    among names, a word rule over spaCy; then workplace over place over person."""
    specific = _PRIORITY[kind] if _PRIORITY[kind] > 3 else 0
    return specific, strength, _PRIORITY[kind]


def _resolve(cands: list[tuple], suppressed: set[int], toks: Sequence[str], plain) -> list[tuple]:
    """Drop suppressed words from name-like spans, and from spaCy's names the words a rule flagged; then merge
    overlapping spans, keeping the most specific kind (a person's name spaCy runs into an e-mail address is kept
    whole). ``plain(first, last)``: a leftover of spaCy's name that is only plain words ("Call" of "Call
    Childline"), dropped."""
    ruled = {i for first, last, kind, _, strength in cands if strength > 1 for i in range(first, last + 1)}
    # a name spaCy found running into an address ("Sarah Jones at Hotmail .com") stays whole and joins it
    mailed = {i for first, last, kind, _, strength in cands if kind == "email" for i in range(first, last + 1)}
    kept = []
    for first, last, kind, score, strength in cands:
        if kind in ("person", "place", "workplace"):
            drop = suppressed | (ruled - mailed if kind == "person" else ruled) if strength == 1 else suppressed
            run: list[int] = []
            for i in range(first, last + 2):
                if i <= last and i not in drop:
                    run.append(i)
                elif run:
                    if not all(toks[k] in _GLUE for k in run) and not (strength == 1 and plain(run[0], run[-1])):
                        kept.append((run[0], run[-1], kind, score, strength))
                    run = []
        elif not set(range(first, last + 1)) <= suppressed:
            kept.append((first, last, kind, score, strength))
    kept.sort()
    merged: list[list] = []
    for first, last, kind, score, strength in kept:
        if merged and first <= merged[-1][1]:
            m = merged[-1]
            m[1] = max(m[1], last)
            if _rank(kind, strength) > _rank(m[2], m[4]):
                m[2], m[3], m[4] = kind, score, strength
            elif kind == m[2]:
                m[3] = max(m[3], score)
        else:
            merged.append([first, last, kind, score, strength])
    return [tuple(m[:4]) for m in merged]


def _plain_words(ctx: names.Context, first: int, last: int) -> bool:
    """A spaCy name made only of common words that are lower-case or start a sentence ("Drop", "Honestly")."""
    return all(_common(ctx.toks[k]) and (ctx.initial[k] or not ctx.words[k][:1].isupper())
               for k in range(first, last + 1))


def find_personal_data(words: Sequence[Any], known_people: Iterable[str] = (), allow: Iterable[str] = ()) -> list[Flag]:
    """Flags for the personal data in ``words`` (``transcripts.Word`` or anything with ``.text``, ``.start`` and
    ``.end``), sorted by ``first`` and never overlapping.

    ``known_people``: the episode's hosts and guests (full or first names), never flagged. ``allow``: further
    phrases never flagged (a helpline's name, say). Gap markers such as ``[inaudible 12 s]`` and ``[redacted]``
    are skipped.
    """
    words = list(words)
    texts = [str(w.text).strip() for w in words]
    real = [i for i, t in enumerate(texts) if t and not _GAP.match(t)]
    if not real:
        return []
    real_set = set(real)
    toks = [rules.norm(t) if i in real_set else "" for i, t in enumerate(texts)]
    # the joined text: real words, with a full stop where a gap marker was so that names do not run across it
    parts, starts, at, prev = [], [], 0, None
    for i in real:
        if prev is not None and i != prev + 1:
            parts.append(".")
            at += 2
        starts.append(at)
        parts.append(texts[i])
        at += len(texts[i]) + 1
        prev = i
    text = " ".join(parts)
    rw, rt = [texts[i] for i in real], [toks[i] for i in real]
    lower = _lower_mode(rw)
    ner_texts = [text]
    if lower:
        pieces = list(text)
        for s, i in zip(starts, real):
            tc = _truecase(texts[i], toks[i])
            pieces[s:s + len(tc)] = tc
        ner_texts.append("".join(pieces))
    ctx = names.Context(rw, rt, lower, COMMON_LOWER)
    pos = {i: k for k, i in enumerate(real)}
    cands = [c for c in _ner(ner_texts, starts, real, toks)
             if c[2] not in ("person", "place", "workplace") or not _plain_words(ctx, pos[c[0]], pos[c[1]])]
    found = [*numbers.number_runs(rt, rw), *rules.written_emails(rt), *rules.spoken_emails(rt), *rules.whisper_emails(rt),
             *rules.ages(rt), *rules.dates_of_birth(rt), *names.addresses(ctx), *names.workplaces(ctx),
             *names.cued_names(ctx)]
    cands += [(real[a], real[b], kind, score, 2) for a, b, kind, score in found]

    flags = []
    for first, last, kind, score in _resolve(cands, _suppressed(toks, known_people, allow), toks,
                                               lambda a, b: _plain_words(ctx, pos[a], pos[b])):
        span = [i for i in range(first, last + 1) if i in real_set]
        flags.append(Flag(first, last, float(words[first].start), float(words[last].end), kind,
                          " ".join(texts[i] for i in span), round(min(1.0, score), 3)))
    return flags
