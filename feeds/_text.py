"""User text made safe for the feed: plain text without markup, notes HTML sanitised, http(s) URLs
only, and ``podcast:person`` roles and groups from the Podcasting 2.0 taxonomy.

Titles, names, descriptions, keywords and funding texts come from organisers and volunteers
(sidecars, settings, the editor). lxml escapes them once for XML; that is not enough for an app that
shows a field as HTML (feedparser reads ``description`` as HTML; apps put titles into web views).
So markup is taken out of plain text before it is written: a tag of an HTML, SVG or MathML element,
and any tag with an attribute value (``<x onload=…>``), is removed; other text stays as typed, so
"Finding your people <in> private practice" and "Supervision <Gruppe & Kollegen>" still read so.
"""
from __future__ import annotations

import functools
import html
import re

import nh3

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# a tag as an HTML tokenizer starts one: "<" then a letter, "/", "!" or "?"; it runs to ">" (quoted
# values may hold ">") or to the end of the text, where a reader that appends more text would close it
_TAG = re.compile(r"""<(/?)([A-Za-z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)(?:>|$)|<[!?][^>]*(?:>|$)""")
_HTML_TOKEN = re.compile(r"""(<(?:[^>"]|"[^"]*")*>)""")   # nh3's output: attribute values double-quoted
_URL = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)

_ELEMENTS = frozenset("""
a abbr acronym address animate animatemotion animatetransform applet area article aside audio b base basefont
bdi bdo bgsound big blink blockquote body br button canvas caption center circle cite clippath code col colgroup
data datalist dd defs del desc details dfn dialog dir div dl dt ellipse em embed fe feblend fieldset figcaption
figure filter font footer foreignobject form frame frameset g h1 h2 h3 h4 h5 h6 head header hgroup hr html i
iframe image img input ins isindex kbd keygen label legend li line lineargradient link listing main map mark
marquee math menu menuitem meta meter mfrac mi mn mo mrow ms msub msup mtext multicol nav nextid nobr noembed
noframes noscript object ol optgroup option output p param path pattern picture plaintext polygon polyline
portal pre progress q radialgradient rb rect rp rt rtc ruby s samp script search section select set slot small
source spacer span stop strike strong style sub summary sup svg switch symbol table tbody td template text
textarea textpath tfoot th thead time title tr track tspan tt u ul use var video view wbr xmp
""".split())
"""Elements an HTML reader would make live (HTML, SVG and MathML); their tags are removed from plain text."""

TAXONOMY = {
    "Creative Direction": ("director", "assistant director", "executive producer", "senior producer", "producer",
                           "associate producer", "development producer", "creative director"),
    "Cast": ("host", "co-host", "guest host", "guest", "voice actor", "narrator", "announcer", "reporter"),
    "Writing": ("author", "editorial director", "co-writer", "writer", "songwriter", "guest writer", "story editor",
                "managing editor", "script editor", "script coordinator", "researcher", "editor", "fact checker",
                "translator", "translater", "transcriber", "logger"),
    "Audio Production": ("studio coordinator", "technical director", "technical manager", "audio engineer",
                         "remote recording engineer", "post production engineer"),
    "Audio Post-Production": ("audio editor", "sound designer", "foley artist", "composer", "theme music",
                              "music production", "music contributor"),
    "Administration": ("production coordinator", "booking coordinator", "production assistant", "content manager",
                       "marketing manager", "sales representative", "sales manager"),
    "Visuals": ("graphic designer", "cover art designer"),
    "Community": ("social media manager",),
    "Misc.": ("consultant", "intern"),
    "Video Production": ("camera operator", "lighting designer", "camera grip", "assistant camera"),
    "Video Post-Production": ("assistant editor",),
}
"""Podcasting 2.0 person groups and their roles (podcast-namespace ``taxonomy.json``, lower case: the
spec compares them case-insensitively; "Editor" is listed under Writing and Video Post-Production)."""
_GROUP_OF = {role: group.lower() for group, roles in TAXONOMY.items() for role in roles}


def clean(text) -> str:
    """Text made XML-safe (control characters dropped); escaping is lxml's job.

    >>> clean("a\\x00b <c> & d")
    'ab <c> & d'
    """
    return _XML_BAD.sub("", "" if text is None else str(text))


