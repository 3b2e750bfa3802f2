"""Phone numbers and NHS numbers in transcript words, spoken or written, and as Whisper writes spoken digits.

Whisper (tiny.en above all) writes a number read out digit by digit in odd ways: ``077 -0 -0 -0 -9 -0 -0 -1 -2
-3``, ``0, 7, 7, 0, 9, 0, 1, 2, 3,``, ``1 ,2 ,3``, ``1 0 7 7 0 0 9 100 120 3``, ``o7``, or words with commas
("zero seven, seven zero zero nine hundred, one hundred and twenty three"). ``number_runs`` reads such runs
(commas inside a run do not end it; a full stop does) and calls a run a phone number when it has a phone's shape
(10 to 12 digits starting with 0, or +44, or an international number phonenumbers finds possible), or when it has
at least 7 digits and a word such as "call", "ring", "number", "mobile", "text" or "reach" comes just before it;
an NHS number when it has 10 digits and "NHS" was said just before it (or it is written as one token or as 3-3-4
digits and passes the mod-11 check). Public helplines and counting ("1, 2, 3, 4, 5, 6, 7") are never flagged.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers

from ._privacy_rules import _DIGIT, _TEEN, _TENS, small_number

__all__ = ["read_digits", "number_runs", "nhs_valid", "HELPLINE_NUMBERS", "PHONE_CUES"]

Span = tuple[int, int, str, float]

HELPLINE_NUMBERS = frozenset({"116123", "999", "111", "112", "101", "08001111", "85258", "116111", "08088025544",
                              "0300123393", "03001233393", "08457909090"})
"""Public helplines and emergency numbers (Samaritans, Childline, Shout, Mind...): never flagged as phones."""
PHONE_CUES = frozenset({"call", "calls", "called", "calling", "ring", "rang", "ringing", "number", "numbers",
                        "number's", "phone", "phoned", "phoning", "mobile", "mobile's", "text", "texted", "texting",
                        "reach", "contact", "landline", "dial", "dialled", "whatsapp", "tel", "telephone",
                        "extension", "cell"})
"""Words that, just before a run of at least 7 digits, make it a phone number."""
_CUE_WINDOW = 6
_NHS_WINDOW = 8
_WRITTEN = re.compile(r"\+?\d+(?:[-–]\d+)*")
_HARD_END = re.compile(r"[.?!…]$")


def _clean(t: str) -> str:
    """A token as a digit piece: Whisper's leading "-", "," or "." dropped ("-0" -> "0", ",2" -> "2")."""
    return t.lstrip(",.-–") if len(t) > 1 else t


def _starts(toks: Sequence[str], j: int) -> bool:
    """Whether ``toks[j]`` can start or continue a run of digits."""
    if j >= len(toks):
        return False
    t = _clean(toks[j])
    return bool(_WRITTEN.fullmatch(t) or re.fullmatch(r"o\d+", t)) or t in _DIGIT or t in _TEEN or t in _TENS \
        or t in ("double", "triple")


def _tens_units(toks: Sequence[str], j: int) -> tuple[int | None, int]:
    """A number 1..99 at ``toks[j]`` ("twenty three", "12", "five"), and the index after it."""
    if j >= len(toks) or toks[j] in ("a", "hundred"):
        return None, j
    n, k = small_number([_clean(toks[j]), *toks[j + 1:j + 2]], 0)
    return (n, j + k) if n is not None and n < 100 else (None, j)


def _read(toks: Sequence[str], i: int) -> tuple[str, int, list[str]]:
    """Digits read from ``toks[i:]``, the index after the last token used, and the pieces (one per number said)."""
    out, j, pieces = "", i, []
    while j < len(toks):
        t = _clean(toks[j])
        nxt = toks[j + 1] if j + 1 < len(toks) else ""
        piece = ""
        if _WRITTEN.fullmatch(t) and not (t.startswith("+") and out):
            piece = re.sub(r"[-–]", "", t)
        elif re.fullmatch(r"o\d+", t):
            piece = "0" + t[1:]
        elif t == "plus" and not out and (_clean(nxt).isdigit() or nxt in _DIGIT):
            piece = "+"
        elif t in ("o", "oh") and not out and not (nxt in _DIGIT or _clean(nxt).isdigit() or nxt in ("double", "triple")):
            break
        elif t in _DIGIT:
            piece = _DIGIT[t]
        elif t in ("double", "triple") and (nxt in _DIGIT or re.fullmatch(r"\d", nxt)):
            piece = _DIGIT.get(nxt, nxt) * (2 if t == "double" else 3)
            j += 1
        elif t in _TEEN or t in _TENS:
            n, k = _tens_units(toks, j)
            piece, j = str(n), k - 1
        elif t == "and" and len(out) >= 5 and _starts(toks, j + 1) and toks[j - 1] not in ("hundred", "thousand"):
            pass  # Whisper's "10100 and 23"
        elif t in ("hundred", "thousand") and pieces and out[-1:].isdigit():
            # "nine hundred" 900, "one hundred and twenty three" 123, "nine hundred one two three" 900 1 2 3
            k = j + 1 + (nxt == "and")
            n, after = _tens_units(toks, k) if k < len(toks) and (nxt == "and" or toks[k] in _TEEN or toks[k] in _TENS) \
                else (None, k)
            width = 2 if t == "hundred" else 3
            piece = f"{n:0{width}d}" if n is not None else "0" * width
            j = after - 1 if n is not None else j
        else:
            break
        out += piece
        if piece:
            pieces.append(piece)
        j += 1
    return out, j, pieces


