"""Check a feed before it is uploaded, and list what it references.

Validation is incremental: the digest of every item that passed is returned, the caller keeps
them with the show (``chorus`` stores them in its catalog), and the next check of that show
parses only new or changed items. Everything runs in the calling process.
"""
from __future__ import annotations

import copy
import email.utils
import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Mapping
from xml.parsers import expat as pyexpat

import feedparser
import feedparser.encodings
import feedparser.sanitizer
import podcastparser
from lxml import etree

from ._p20 import ITUNES_NS, PODCAST_NS
from ._views import views
from .errors import FeedError

__all__ = ["FeedCheck", "validate_feed", "referenced_urls"]

_SALT = f"chorus feed item v1; feedparser {feedparser.__version__}; podcastparser {podcastparser.__version__};".encode()
"""Part of every item digest: new rules or parser versions make every item be checked again."""


@dataclass(frozen=True)
class FeedCheck:
    """What :func:`validate_feed` checked. Keep ``digests`` with the show and pass them as ``known``
    next time: only new or changed items are checked again."""

    items: int
    """Items in the feed."""
    parsed: int
    """Items checked this time (new or changed); the others matched ``known``."""
    digests: dict[str, str] = field(default_factory=dict)
    """SHA-256 (hex) of every item, by guid: the item's bytes with the feed's namespace declarations
    and the rules' and parsers' versions."""

_NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": "http://www.w3.org/2005/Atom",
       "content": "http://purl.org/rss/1.0/modules/content/"}
_MIME = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*$")
_URL = re.compile(r"^https?://[\x21-\x7e]+$")
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_TRANSCRIPT_TYPES = {"text/vtt", "application/x-subrip", "application/srt", "application/json",
                     "text/html", "text/plain"}
_DURATION, _TRANSCRIPT = f"{{{ITUNES_NS}}}duration", f"{{{PODCAST_NS}}}transcript"
_CHAPTERS, _ALTERNATE = f"{{{PODCAST_NS}}}chapters", f"{{{PODCAST_NS}}}alternateEnclosure"
_SOURCE = f"{{{PODCAST_NS}}}source"


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


def validate_feed(xml: bytes, known: Mapping[str, str] | None = None) -> FeedCheck:
    """Raise :class:`FeedError` naming the first problem that would make an app reject the feed;
    return a :class:`FeedCheck` with the digest of every item.

    Checks Apple's required channel tags (image, category, ``explicit`` true/false, owner e-mail,
    language, type), the Podcasting 2.0 guid and lock, and per item the guid (unique), RFC 2822
    pubDate, enclosure (ASCII http(s) URL, positive length, audio/video type) and duration; then
    runs the exact bytes through feedparser's encoding sniffing and expat, and parses the channel
    and the items with podcastparser and feedparser (which must not flag it as bozo).

    ``known`` maps item guids to digests of a previous check (``FeedCheck.digests``, kept with the
    show): an item with the same guid and digest passed every item check before and is not checked
    again; new and changed items are. The channel, the whole bytes and guid uniqueness are checked
    every time.

    >>> validate_feed(b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    Traceback (most recent call last):
    feeds.errors.FeedError: feed: channel: missing <link>
    """
    root = _parse(xml)
    ch = root.find("channel")
    _check_channel(ch)
    known = known or {}
    context = _SALT + repr(sorted(root.nsmap.items(), key=str)).encode()
    seen: set[str] = set()
    digests: dict[str, str] = {}
    fresh = []
    for n, item in enumerate(ch.iterfind("item"), 1):
        guid = (item.findtext("guid") or "").strip()
        digest = hashlib.sha256(context + etree.tostring(item, with_tail=False)).hexdigest()
        if guid and guid not in seen and known.get(guid) == digest:
            seen.add(guid)                      # passed before, byte for byte in this namespace context
        else:
            _check_item(item, n, seen)
            fresh.append(item)
        digests[guid] = digest
    _check_bytes(bytes(xml))
    reason = _parse_views(root, ch, fresh)
    if reason:
        raise FeedError(reason)
    return FeedCheck(items=len(digests), parsed=len(fresh), digests=digests)


def _check_bytes(xml: bytes) -> None:
    """The exact bytes through feedparser's encoding sniffing and expat with namespaces (the XML
    parser of feedparser's strict mode and of podcastparser), as both parsers would read them.

    >>> _check_bytes(b"<rss version='2.0'><x:a/></rss>")
    Traceback (most recent call last):
    feeds.errors.FeedError: feed: expat (podcastparser's XML parser) rejects the feed: unbound prefix: line 1, column 19
    """
    result: dict = {}
    data = feedparser.encodings.convert_to_utf8({}, xml, result)
    if result.get("bozo"):
        raise FeedError(f"feedparser flags the feed: {result.get('bozo_exception')}")
    fp = feedparser.sanitizer.replace_doctype(data)[1]
    docs = {xml: "podcastparser"}
    a, b = _DECLARATION.match(xml), _DECLARATION.match(fp)
    if a and b and xml[a.end():] == fp[b.end():]:   # usually only the declaration's spelling differs:
        fp = fp[:b.end()] + b"<rss/>"                # expat reads the body once
    docs.setdefault(fp, "feedparser")
    for doc, name in docs.items():
        try:
            pyexpat.ParserCreate(None, " ").Parse(doc, True)
        except pyexpat.ExpatError as exc:
            raise FeedError(f"expat ({name}'s XML parser) rejects the feed: {exc}") from None


def _parse_views(root, ch, items: list) -> str | None:
    """podcastparser and feedparser on the channel with ``items`` (moved out of ``root``'s tree),
    each given its view (:func:`feeds._views.views`); the first problem as one line, or None."""
    doc = etree.Element(root.tag, root.attrib, nsmap=root.nsmap)
    channel = etree.SubElement(doc, "channel", ch.attrib)
    for child in ch:
        if child.tag != "item":
            channel.append(copy.deepcopy(child))
    channel.extend(items)
    v = views(doc)
    try:
        n = len(podcastparser.parse("feed.xml", io.BytesIO(v["podcastparser"])).get("episodes", ()))
    except Exception as exc:  # podcastparser raises FeedParseError and SAX errors
        return f"podcastparser rejects the feed: {exc}"
    parsed = feedparser.parse(v["feedparser"], sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo:
        return f"feedparser flags the feed: {parsed.bozo_exception}"
    for name, got in (("podcastparser", n), ("feedparser", len(parsed.entries))):
        if got != len(items):
            return f"{name} read {got} items, not {len(items)}"
    return None


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
