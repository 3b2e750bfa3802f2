"""What each parser is given to read: the feed without what it would skip or only copy.

podcastparser and feedparser read the feed in ``validate_feed``; each gets a *view* without the
elements of the namespaces it does not interpret, and feedparser also without the leaf elements it
has no handler for. Their syntax is checked on the whole bytes (lxml, expat), their content by the
rules. The namespace and handler lists are read from the installed parsers.
"""
from __future__ import annotations

import copy
import functools

import feedparser.mixin
import podcastparser
from lxml import etree

# Namespaces each parser interprets; elements in others it skips (podcastparser 0.6.11 knows only
# the legacy GitHub URI of Podcasting 2.0, feedparser 6.0 neither). Unknown internals: keep all.
_PP_NS = getattr(getattr(podcastparser, "Namespace", None), "NAMESPACES", None)
_FP_MIXIN = getattr(feedparser.mixin, "_FeedParserMixin", None)
_FP_NS = getattr(_FP_MIXIN, "namespaces", None)


def _pp_knows(ns: str) -> bool:
    return _PP_NS is None or ns in _PP_NS


def _fp_knows(ns: str) -> bool:
    return _FP_NS is None or ns.lower() in {k.lower() for k in _FP_NS}


def views(root) -> dict[str, bytes]:
    """What podcastparser and feedparser are given: the document without the elements of the
    namespaces that parser does not interpret, and for feedparser also without the leaf elements
    it has no handler for (:func:`_fp_generic`). It would skip the first and only copy the text of
    the second into a raw key; lxml and expat checked their syntax on the whole bytes, the rules
    their content. Strips ``root`` in place.

    >>> root = etree.fromstring(b'<rss xmlns:podcast="https://podcastindex.org/namespace/1.0" '
    ...     b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item><title>t</title>'
    ...     b'<podcast:transcript url="u"/><itunes:episode>3</itunes:episode>'
    ...     b'<itunes:duration>1</itunes:duration></item></channel></rss>')
    >>> v = views(root)
    >>> [[tag in v[p] for tag in (b"podcast:transcript", b"itunes:episode", b"<title>")]
    ...  for p in ("podcastparser", "feedparser")]
    [[False, True, True], [False, False, True]]
    """
    drops = {name: frozenset(ns for ns in root.nsmap.values() if ns and not knows(ns))
             for name, knows in (("podcastparser", _pp_knows), ("feedparser", _fp_knows))}
    _strip_namespaces(root, drops["podcastparser"] & drops["feedparser"])
    pp = root
    if drops["podcastparser"] - drops["feedparser"]:
        pp = copy.deepcopy(root)
        _strip_namespaces(pp, drops["podcastparser"] - drops["feedparser"])
    out = {"podcastparser": etree.tostring(pp, xml_declaration=True, encoding="UTF-8")}
    _strip_namespaces(root, drops["feedparser"] - drops["podcastparser"])   # in place: pp is serialised
    for parent in (root.find("channel"), *root.iterfind("channel/item")):
        if parent is not None:
            for el in [el for el in parent if len(el) == 0 and not el.attrib and _fp_generic(el.tag)]:
                parent.remove(el)
    out["feedparser"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def _strip_namespaces(root, namespaces) -> None:
    if namespaces:
        etree.strip_elements(root, *(f"{{{ns}}}*" for ns in sorted(namespaces)), with_tail=False)


@functools.lru_cache(maxsize=1024)
def _fp_generic(tag) -> bool:
    """True for an element feedparser has no handler for, in a namespace it knows: its text only
    becomes a raw ``<prefix>_<name>`` key (e.g. ``itunes:episode``, ``itunes:duration``).

    >>> _fp_generic("{http://www.itunes.com/dtds/podcast-1.0.dtd}episodeType"), _fp_generic("pubDate")
    (True, False)
    """
    if not isinstance(tag, str) or _FP_NS is None or _FP_MIXIN is None:
        return False
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        prefix = next((p for uri, p in _FP_NS.items() if uri.lower() == ns.lower()), None)
        if prefix is None:
            return False
        name = f"{prefix}_{local}" if prefix else local
    else:
        name = tag
    name = name.lower()
    return not (hasattr(_FP_MIXIN, f"_start_{name}") or hasattr(_FP_MIXIN, f"_end_{name}"))
