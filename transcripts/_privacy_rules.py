"""Word-level rules for personal data as people say it: spoken e-mails (and as Whisper writes them), dates of
birth, ages. Phone and NHS numbers are in ``_privacy_numbers``. Each rule takes normalised tokens (see ``norm``) and
yields ``(first, last, kind, score)`` with word indices, inclusive.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

__all__ = ["norm", "small_number", "spoken_emails", "written_emails", "whisper_emails", "ages", "dates_of_birth",
           "MONTHS", "END"]

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
END = re.compile(r"[.,?!;:]$")


def norm(text: str) -> str:
    """A word as the rules compare it: lower case, surrounding punctuation and quotes removed.

    >>> norm("Smith,"), norm('"Hello!"'), norm("jane.doe@gmail.com."), norm("+44")
    ('smith', 'hello', 'jane.doe@gmail.com', '+44')
    """
    return text.strip().lower().strip("\"“”‘’()[]{}").rstrip(".,?!;:…").lstrip("'").strip("\"“”()")


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


_TLDS = {"com", "co", "uk", "org", "net", "io", "ac", "gov", "nhs", "edu", "me", "info", "biz", "ie", "us", "de",
         "fr", "eu", "scot", "wales", "london", "email"}
_SEPS = {"dot", "underscore", "hyphen", "dash", "point"}
_NOT_USER = {"me", "him", "her", "us", "them", "it", "is", "was", "to", "line", "email", "mail", "you", "that",
             "this", "look", "me", "and", "or", "the", "a", "an", "be", "in", "on", "at"}
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")


def written_emails(toks: Sequence[str]) -> Iterator[Span]:
    """Written addresses, one token each (``jane.doe@gmail.com``), with a user part said before it ("jane dot
    doe@gmail.com").

    >>> list(written_emails("email jane dot doe@gmail.com now".split()))
    [(1, 3, 'email', 1.0)]
    """
    for k, t in enumerate(toks):
        if _EMAIL.match(t):
            u = k
            while u >= 2 and toks[u - 1] in _SEPS and re.fullmatch(r"[\w'-]+", toks[u - 2]) and toks[u - 2] not in _NOT_USER:
                u -= 2
            yield u, k, "email", 1.0


_TAIL = re.compile(r"\.[a-z0-9-]+")
_EMAIL_CUES = {"email", "e-mail", "emails", "emailed", "mail", "address", "contact", "write", "send", "sent"}


def whisper_emails(toks: Sequence[str]) -> Iterator[Span]:
    """Addresses as Whisper writes a spoken one, with the dots as their own words: "Sarah Jones at Hotmail .com",
    "emmer .wilser .gmail .com", "mikeatyaboo .com", "jane .co .net". A name with such a tail is an address when
    "at" (or "and", Whisper's mishearing of it) links a user part to it, or an e-mail word ("email", "address",
    "contact", "write", "send") comes in the 8 words before; otherwise it is a web site ("amazon .com") and left.

    >>> list(whisper_emails("The email is Sarah at Hotmail .com".lower().split()))
    [(3, 6, 'email', 0.8)]
    >>> list(whisper_emails("email me at jane .com".split())), list(whisper_emails("i shop on amazon .com".split()))
    ([(3, 4, 'email', 0.7)], [])
    """
    done = -1
    for end, t in enumerate(toks):
        if end <= done or not (_TAIL.fullmatch(t) and t[1:] in _TLDS) or end == 0:
            continue
        while end + 1 < len(toks) and _TAIL.fullmatch(toks[end + 1]) and toks[end + 1][1:] in _TLDS:
            end += 1  # ".co .uk"
        d = end  # back over the domain: tails and the words before them ("mn .wealsonat email .com")
        while d > 0 and _TAIL.fullmatch(toks[d]):
            d -= 1
            if d > 0 and _TAIL.fullmatch(toks[d - 1]) and re.fullmatch(r"[\w'-]+", toks[d]):
                d -= 1
        if _TAIL.fullmatch(toks[d]) or not re.fullmatch(r"[\w'-]+", toks[d]):
            continue
        first, score = d, 0.7
        if d >= 2 and toks[d - 1] in ("at", "@", "and") and re.fullmatch(r"[\w.'-]+", toks[d - 2]) \
                and toks[d - 2] not in _NOT_USER:
            first, score = d - 2, 0.8
        elif toks[d] in _NOT_USER and d == end - 1:
            continue  # "email .com", "me .com"
            while first >= 2 and toks[first - 1] in _SEPS and toks[first - 2] not in _NOT_USER:
                first -= 2
        cued = any(w in _EMAIL_CUES for w in toks[max(0, first - 8):first])
        if cued or (score == 0.8 and toks[d - 1] != "and"):
            done = end
            yield first, end, "email", score


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
        m = d + (1 if d < len(toks) and toks[d] in ("of", "on") else 0)  # Whisper: "the fourth on July"
        if m < len(toks) and toks[m] in MONTHS:
            return _year(toks, m + 1)
    if j < len(toks) and toks[j] in MONTHS:
        d = _day(toks, j + 1 + (j + 1 < len(toks) and toks[j + 1] == "the"))
        if d > j + 1:
            return _year(toks, d)
        y = _year(toks, j + 1)
        return y if y > j + 1 else i
    y = _year(toks, i)
    return y if y > i and toks[i][:1].isdigit() or y > i + 1 else i


_BIRTH_STOP = {"moved", "married", "left", "qualified", "started", "since", "until", "after", "before", "when"}


def _fragments(toks: Sequence[str], i: int) -> int:
    """Index after a date Whisper wrote in pieces ("3 -5 -8 -4", "3 /5 /84"), or ``i``."""
    j = i
    while j < len(toks) and re.fullmatch(r"\d{1,4}" if j == i else r"[-/.]\d{1,4}", toks[j]):
        j += 1
    return j if j - i >= 3 else i


def dates_of_birth(toks: Sequence[str]) -> Iterator[Span]:
    """A date said just after "born", "date of birth", "DOB" or "birthday"; as Whisper writes it too: in pieces
    ("born on 3 -5 -8 -4"), or misheard with a year soon after ("born on the third and made 1980").

    >>> list(dates_of_birth("she was born on the 3rd of may 1984 in leeds".split()))
    [(4, 8, 'date_of_birth', 0.9)]
    """
    for k, t in enumerate(toks):
        if t not in _BIRTH_TRIGGER:
            continue
        i = k + 1
        while i < len(toks) and i - k <= 4 and toks[i] in _FILLER - {"the"}:
            i += 1
        end, score = _date(toks, i), 0.9
        if end == i:  # Whisper: "3 -5 -8 -4"; "on the third and made 1980" (a year soon after "born")
            end = _fragments(toks, i)
        if end == i:
            year = next((y for y in range(i, min(len(toks), i + 6)) if re.fullmatch(r"(19|20)\d\d", toks[y])), None)
            end, score = (year + 1 if year is not None and not {*toks[i:year]} & _BIRTH_STOP else i), 0.7
            if end > i:  # from the day or month said before the year, if any ("in Leeds in 1990": the year)
                i = next((d for d in range(i, year) if _day(toks, d + (toks[d] == "the")) > d + (toks[d] == "the")
                          or toks[d] in MONTHS), year)
        if end > i:
            yield i, end - 1, "date_of_birth", score


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