def _drop_markup(m: re.Match) -> str:
    """A tag as text when no reader can make it live: no known element and no attribute value.

    >>> _TAG.sub(_drop_markup, "Supervision <Gruppe & Kollegen>, <in> and <x onload=go()><img src=x>")
    'Supervision <Gruppe & Kollegen>, <in> and '
    """
    name = m.group(2)
    if name is not None and "=" not in m.group(3) and m.group(0).endswith(">") \
            and name.lower() not in _ELEMENTS:
        return m.group(0)              # "<in>", "<Gruppe & Kollegen>": no element, no value: text as typed
    return ""


@functools.lru_cache(maxsize=16384)
def plain(text) -> str:
    """Plain text for any field: XML-safe, and without markup an HTML reader would make live.

    >>> plain('Finding your people <in> private practice')
    'Finding your people <in> private practice'
    >>> plain('Ann"><img src=x onerror=alert(1)> & <b>Bo</b> <svg/onload=x> <!-- c --> a < b')
    'Ann"> & Bo   a < b'
    >>> plain('host"><svg onload=alert(1)>'), plain("<a href='javascript:alert(1)'>x</a>"), plain("x <script")
    ('host">', 'x', 'x ')
    """
    text = clean(text)
    if "<" not in text:
        return text
    while True:                        # a removal can join the pieces of another tag: again until stable
        out = _TAG.sub(_drop_markup, text)
        if out == text:
            return out
        text = out


def _escape(text: str) -> str:
    """HTML-escaped text, ``<`` and ``>`` as numeric references: podcastparser's HTML-to-text step
    drops named references that follow each other closely (``&lt;in&gt;`` is read as one unknown
    entity, ``lt;in&gt``) but turns numeric ones back into the characters.

    >>> _escape("a <in> & b")
    'a &#60;in&#62; &amp; b'
    """
    return html.escape(text, quote=False).replace("&lt;", "&#60;").replace("&gt;", "&#62;")


def html_text(text) -> str:
    """Plain text for a field apps read as HTML (RSS ``description``): :func:`plain`, and when it
    holds a ``<``, escaped once more and in a paragraph, so that feedparser shows the text as typed
    and podcastparser (which takes a tag as the sign of HTML) reads it as HTML too.

    >>> html_text("We talk & laugh"), html_text("people <in> practice")
    ('We talk & laugh', '<p>people &#60;in&#62; practice</p>')
    """
    text = plain(text)
    return f"<p>{_escape(text)}</p>" if "<" in text else text


@functools.lru_cache(maxsize=8192)
def safe_html(markup: str) -> str:
    """Show notes as HTML an app may display as is: sanitised by nh3, as on the episode pages, and
    its text (which the notes escape: sidecar text) without markup, as :func:`plain` (podcastparser
    turns notes into plain text by unescaping them).

    >>> safe_html('<p onclick="x()">Hi &amp; <b>bye</b> &lt;img src=x onerror=y&gt;</p><script>alert(1)</script>')
    '<p>Hi &amp; <b>bye</b> </p>'
    """
    parts = _HTML_TOKEN.split(nh3.clean(clean(markup)))
    parts[::2] = [_escape(plain(html.unescape(p))) if "&" in p else p for p in parts[::2]]
    return "".join(parts)


def http_url(url) -> str | None:
    """``url`` when it is a plain http(s) URL, else None (no ``javascript:``, no quotes or spaces).

    >>> http_url("https://example.org/ann"), http_url("javascript:alert(1)"), http_url('https://x/"><b')
    ('https://example.org/ann', None, None)
    """
    url = clean(url).strip()
    return url if _URL.match(url) else None


def person_role(role, default: str) -> tuple[str, str]:
    """``(role, group)`` for ``podcast:person``: the role from the taxonomy (any case), else
    ``default``; the group is the role's group.

    >>> person_role("Co-Host", "host"), person_role('host"><svg onload=x>', "guest")
    (('co-host', 'cast'), ('guest', 'cast'))
    >>> person_role("Producer", "guest")
    ('producer', 'creative direction')
    """
    role = " ".join(clean(role).lower().split())
    if role not in _GROUP_OF:
        role = default
    return role, _GROUP_OF[role]
