"""Our feedgen extension for the Podcasting 2.0 namespace (and itunes:explicit true/false).

Registered under the name ``p20`` because feedgen's own iTunes extension already uses
``podcast``. The namespace is declared by the feed-level extension: feedgen only collects
namespaces from feed extensions, so entry extensions write into a namespace the root declares.
"""
from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_P = "{%s}" % PODCAST_NS
_I = "{%s}" % ITUNES_NS
EXT_NAME = "p20"


def _num(value: float) -> str:
    """Seconds as short text: ``12``, ``12.5``.

    >>> _num(12.0), _num(12.25), _num(3)
    ('12', '12.25', '3')
    """
    text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _person(parent, p) -> None:
    _sub(parent, _P + "person", p.name, role=p.role, group=p.group, img=p.img, href=p.href)


class P20Extension(BaseExtension):
    """Channel-level Podcasting 2.0 tags; set ``data`` to the channel's values."""

    def __init__(self):
        self.data: dict = {}

    def extend_ns(self):
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

    def extend_rss(self, rss_feed):
        d = self.data
        channel = rss_feed[0]
        if d.get("explicit") is not None:
            _sub(channel, _I + "explicit", "true" if d["explicit"] else "false")
        if d.get("guid"):
            _sub(channel, _P + "guid", d["guid"])
        if d.get("medium"):
            _sub(channel, _P + "medium", d["medium"])
        if d.get("locked") is not None:
            _sub(channel, _P + "locked", "yes" if d["locked"] else "no", owner=d.get("owner") or None)
        for f in d.get("funding", ()):
            _sub(channel, _P + "funding", f.text, url=f.url)
        for p in d.get("persons", ()):
            _person(channel, p)
        return rss_feed


class P20EntryExtension(BaseEntryExtension):
    """Item-level Podcasting 2.0 tags; set ``data`` to the item's values."""

    def __init__(self):
        self.data: dict = {}

    def extend_rss(self, entry):
        d = self.data
        if d.get("explicit") is not None:
            _sub(entry, _I + "explicit", "true" if d["explicit"] else "false")
        if d.get("season") is not None:
            _sub(entry, _P + "season", str(d["season"]))
        if d.get("number") is not None:
            _sub(entry, _P + "episode", str(d["number"]))
        for t in d.get("transcripts", ()):
            _sub(entry, _P + "transcript", url=t.url, type=t.type, language=t.language, rel=t.rel)
        if d.get("chapters") is not None:
            c = d["chapters"]
            _sub(entry, _P + "chapters", url=c.url, type=c.type)
        for s in d.get("soundbites", ()):
            _sub(entry, _P + "soundbite", s.title or None, startTime=_num(s.start), duration=_num(s.duration))
        for p in d.get("persons", ()):
            _person(entry, p)
        if d.get("keywords"):
            _sub(entry, _I + "keywords", d["keywords"])
        for a in d.get("alternates", ()):
            alt = _sub(entry, _P + "alternateEnclosure", type=a.type, length=a.length, bitrate=a.bitrate,
                       height=a.height, lang=a.language, title=a.title,
                       default="true" if a.default else None)
            _sub(alt, _P + "source", uri=a.url)
        return entry
