"""Check a feed before it is uploaded, and list what it references."""
from __future__ import annotations

import copy
import email.utils
import hashlib
import io
import re
import uuid
from collections import OrderedDict
from xml.parsers import expat as pyexpat

import feedparser
import feedparser.encodings
import feedparser.mixin
import feedparser.sanitizer
import podcastparser
from lxml import etree

from ._p20 import ITUNES_NS, PODCAST_NS
from .errors import FeedError

__all__ = ["validate_feed", "referenced_urls"]

_NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": "http://www.w3.org/2005/Atom",
       "content": "http://purl.org/rss/1.0/modules/content/"}
_MIME = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*$")
_URL = re.compile(r"^https?://[\x21-\x7e]+$")
_MEMO_MAX = 100_000
_passed: OrderedDict[bytes, None] = OrderedDict()
"""Digests of items (with the root's namespace declarations) that both parsers already read
cleanly in this process: republishing a long feed re-parses only its new or changed items."""
_TRANSCRIPT_TYPES = {"text/vtt", "application/x-subrip", "application/srt", "application/json",
                     "text/html", "text/plain"}
_DURATION, _TRANSCRIPT = f"{{{ITUNES_NS}}}duration", f"{{{PODCAST_NS}}}transcript"
_CHAPTERS, _ALTERNATE = f"{{{PODCAST_NS}}}chapters", f"{{{PODCAST_NS}}}alternateEnclosure"
_SOURCE = f"{{{PODCAST_NS}}}source"
_fp_encoding = feedparser.encodings.convert_to_utf8   # the first two steps of feedparser.parse
_fp_doctype = feedparser.sanitizer.replace_doctype
# Namespaces each parser interprets; elements in others it skips (podcastparser 0.6.11 knows only
# the legacy GitHub URI of Podcasting 2.0, feedparser 6.0 neither). Unknown internals: keep all.
_PP_NS = getattr(getattr(podcastparser, "Namespace", None), "NAMESPACES", None)
_FP_NS = getattr(getattr(feedparser.mixin, "_FeedParserMixin", None), "namespaces", None)


def _pp_knows(ns: str) -> bool:
    return _PP_NS is None or ns in _PP_NS


def _fp_knows(ns: str) -> bool:
    return _FP_NS is None or ns.lower() in {k.lower() for k in _FP_NS}


