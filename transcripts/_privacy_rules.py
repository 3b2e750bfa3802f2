"""Word-level rules for personal data as people say it: spoken digits, spoken e-mails, dates of birth, ages,
numbers. Each rule takes normalised tokens (see ``norm``) and yields ``(first, last, kind,
score)`` with word indices, inclusive.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers

__all__ = ["norm", "read_digits", "small_number", "number_runs", "spoken_emails", "written_emails", "ages",
           "dates_of_birth", "nhs_valid", "HELPLINE_NUMBERS", "MONTHS", "END"]

Span = tuple[int, int, str, float]

_DIGIT = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0", "one": "1", "two": "2", "three": "3",
          "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_TEEN = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30}
MONTHS = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july",
                                           "august", "september", "october", "november", "december"])}
MONTHS.update({m[:3]: n for m, n in list(MONTHS.items())} | {"sept": 9})
HELPLINE_NUMBERS = frozenset({"116123", "999", "111", "112", "101", "08001111", "85258", "116111", "08088025544",
                              "0300123393", "03001233393", "08457909090"})
"""Public helplines and emergency numbers (Samaritans, Childline, Shout, Mind...): never flagged as phones."""
END = re.compile(r"[.,?!;:]$")


def norm(text: str) -> str:
    """A word as the rules compare it: lower case, surrounding punctuation and quotes removed.

    >>> norm("Smith,"), norm('"Hello!"'), norm("jane.doe@gmail.com."), norm("+44")
    ('smith', 'hello', 'jane.doe@gmail.com', '+44')
    """
    return text.strip().lower().strip("\"“”‘’()[]{}").rstrip(".,?!;:…").lstrip("'").strip("\"“”()")


def read_digits(toks: Sequence[str], i: int) -> tuple[str, int]:
    """Digits read from ``toks[i:]`` (normalised), spoken or written, and the index after the last token used.

    Stops after a token that ends a clause in the original (callers pass normalised tokens, so they split runs
    themselves). ``double``/``triple`` repeat the next digit; "oh", "zero" and "nought" are 0; "nine hundred" is
    900; "twenty one" is 21.

    >>> read_digits("oh seven seven double oh nine hundred one two three".split(), 0)
    ('07700900123', 10)
    >>> read_digits(["+44", "20", "7946", "0958"], 0)
    ('+442079460958', 4)
    >>> read_digits("triple five two".split(), 0)
    ('5552', 3)
    """
    out, j = "", i
    while j < len(toks):
        t = toks[j]
        nxt = toks[j + 1] if j + 1 < len(toks) else ""
        if re.fullmatch(r"\+?\d+(-\d+)*", t):
            out += t.replace("-", "")
        elif t == "plus" and not out and (nxt.isdigit() or nxt in _DIGIT):
            out += "+"
        elif t in ("o", "oh") and not out and not (nxt in _DIGIT or nxt.isdigit() or nxt in ("double", "triple")):
            break
        elif t in _DIGIT:
            out += _DIGIT[t]
        elif t in ("double", "triple") and nxt in _DIGIT:
            out += _DIGIT[nxt] * (2 if t == "double" else 3)
            j += 1
        elif t in _TEEN:
            out += str(_TEEN[t])
        elif t in _TENS:
            if nxt in _DIGIT and _DIGIT[nxt] != "0":
                out += str(_TENS[t] + int(_DIGIT[nxt]))
                j += 1
            else:
                out += str(_TENS[t])
        elif t == "hundred" and out and out[-1].isdigit() and j > i and toks[j - 1] in _DIGIT:
            out += "00"
        elif t == "thousand" and out and out[-1].isdigit():
            out += "000"
        else:
            break
        j += 1
    return out, j


def small_number(toks: Sequence[str], i: int) -> tuple[int | None, int]:
    """A number from 1 to 119 at ``toks[i]``: digits, or words ("forty two", "forty-two", "a hundred").

    >>> small_number(["forty", "two", "year"], 0), small_number(["34"], 0), small_number(["forty-two"], 0)
    ((42, 2), (34, 1), (42, 1))
    """
    if i >= len(toks):
        return None, i
    t = toks[i]
    if t.isdigit():
        return (int(t), i + 1) if 0 < int(t) < 120 else (None, i)
    if "-" in t and all(p in _TENS or p in _DIGIT for p in t.split("-")):
        a, _, b = t.partition("-")
        return (_TENS.get(a, 0) + int(_DIGIT.get(b, "0")) or None), i + 1
    if t in _TEENS_AND_DIGITS:
        return _TEENS_AND_DIGITS[t], i + 1
    if t in _TENS:
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if nxt in _DIGIT and _DIGIT[nxt] != "0":
            return _TENS[t] + int(_DIGIT[nxt]), i + 2
        return _TENS[t], i + 1
    if t in ("hundred",) or (t == "a" and i + 1 < len(toks) and toks[i + 1] == "hundred"):
        return 100, i + (1 if t == "hundred" else 2)
    return None, i


_TEENS_AND_DIGITS = {k: int(v) for k, v in _DIGIT.items() if v != "0"} | _TEEN


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


def number_runs(toks: Sequence[str], ends: Sequence[bool]) -> Iterator[Span]:
    """Phone numbers and NHS numbers among runs of digits, spoken or written.

    ``ends[k]`` is True where word ``k`` ended a clause (a comma or full stop after it). A 10-digit run is an
    NHS number when "NHS" was said just before it (spoken or written), or when written and it passes the mod-11
    check and is no UK phone number; otherwise a run of 9 to 13 digits that phonenumbers finds possible is a phone.
    Helpline numbers are never flagged.
    """
    i = 0
    while i < len(toks):
        j_stop = i
        while j_stop < len(toks) and not ends[j_stop]:
            j_stop += 1
        digits, j = read_digits(toks[: j_stop + 1], i)
        if j == i:
            i += 1
            continue
        nhs_context = "nhs" in toks[max(0, i - 8):i]
        # unpunctuated text runs numbers together ("... six five twenty minutes"): try shorter runs too
        for end in range(j, i, -1):
            found = _number_kind(read_digits(toks[:end], i)[0], toks[i:end], nhs_context)
            if found:
                yield i, end - 1, *found
                i = end
                break
        else:
            i = j


def _number_kind(digits: str, said: Sequence[str], nhs_context: bool) -> tuple[str, float] | None:
    bare = digits.lstrip("+")
    written = all(re.fullmatch(r"\+?[\d-]+", t) for t in said)
    if len(bare) == 10 and nhs_context and (nhs_valid(bare) or not written):
        return "nhs_number", 1.0 if nhs_valid(bare) else 0.8
    if len(bare) == 10 and written and nhs_valid(bare) and not bare.startswith("0"):
        return "nhs_number", 0.6
    if bare not in HELPLINE_NUMBERS and (len(bare) in (10, 11) and bare.startswith("0")
                                         or 9 <= len(bare) <= 13 and _phone_possible(digits)):
        return "phone", 0.9
    return None


_TLDS = {"com", "co", "uk", "org", "net", "io", "ac", "gov", "nhs", "edu", "me", "info", "biz", "ie", "us", "de",
         "fr", "eu", "scot", "wales", "london", "email"}
_SEPS = {"dot", "underscore", "hyphen", "dash", "point"}
_NOT_USER = {"me", "him", "her", "us", "them", "it", "is", "was", "to", "line", "email", "mail", "you", "that",
             "this", "look", "me", "and", "or", "the", "a", "an", "be", "in", "on", "at"}
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")


def written_emails(toks: Sequence[str]) -> Iterator[Span]:
    """Written addresses, one token each (``jane.doe@gmail.com``)."""
    for k, t in enumerate(toks):
        if _EMAIL.match(t):
            yield k, k, "email", 1.0


def spoken_emails(toks: Sequence[str]) -> Iterator[Span]:
    """Spoken addresses: "jane dot doe at gmail dot com", "jane underscore doe forty two at outlook dot co dot uk".

    >>> list(spoken_emails("email me at jane dot doe at gmail dot com please".split()))
    [(3, 9, 'email', 0.9)]
    """
    for a, t in enumerate(toks):
        if t not in ("at", "@") or a == 0:
            continue
        # the domain: name (dot name)+ ending in a known top-level domain, or "gmail.com"
        j = a + 1
        if j < len(toks) and re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", toks[j]) and toks[j].rsplit(".", 1)[1] in _TLDS:
            end = j
        else:
            end = None
            while j + 2 < len(toks) + 0 and toks[j + 1] in ("dot", "point") and re.fullmatch(r"[a-z0-9-]+", toks[j]):
                if toks[j + 2] in _TLDS:
                    end = j + 2
                j += 2
            if end is None:
                continue
        # the user part: words joined by separators, and numbers said after it
        u = a - 1
        while u >= 0 and (toks[u] in _TEENS_AND_DIGITS or toks[u] in _TENS or toks[u].isdigit()) and u > 0:
            u -= 1
        if toks[u] in _NOT_USER or toks[u] in _SEPS or not re.fullmatch(r"[\w.'-]+", toks[u]):
            continue
        while u >= 2 and toks[u - 1] in _SEPS and toks[u - 2] not in _NOT_USER:
            u -= 2
        yield u, end, "email", 0.9


_BIRTH_TRIGGER = {"born", "dob", "d.o.b", "birth", "birthday"}
_FILLER = {"on", "the", "is", "was", "in", "it's", "its", "of", "date", "as", "be", "being", ",", "-", "like"}
_NUMERIC_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})$")


def _day(toks: Sequence[str], i: int) -> int:
    """Index after a day of the month at ``toks[i]`` ("3rd", "3", "third", "twenty first"), or ``i``."""
    if i >= len(toks):
        return i
    t = toks[i]
    if re.fullmatch(r"([1-9]|[12]\d|3[01])(st|nd|rd|th)?", t) or t in _ORDINAL:
        return i + 1
    if t in ("twenty", "thirty") and i + 1 < len(toks) and toks[i + 1] in _ORDINAL:
        return i + 2
    n, j = small_number(toks, i)
    return j if n is not None and n <= 31 else i


def _year(toks: Sequence[str], i: int) -> int:
    """Index after a year at ``toks[i]`` ("1984", "nineteen eighty four", "two thousand and seven"), or ``i``."""
    if i >= len(toks):
        return i
    if re.fullmatch(r"(19|20)\d\d|'?\d\d", toks[i]):
        return i + 1
    if toks[i] in ("nineteen", "eighteen", "twenty") and i + 1 < len(toks):
        nxt = toks[i + 1]
        if nxt in ("oh", "o") and i + 2 < len(toks) and toks[i + 2] in _DIGIT:
            return i + 3
        if nxt == "hundred":
            return i + 2
        n, j = small_number(toks, i + 1)
        if n is not None and n >= 10:
            return j
    if toks[i] == "two" and i + 1 < len(toks) and toks[i + 1] == "thousand":
        j = i + 2
        if j < len(toks) and toks[j] == "and":
            j += 1
        n, k = small_number(toks, j)
        return k if n is not None else i + 2
    return i


def _date(toks: Sequence[str], i: int) -> int:
    """Index after a calendar date starting at ``toks[i]``, or ``i``.

    >>> _date("the 3rd of may 1984 and".split(), 0), _date("twelfth of march nineteen ninety".split(), 0)
    (5, 5)
    >>> _date("two thousand and seven".split(), 0), _date("two sessions".split(), 0)
    (4, 0)
    """
    if i < len(toks) and _NUMERIC_DATE.match(toks[i]):
        return i + 1
    j = i + (1 if i < len(toks) and toks[i] == "the" else 0)
    d = _day(toks, j)
    if d > j:
        m = d + (1 if d < len(toks) and toks[d] == "of" else 0)
        if m < len(toks) and toks[m] in MONTHS:
            return _year(toks, m + 1)
    if j < len(toks) and toks[j] in MONTHS:
        d = _day(toks, j + 1)
        if d > j + 1:
            return _year(toks, d)
        y = _year(toks, j + 1)
        return y if y > j + 1 else i
    y = _year(toks, i)
    return y if y > i and toks[i][:1].isdigit() or y > i + 1 else i


def dates_of_birth(toks: Sequence[str]) -> Iterator[Span]:
    """A date said just after "born", "date of birth", "DOB" or "birthday".

    >>> list(dates_of_birth("she was born on the 3rd of may 1984 in leeds".split()))
    [(4, 8, 'date_of_birth', 0.9)]
    """
    for k, t in enumerate(toks):
        if t not in _BIRTH_TRIGGER:
            continue
        i = k + 1
        while i < len(toks) and i - k <= 4 and toks[i] in _FILLER - {"the"}:
            i += 1
        end = _date(toks, i)
        if end > i:
            yield i, end - 1, "date_of_birth", 0.9


_UNITS = {"minutes", "minute", "mins", "hours", "hour", "days", "day", "weeks", "week", "months", "month", "times",
          "sessions", "session", "percent", "per", "people", "clients", "pounds", "quid", "miles", "foot", "feet",
          "inches", "stone", "kilos", "o'clock", "am", "pm", "of", "or", "out", "hundred", "thousand", "million",
          "grand", "kids", "children", "things", "points", "goals", "pages", "steps", "x"}
_AGE_SUBJECT = {"she's", "he's", "i'm", "they're", "you're", "she", "he", "i", "they", "you"}
_AGE_VERB = {"is", "was", "am", "are", "were", "turned", "turns", "'s"}
_AGE_SOFT = {"only", "just", "nearly", "almost", "about", "now", "barely", "already", "still", "maybe", "like"}


def ages(toks: Sequence[str]) -> Iterator[Span]:
    """Ages: "aged 9", "a forty two year old", "34-year-old", "she's 34", "when he was twelve".

    >>> list(ages("a forty two year old man".split())), list(ages("she's only 34 you know".split()))
    ([(1, 4, 'age', 0.9)], [(2, 2, 'age', 0.8)])
    >>> list(ages("she's one of the best".split())), list(ages("it's twenty minutes".split()))
    ([], [])
    """
    done = -1
    for k, t in enumerate(toks):
        if k <= done:
            continue
        if re.fullmatch(r"(\d{1,3}|[a-z]+(-[a-z]+)?)-years?-old", t) and small_number([t.split("-year")[0]], 0)[0]:
            yield k, k, "age", 0.9
            continue
        n, j = small_number(toks, k)
        if n is None:
            continue
        after = toks[j:j + 2]
        if after[:1] in (["year-old"], ["years-old"]) or (len(after) == 2 and after[0] in ("year", "years")
                                                             and after[1] == "old"):
            done = j - 1 + (1 if after[:1] in (["year-old"], ["years-old"]) else 2)
            yield k, done, "age", 0.9
            continue
        if after[:1] and after[0] in _UNITS:
            continue
        p = k - 1
        while p >= 0 and toks[p] in _AGE_SOFT:
            p -= 1
        if p < 0:
            continue
        if toks[p] in ("aged", "age") or (toks[p] == "of" and p > 0 and toks[p - 1] == "age"):
            yield k, j - 1, "age", 0.9
        elif toks[p] in ("she's", "he's", "i'm", "they're") or (
                toks[p] in _AGE_VERB and p > 0 and toks[p - 1] in _AGE_SUBJECT):
            yield k, j - 1, "age", 0.8
