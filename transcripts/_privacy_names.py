"""Word rules for names, places and workplaces, which back up spaCy's entities and settle their kind.

spaCy's small model finds most capitalised names but often mixes up people, towns and organisations, and in
lower-case text it misses many. These rules read the words around a name: a title ("Mrs Davies"), a relation or
a verb of contact ("my colleague Sarah", "I rang Tom"), a preposition of place ("moved to Leeds"), a job ("a nurse
at St Mary's"), a street word ("14 Mill Lane") or an institution word ("Oakfield Primary School"). A word can be a
name when it is capitalised and does not start a sentence, or, in lower-case text, when it is not a common
lower-case English word (``_privacy_words``).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ._privacy_rules import END, MONTHS, small_number

__all__ = ["Context", "addresses", "workplaces", "cued_names", "WORK_WORDS"]

Span = tuple[int, int, str, float]

_STREET_STRONG = {"street", "road", "lane", "avenue", "crescent", "grove", "terrace", "gardens", "mews", "boulevard"}
_STREET_WEAK = {"close", "place", "way", "drive", "court", "row", "hill", "walk", "square", "parade", "green"}
_NOT_NAME = {"the", "a", "an", "this", "that", "my", "your", "our", "their", "his", "her", "its", "same", "main",
             "high", "busy", "long", "back", "side", "dead", "country", "ring", "one", "every", "down", "up",
             "across", "along", "on", "of", "in", "at", "to", "quiet", "narrow", "open", "empty", "wrong", "right",
             "next", "other", "big", "little", "whole", "middle", "end", "and", "or", "very", "so", "too", "no",
             "private", "public", "dirt", "slip", "b", "by", "from", "into", "onto", "off", "over", "near", "i",
             "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "christmas", "easter",
             "english", "british", "god", "mum", "dad", "mr", "mrs", "ms", "dr", "own", "local", "nearby", "usual",
             "noisy", "shopping", "crowded", "residential", "neighbouring", "neighboring", "same", "first", "last",
             "second", "third", "two", "three", "four", "five", *MONTHS}
WORK_WORDS = {"hospital", "school", "surgery", "practice", "academy", "college", "university", "infirmary",
              "hospice", "centre", "center", "clinic", "nursery", "prison", "council", "pharmacy", "bank", "library",
              "trust", "ward", "ltd", "limited", "plc", "partnership", "store", "factory", "supermarket", "co-op"}
"""Nouns that end the name of a workplace ("St Mary's Hospital", "Oakfield Primary School")."""
_WORK_MOD = {"primary", "secondary", "high", "junior", "infant", "infants", "grammar", "medical", "general",
             "health", "community", "dental", "royal", "district", "memorial", "children's", "sixth", "form",
             "city", "county", "leisure", "sports", "job", "family", "comprehensive", "catholic", "methodist",
             "baptist", "church", "teaching", "university", "mental", "care", "day", "gp"}
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "professor", "prof", "sir", "dame", "auntie", "uncle"}
_PERSON_CUE = {"called", "named", "client", "clients", "colleague", "partner", "husband", "wife", "boyfriend",
               "girlfriend", "son", "daughter", "mum", "mom", "dad", "mother", "father", "brother", "sister",
               "friend", "boss", "manager", "supervisor", "supervisee", "neighbour", "neighbor", "cousin", "aunt",
               "nan", "grandma", "grandad", "granddad", "lad", "girl", "boy", "man", "woman", "kid", "child",
               "told", "rang", "phoned", "texted", "emailed", "messaged", "supervised", "visited", "asked",
               "helped", "saw", "met", "with", "and", "fiancé", "fiance", "ex", "stepdad", "stepmum", "carer"}
_PERSON_AFTER = {"told", "said", "says", "rang", "phoned", "texted", "kept", "came", "wanted", "felt", "thinks",
                 "thought", "cried", "left", "asked"}
_PLACE_CUE = {"in", "from", "near", "to", "outside", "around", "towards", "round", "via"}
_WORK_CUE = {"works", "work", "working", "worked", "job", "employed", "shift", "shifts", "placement"}
_JOBS = {"nurse", "teacher", "receptionist", "doctor", "gp", "cleaner", "manager", "carer", "volunteer",
         "pharmacist", "assistant", "cashier", "worker", "administrator", "admin", "secretary", "student", "pupil",
         "consultant", "midwife", "porter", "chef", "counsellor", "counselor", "therapist", "psychologist", "tutor",
         "lecturer", "head", "headteacher", "driver", "engineer", "accountant", "solicitor", "paramedic", "intern",
         "apprentice", "supervisor", "director", "ta", "staff"}
_LOCATIVE_END = {"town", "city", "village", "centre", "center", "estate", "precinct"} | _STREET_STRONG | _STREET_WEAK


@dataclass
class Context:
    """The words as written, their normalised forms, and what the rules need to know about each."""

    words: Sequence[str]
    toks: Sequence[str]
    lower: bool
    """The text reads as lower-cased."""
    common: frozenset[str]

    def __post_init__(self) -> None:
        self.ends = [bool(END.search(w)) for w in self.words]
        self.initial = [k == 0 or bool(re.search(r"[.?!]$", self.words[k - 1])) for k in range(len(self.words))]

    def namey(self, k: int) -> bool:
        """Whether word ``k`` can be part of a proper name."""
        if k < 0 or k >= len(self.toks):
            return False
        tok, word = self.toks[k], self.words[k]
        if tok in _NOT_NAME or not re.fullmatch(r"[a-z][a-z'’.-]*", tok):
            return False
        rare = not all(p in self.common for p in re.split(r"['’-]s?", tok) if p)
        if word.lstrip("\"'(")[:1].isupper():
            return not self.initial[k] or rare
        return self.lower and rare

    def boundary(self, k: int) -> bool:
        """Word ``k`` ends a name: a clause ends after it, or it is a street or institution word."""
        return self.ends[k] or self.toks[k] in _STREET_STRONG or self.toks[k] in WORK_WORDS

    def run(self, k: int, most: int = 3) -> int:
        """The index of the last name word in the run starting at ``k`` (``k - 1`` when there is none)."""
        j = k - 1
        while j + 1 < len(self.toks) and j + 1 - k < most and self.namey(j + 1):
            j += 1
            if self.boundary(j):
                break
        return j


def addresses(c: Context) -> Iterator[Span]:
    """Street names and addresses: "Mill Lane", "14 Victoria Road", "on hawthorn close"."""
    for k, t in enumerate(c.toks):
        strong = t in _STREET_STRONG
        if not (strong or t in _STREET_WEAK) or k == 0 or c.ends[k - 1]:
            continue
        n = k - 1
        if not (c.namey(n) or (strong and c.toks[n] not in _NOT_NAME and c.toks[n].isalpha())):
            continue
        if not strong and not (c.words[k][:1].isupper() or c.lower):
            continue
        first = n
        if first > 0 and c.namey(first - 1) and not c.ends[first - 1]:
            first -= 1
        if first > 0 and (re.fullmatch(r"\d{1,4}[a-z]?", c.toks[first - 1])
                          or small_number(c.toks, first - 1)[1] == first):
            first -= 1
        yield first, k, "place", 0.85 if strong else 0.7


def _locative_tail(c: Context, k: int) -> int:
    """After a workplace ending at ``k``: the end of "on the high street", "in town", "in Preston", or ``k``."""
    j = k + 1
    if c.ends[k] or j >= len(c.toks) or c.toks[j] not in ("on", "in", "at", "near", "by", "off"):
        return k
    j += 1
    if j < len(c.toks) and c.toks[j] == "the":
        j += 1
    for m in range(j, min(j + 3, len(c.toks))):
        if c.toks[m] in _LOCATIVE_END or (m == j and c.namey(m)):
            end = c.run(m) if c.namey(m) and c.toks[m] not in _LOCATIVE_END else m
            return max(end, m)
        if c.ends[m]:
            break
    return k


def workplaces(c: Context) -> Iterator[Span]:
    """Named institutions: "St Mary's Hospital", "Oakfield Primary School", "the job centre in Preston"."""
    for k, t in enumerate(c.toks):
        if t not in WORK_WORDS:
            continue
        m = k - 1
        while m >= 0 and c.toks[m] in _WORK_MOD and not c.ends[m]:
            m -= 1
        if m >= 0 and not c.ends[m] and c.namey(m):
            first = m
            while first > 0 and not c.ends[first - 1] and k - first < 5 and (
                    c.namey(first - 1) or c.toks[first - 1] in ("st", "saint")):
                first -= 1
            yield first, _locative_tail(c, k), "workplace", 0.85
        elif m >= 0 and c.toks[m] == "the":
            end = _locative_tail(c, k)
            if end > k:
                yield m, end, "workplace", 0.7


def _extend(c: Context, first: int, last: int, kind: str) -> int:
    """A place or workplace found by a cue, extended over a street word or an institution word after it."""
    j = last
    while j + 1 < len(c.toks) and not c.ends[j] and (c.toks[j + 1] in _WORK_MOD or c.toks[j + 1] in WORK_WORDS
                                                      or c.toks[j + 1] in _STREET_STRONG | _STREET_WEAK):
        j += 1
    return _locative_tail(c, j) if kind == "workplace" else j


def cued_names(c: Context) -> Iterator[Span]:
    """Names whose kind the words around them say: a title or relation (person), a preposition of place (place),
    a job or "works at" (workplace)."""
    toks = c.toks
    for k in range(len(toks)):
        if not c.namey(k) or (k > 0 and c.namey(k - 1) and not c.boundary(k - 1)):
            continue
        last = c.run(k)
        p = k - 1
        if p >= 1 and toks[p] == "the" and not c.ends[p - 1]:
            p -= 1  # "works at the Co-op", "lives near the Royal Crescent"
        prev = toks[p] if p >= 0 else ""
        prev2 = toks[p - 1] if p >= 1 else ""
        if prev in _TITLES:
            yield p, last, "person", 0.9
        elif prev == "at" and (prev2 in _WORK_CUE or prev2 in _JOBS or prev2 in ("job", "shift")):
            yield k, _extend(c, k, last, "workplace"), "workplace", 0.85
        elif prev in ("for", "by") and prev2 in _WORK_CUE | {"referred", "employed", "hired", "sacked", "fired"}:
            yield k, _extend(c, k, last, "workplace"), "workplace", 0.8
        elif prev == "at" and prev2 in ("living", "lives", "live", "lived", "staying", "stays", "address", "house",
                                        "flat", "home"):
            yield k, _extend(c, k, last, "place"), "place", 0.7
        elif prev == "at" and c.toks[last] not in _STREET_STRONG | _STREET_WEAK:
            yield k, _extend(c, k, last, "workplace"), "workplace", 0.6
        elif prev in _PLACE_CUE and not (prev == "to" and prev2 in ("goes", "go", "went", "going")):
            kind = "workplace" if toks[_extend(c, k, last, "place")] in WORK_WORDS else "place"
            yield k, _extend(c, k, last, kind), kind, 0.7
        elif prev == "to" or prev == "on" and c.toks[last] in _STREET_STRONG | _STREET_WEAK:
            yield k, _extend(c, k, last, "workplace"), "workplace" if prev == "to" else "place", 0.6
        elif prev in _PERSON_CUE or (p >= 0 and c.ends[p] and prev in _PERSON_CUE):
            yield k, last, "person", 0.8
        elif last + 1 < len(toks) and toks[last + 1] in _PERSON_AFTER and not c.ends[last]:
            yield k, last, "person", 0.7
