"""Check a feed before it is uploaded, and list what it references."""
from __future__ import annotations

import email.utils
import hashlib
import io
import re
import uuid
from collections import OrderedDict

import feedparser
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
    title = (item.findtext("title") or "").strip()
    where = f"item {n} ({title[:40]!r})" if title else f"item {n}"
    if not title:
        raise FeedError(f"{where}: missing <title>")
    guid = _text(item, "guid", where)
    if guid in seen:
        raise FeedError(f"{where}: duplicate guid {guid!r}")
    seen.add(guid)
    if email.utils.parsedate_tz(_text(item, "pubDate", where)) is None:
        raise FeedError(f"{where}: pubDate is not an RFC 2822 date")
    enc = item.find("enclosure")
    if enc is None:
        raise FeedError(f"{where}: missing <enclosure>")
    _url(enc.get("url"), f"{where} enclosure")
    length = enc.get("length") or ""
    if not length.isdigit() or int(length) <= 0:
        raise FeedError(f"{where}: enclosure length must be a positive byte count, not {length!r}")
    if not _MIME.match(enc.get("type") or "") or enc.get("type").split("/")[0] not in ("audio", "video"):
        raise FeedError(f"{where}: enclosure type {enc.get('type')!r} is not an audio/video MIME type")
    if not _text(item, "itunes:duration", where).isdigit():
        raise FeedError(f"{where}: itunes:duration must be whole seconds")
    for t in item.iterfind("podcast:transcript", _NS):
        _url(t.get("url"), f"{where} podcast:transcript")
        if t.get("type") not in _TRANSCRIPT_TYPES:
            raise FeedError(f"{where}: podcast:transcript type {t.get('type')!r} is not a transcript type")
    for c in item.iterfind("podcast:chapters", _NS):
        _url(c.get("url"), f"{where} podcast:chapters")
    for a in item.iterfind("podcast:alternateEnclosure", _NS):
        if not _MIME.match(a.get("type") or ""):
            raise FeedError(f"{where}: podcast:alternateEnclosure has no MIME type")
        src = a.find("podcast:source", _NS)
        _url(src.get("uri") if src is not None else None, f"{where} podcast:alternateEnclosure")


def validate_feed(xml: bytes) -> None:
    """Raise :class:`FeedError` naming the first problem that would make an app reject the feed.

    Checks Apple's required channel tags (image, category, ``explicit`` true/false, owner e-mail,
    language, type), the Podcasting 2.0 guid and lock, and per item the guid (unique), RFC 2822
    pubDate, enclosure (ASCII http(s) URL, positive length, audio/video type) and duration; then
    parses the feed with podcastparser and feedparser (which must not flag it as bozo).

    >>> validate_feed(b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    Traceback (most recent call last):
    feeds.errors.FeedError: feed: channel: missing <link>
    """
    root = _parse(xml)
    ch = root.find("channel")
    _check_channel(ch)
    seen: set[str] = set()
    for n, item in enumerate(ch.iterfind("item"), 1):
        _check_item(item, n, seen)
    _check_with_parsers(root, ch)


def _check_with_parsers(root, ch) -> None:
    """Parse the channel and every item not yet seen with podcastparser and feedparser.

    Items are independent for both parsers, so an item whose exact bytes (in the same namespace
    context) passed before passes again; only new or changed items are parsed. The channel is
    always parsed, with those items.
    """
    items = ch.findall("item")
    context = repr(sorted(root.nsmap.items())).encode()
    digests = [hashlib.blake2b(context + etree.tostring(i), digest_size=16).digest() for i in items]
    fresh = [i for i, d in zip(items, digests) if d not in _passed]
    shell = etree.Element(root.tag, root.attrib, nsmap=root.nsmap)
    channel = etree.SubElement(shell, "channel", ch.attrib)
    for child in list(ch):            # moved, not copied: the parsed tree is ours and done with
        if child.tag != "item":
            channel.append(child)
    for item in fresh:
        channel.append(item)
    data = etree.tostring(shell, xml_declaration=True, encoding="UTF-8")
    try:
        pp = podcastparser.parse("feed.xml", io.BytesIO(data))
    except Exception as exc:  # podcastparser raises FeedParseError and SAX errors
        raise FeedError(f"podcastparser rejects the feed: {exc}") from None
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo:
        raise FeedError(f"feedparser flags the feed: {parsed.bozo_exception}")
    for name, n in (("feedparser", len(parsed.entries)), ("podcastparser", len(pp.get("episodes", ())))):
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
