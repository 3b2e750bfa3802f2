"""Web addresses heard in a transcript: written ones (``example.org/help``) and spoken ones
(``example dot org slash help``)."""
from __future__ import annotations

import re

from ._types import Link

_TLDS = ("com|org|net|edu|gov|io|co|uk|info|ie|au|nz|ca|de|fr|nl|eu|me|app|dev|fm|tv|us|health|care|"
         "community|online|site|blog|page|link|news|social")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_WRITTEN = re.compile(
    rf"(?<![@\w.-])(?:https?://)?(?:www\.)?(?:{_LABEL}\.)+(?:{_TLDS})\b(?:/[\w\-./%?=&#~+]*[\w/])?",
    re.IGNORECASE)
_SPOKEN = re.compile(
    rf"\b(?:w w w dot |www dot )?((?:{_LABEL}(?: dash {_LABEL})* dot )+(?:{_TLDS}))\b((?: (?:slash|forward slash) {_LABEL}(?: dash {_LABEL})*)*)",
    re.IGNORECASE)


def find_links(text: str) -> list[Link]:
    """Distinct web addresses mentioned in ``text``, in order, as https links.

    >>> [l.url for l in find_links("Visit mind dot org dot uk slash peer dash support, or see https://bacp.co.uk/x.")]
    ['https://mind.org.uk/peer-support', 'https://bacp.co.uk/x']
    >>> find_links("We met at 3.30 and talked. Email me at ann@example.org")
    []
    """
    found: list[tuple[int, str]] = []
    for m in _WRITTEN.finditer(text):
        u = m.group(0).rstrip(".,;:")
        if not re.match(r"https?://", u, re.IGNORECASE):
            u = "https://" + u
        found.append((m.start(), u))
    for m in _SPOKEN.finditer(text):
        host = re.sub(r" dash ", "-", m.group(1), flags=re.IGNORECASE)
        host = re.sub(r" dot ", ".", host, flags=re.IGNORECASE).lower()
        path = re.sub(r" (?:forward )?slash ", "/", m.group(2) or "", flags=re.IGNORECASE)
        path = re.sub(r" dash ", "-", path, flags=re.IGNORECASE).lower()
        found.append((m.start(), f"https://{host}{path}"))
    out: list[Link] = []
    seen: set[str] = set()
    for _, u in sorted(found):
        key = re.sub(r"^https?://(www\.)?", "", u.lower()).rstrip("/")
        if key not in seen:
            seen.add(key)
            out.append(Link(re.sub(r"^https?://", "", u), u, "spoken"))
    return out