def read_digits(toks: Sequence[str], i: int) -> tuple[str, int]:
    """Digits read from ``toks[i:]`` (normalised), spoken or written, and the index after the last token used.

    ``double``/``triple`` repeat the next digit; "oh", "zero" and "nought" are 0; "nine hundred" is 900; "one
    hundred and twenty three" is 123; "twenty one" is 21; Whisper's ``-0`` and ``,2`` are digits.

    >>> read_digits("oh seven seven double oh nine hundred one two three".split(), 0)
    ('07700900123', 10)
    >>> read_digits(["+44", "20", "7946", "0958"], 0)
    ('+442079460958', 4)
    >>> read_digits("triple five two".split(), 0)
    ('5552', 3)
    >>> read_digits("077 -0 -0 -0 -9 -0 -0 -1 -2 -3 and".split(), 0)
    ('077000900123', 10)
    >>> read_digits("zero seven seven zero zero nine hundred one hundred and twenty three".split(), 0)
    ('07700900123', 12)
    """
    digits, j, _ = _read(toks, i)
    return digits, j


def nhs_valid(digits: str) -> bool:
    """The NHS number mod-11 check.

    >>> nhs_valid("9434765919"), nhs_valid("9434765918")
    (True, False)
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1))) % 11
    return (0 if check == 11 else check) == int(digits[9])


def _phone_possible(digits: str) -> bool:
    try:
        n = phonenumbers.parse(digits, None if digits.startswith("+") else "GB")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(n)


def _counting(pieces: Sequence[str]) -> bool:
    """Pieces that count up ("1, 2, 3, 4, 5, 6, 7"), or list years ("2019, 2020"): not a phone number."""
    nums = [int(p) for p in pieces if p.isdigit()]
    if len(nums) >= 4 and all(b == a + 1 for a, b in zip(nums, nums[1:])):
        return True
    return sum(1 for p in pieces if len(p) == 4 and p[:2] in ("19", "20")) >= 2


def number_runs(toks: Sequence[str], words: Sequence[str]) -> Iterator[Span]:
    """Phone numbers and NHS numbers among runs of digits: ``toks`` normalised, ``words`` as written.

    A run goes on over a comma when the next word is a digit too, and stops at a full stop. Unpunctuated text runs
    numbers together ("... one two three twenty minutes"), so shorter runs are tried too: first for a number of a
    definite shape (see the module's docstring), then, where a phone word comes just before, for 7 digits or more.
    """
    i = 0
    while i < len(toks):
        if toks[i] != "plus" and not _starts(toks, i):
            i += 1
            continue
        stop = i
        while stop < len(toks) and not (_HARD_END.search(words[stop])
                                         or words[stop].endswith((",", ";", ":")) and not _starts(toks, stop + 1)):
            stop += 1
        digits, j, pieces = _read(toks[: stop + 1], i)
        if j == i:
            i += 1
            continue
        nhs = "nhs" in toks[max(0, i - _NHS_WINDOW):i]
        cue = any(t in PHONE_CUES for t in toks[max(0, i - _CUE_WINDOW):i])
        found = None
        for lenient in (False, True):
            for end in range(j, i, -1):
                d, _, p = _read(toks[:end], i) if end < j else (digits, j, pieces)
                kind = _number_kind(d, p, nhs, cue, lenient)
                if kind:
                    found = (end, kind)
                    break
            if found:
                break
        if found:
            yield i, found[0] - 1, *found[1]
            i = found[0]
        else:
            i = j


def _number_kind(digits: str, pieces: Sequence[str], nhs_context: bool, cue: bool,
                 lenient: bool) -> tuple[str, float] | None:
    """The kind of a run of digits, or None. ``cue``: a phone word came just before; ``lenient``: the second pass,
    in which a cue makes 7 digits or more a phone number."""
    bare = digits.lstrip("+")
    shaped = [len(p) for p in pieces] in ([10], [3, 3, 4])
    if bare in HELPLINE_NUMBERS:
        return None
    if len(bare) == 10 and nhs_context and (nhs_valid(bare) or not shaped):
        return "nhs_number", 1.0 if nhs_valid(bare) else 0.8
    if len(bare) == 10 and shaped and nhs_valid(bare) and not bare.startswith("0") and not (nhs_context or cue):
        return "nhs_number", 0.6
    if lenient and nhs_context and 9 <= len(bare) <= 11 and not bare.startswith("0") and not shaped:
        return "nhs_number", 0.7  # Whisper dropped or repeated a digit ("943 476 51919")
    if bare.startswith("0") and 10 <= len(bare) <= 12 and not _counting(pieces):
        return "phone", 0.9 if len(bare) < 12 else 0.8
    if digits.startswith(("+", "00")) and 9 <= len(bare) <= 15 and _phone_possible(digits):
        return "phone", 0.9
    if lenient and cue and len(bare) >= 7 and not _counting(pieces):
        return "phone", 0.8
    return None