def _parse(xml: bytes) -> etree._Element:
    if not isinstance(xml, (bytes, bytearray)):
        raise FeedError("feed must be bytes")
    try:
        root = etree.fromstring(bytes(xml), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from None
    if root.tag != "rss" or root.get("version") != "2.0" or root.find("channel") is None:
        raise FeedError("not an RSS 2.0 document with a channel")
    return root


def _url(value: str | None, where: str) -> str:
    if not value or not _URL.match(value):
        raise FeedError(f"{where}: URL missing, not http(s) or not ASCII: {value!r}")
    return value


def _text(parent, path: str, where: str) -> str:
    el = parent.find(path, _NS)
    if el is None or not (el.text or "").strip():
        raise FeedError(f"{where}: missing <{path}>")
    return el.text.strip()


def _check_channel(ch) -> None:
    for tag in ("title", "link", "description", "language", "itunes:author"):
        _text(ch, tag, "channel")
    img = ch.find("itunes:image", _NS)
    _url(img.get("href") if img is not None else None, "channel itunes:image")
    cat = ch.find("itunes:category", _NS)
    if cat is None or not cat.get("text"):
        raise FeedError("channel: missing <itunes:category text=...>")
    if _text(ch, "itunes:explicit", "channel") not in ("true", "false"):
        raise FeedError("channel: itunes:explicit must be true or false")
    _text(ch, "itunes:owner/itunes:email", "channel")
    if _text(ch, "itunes:type", "channel") not in ("episodic", "serial"):
        raise FeedError("channel: itunes:type must be episodic or serial")
    try:
        uuid.UUID(_text(ch, "podcast:guid", "channel"))
    except ValueError:
        raise FeedError("channel: podcast:guid is not a UUID") from None
    if _text(ch, "podcast:locked", "channel") not in ("yes", "no"):
        raise FeedError("channel: podcast:locked must be yes or no")
    self_link = ch.find("atom:link[@rel='self']", _NS)
    _url(self_link.get("href") if self_link is not None else None, "channel atom:link rel=self")


def _check_item(item, n: int, seen: set[str]) -> None:
    """Every rule for one item, in one pass over its children."""
    first: dict = {}
    transcripts, chapters, alternates = [], [], []
    for el in item:
        tag = el.tag
        if tag == _TRANSCRIPT:
            transcripts.append(el)
        elif tag == _ALTERNATE:
            alternates.append(el)
        elif tag == _CHAPTERS:
            chapters.append(el)
        elif tag not in first:
            first[tag] = el

    def text(tag: str, name: str) -> str:
        el = first.get(tag)
        value = (el.text or "").strip() if el is not None else ""
        if not value:
            raise FeedError(f"{where}: missing <{name}>")
        return value

    title = (first["title"].text or "").strip() if "title" in first else ""
    where = f"item {n} ({title[:40]!r})" if title else f"item {n}"
    if not title:
        raise FeedError(f"{where}: missing <title>")
    guid = text("guid", "guid")
    if guid in seen:
        raise FeedError(f"{where}: duplicate guid {guid!r}")
    seen.add(guid)
    if email.utils.parsedate_tz(text("pubDate", "pubDate")) is None:
        raise FeedError(f"{where}: pubDate is not an RFC 2822 date")
    enc = first.get("enclosure")
    if enc is None:
        raise FeedError(f"{where}: missing <enclosure>")
    _url(enc.get("url"), f"{where} enclosure")
    length = enc.get("length") or ""
    if not length.isdigit() or int(length) <= 0:
        raise FeedError(f"{where}: enclosure length must be a positive byte count, not {length!r}")
    if not _MIME.match(enc.get("type") or "") or enc.get("type").split("/")[0] not in ("audio", "video"):
        raise FeedError(f"{where}: enclosure type {enc.get('type')!r} is not an audio/video MIME type")
    if not text(_DURATION, "itunes:duration").isdigit():
        raise FeedError(f"{where}: itunes:duration must be whole seconds")
    for t in transcripts:
        _url(t.get("url"), f"{where} podcast:transcript")
        if t.get("type") not in _TRANSCRIPT_TYPES:
            raise FeedError(f"{where}: podcast:transcript type {t.get('type')!r} is not a transcript type")
    for c in chapters:
        _url(c.get("url"), f"{where} podcast:chapters")
    for a in alternates:
        if not _MIME.match(a.get("type") or ""):
            raise FeedError(f"{where}: podcast:alternateEnclosure has no MIME type")
        src = a.find(_SOURCE)
        _url(src.get("uri") if src is not None else None, f"{where} podcast:alternateEnclosure")


def validate_feed(xml: bytes) -> None:
    """Raise :class:`FeedError` naming the first problem that would make an app reject the feed.

    Checks Apple's required channel tags (image, category, ``explicit`` true/false, owner e-mail,
    language, type), the Podcasting 2.0 guid and lock, and per item the guid (unique), RFC 2822
    pubDate, enclosure (ASCII http(s) URL, positive length, audio/video type) and duration; then
    parses the feed with expat, podcastparser and feedparser (which must not flag it as bozo).

    >>> validate_feed(b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    Traceback (most recent call last):
    feeds.errors.FeedError: feed: channel: missing <link>
    """
    root = _parse(xml)
    ch = root.find("channel")
    _check_channel(ch)
    seen: set[str] = set()
    items = ch.findall("item")
    for n, item in enumerate(items, 1):
        _check_item(item, n, seen)
    _check_with_parsers(bytes(xml), root, ch, items)


def _check_whole_bytes(xml: bytes) -> None:
    """The exact bytes through feedparser's encoding sniffing and expat with namespaces (the XML
    parser of feedparser's strict mode and of podcastparser), as both parsers would read them."""
    result: dict = {}
    data = _fp_encoding({}, xml, result)
    if result.get("bozo"):
        raise FeedError(f"feedparser flags the feed: {result.get('bozo_exception')}")
    docs = {xml: "podcastparser"}                 # usually the same bytes: parsed once
    docs.setdefault(_fp_doctype(data)[1], "feedparser")
    for doc, name in docs.items():
        try:
            pyexpat.ParserCreate(None, " ").Parse(doc, True)
        except pyexpat.ExpatError as exc:
            raise FeedError(f"expat ({name}'s XML parser) rejects the feed: {exc}") from None


def _views(root) -> dict[str, bytes]:
    """What podcastparser and feedparser are given: the document without the elements of the
    namespaces that parser does not interpret (it would skip them; lxml and expat checked their
    syntax on the whole bytes). Strips ``root`` in place.

    >>> root = etree.fromstring(b'<rss xmlns:podcast="https://podcastindex.org/namespace/1.0" '
    ...     b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item><title>t</title>'
    ...     b'<podcast:transcript url="u"/><itunes:duration>1</itunes:duration></item></channel></rss>')
    >>> v = _views(root)
    >>> [(b"podcast:transcript" in v[p], b"itunes:duration" in v[p]) for p in ("podcastparser", "feedparser")]
    [(False, True), (False, True)]
    """
    drops = {name: frozenset(ns for ns in root.nsmap.values() if ns and not knows(ns))
             for name, knows in (("podcastparser", _pp_knows), ("feedparser", _fp_knows))}
    pending = list(dict.fromkeys(drops.values()))
    by_drop: dict[frozenset, bytes] = {}
    for k, drop in enumerate(pending):
        view = root if k == len(pending) - 1 else copy.deepcopy(root)   # the last one in place
        if drop:
            etree.strip_elements(view, *(f"{{{ns}}}*" for ns in sorted(drop)), with_tail=False)
        by_drop[drop] = etree.tostring(view, xml_declaration=True, encoding="UTF-8")
    return {name: by_drop[drop] for name, drop in drops.items()}


def _check_with_parsers(xml: bytes, root, ch, items: list) -> None:
    """Parse the channel and every item not yet seen with podcastparser and feedparser.

    Items are independent for both parsers, so an item whose exact bytes (in the same namespace
    context) passed before passes again; only new or changed items are parsed. The channel is
    always parsed, with those items. Each parser reads its :func:`_views`.
    """
    _check_whole_bytes(xml)
    context = repr(sorted(root.nsmap.items())).encode()
    digests = [hashlib.blake2b(context + etree.tostring(i), digest_size=16).digest() for i in items]
    fresh = [i for i, d in zip(items, digests) if d not in _passed]
    if len(fresh) < len(items):       # rebuild around the fresh items (moved: the tree is ours)
        root = etree.Element(root.tag, root.attrib, nsmap=root.nsmap)
        channel = etree.SubElement(root, "channel", ch.attrib)
        for child in list(ch):
            if child.tag != "item":
                channel.append(child)
        for item in fresh:
            channel.append(item)
    views = _views(root)
    try:
        n = len(podcastparser.parse("feed.xml", io.BytesIO(views["podcastparser"])).get("episodes", ()))
    except Exception as exc:  # podcastparser raises FeedParseError and SAX errors
        raise FeedError(f"podcastparser rejects the feed: {exc}") from None
    parsed = feedparser.parse(views["feedparser"], sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo:
        raise FeedError(f"feedparser flags the feed: {parsed.bozo_exception}")
    for name, n in (("podcastparser", n), ("feedparser", len(parsed.entries))):
        if n != len(fresh):
            raise FeedError(f"{name} read {n} items, not {len(fresh)}")
    for d in digests:
        _passed[d] = None
        _passed.move_to_end(d)
    while len(_passed) > _MEMO_MAX:
        _passed.popitem(last=False)


def referenced_urls(xml: bytes) -> list[str]:
    """Every URL the feed points at (artwork, enclosures, alternates, transcripts, chapters,
    episode artwork), in document order without duplicates: what must resolve before the
    feed is uploaded. Pages and the feed's own links are not included.

    >>> referenced_urls(b'''<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
    ... <item><enclosure url="https://b/a.mp3" length="1" type="audio/mpeg"/>
    ... <podcast:transcript url="https://b/a.vtt" type="text/vtt"/></item></channel></rss>''')
    ['https://b/a.mp3', 'https://b/a.vtt']
    """
    root = _parse_loose(xml)
    urls: dict[str, None] = {}
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        url = None
        if tag == "enclosure" or tag in (f"{{{PODCAST_NS}}}transcript", f"{{{PODCAST_NS}}}chapters"):
            url = el.get("url")
        elif tag == f"{{{ITUNES_NS}}}image":
            url = el.get("href")
        elif tag == f"{{{PODCAST_NS}}}source":
            url = el.get("uri")
        elif tag == "url" and el.getparent() is not None and el.getparent().tag == "image":
            url = (el.text or "").strip()
        if url:
            urls.setdefault(url)
    return list(urls)


def _parse_loose(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(bytes(xml), etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, TypeError) as exc:
        raise FeedError(f"not well-formed XML: {exc}") from None
