"""Hostile text from a sidecar never reaches a feed reader as live markup, and plain text with angle
brackets still reads as typed (issue #10: markup in the feed)."""
from __future__ import annotations

import io
import re
from dataclasses import replace

import feedparser
import podcastparser
import pytest
from lxml import etree, html

from feeds import Funding, Person, Soundbite, build_feed, render_episode_page, validate_feed
from feeds._text import TAXONOMY
from tests.feeds.fixtures import make_episode, make_show
from transcripts.model import Segment, Transcript, Word
from transcripts.notes import make_notes

LITERAL = "Finding your people <in> private practice"
HOSTILE = ['"><img src=x onerror=alert(1)>', 'host"><svg onload=alert(1)>', "<a href='javascript:alert(1)'>go</a>",
           "<script>alert(1)</script>", "</title><IMG SRC=x ONERROR=alert(1)", "<svg/onload=alert(1)>",
           '<b onmouseover="alert(1)">bold</b>', "<iframe src=javascript:alert(1)>"]
LIVE = re.compile(r"<img|<svg|<script|<iframe|onerror|onload|onmouseover|javascript:", re.IGNORECASE)
ROLES = {r for roles in TAXONOMY.values() for r in roles}
NS = {"podcast": "https://podcastindex.org/namespace/1.0", "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}


def _evil(i: int) -> str:
    return f"{LITERAL} {HOSTILE[i % len(HOSTILE)]}"


SIDECAR = {   # what an organiser's sidecar can carry, every text hostile
    "title": _evil(0), "description": _evil(1),
    "hosts": [{"name": _evil(2), "role": 'host"><svg onload=alert(1)>'}],
    "guests": [{"name": _evil(3), "role": "Co-Host"}, _evil(4)],
    "keywords": [_evil(5), _evil(6)],
    "chapters": [{"start": "00:00", "title": _evil(7)}, {"start": "00:03", "title": _evil(0)}],
    "resources": [{"title": _evil(1), "url": "https://example.org/r"}],
}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


@pytest.fixture(scope="module")
def hostile():
    words = [Word(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate("Welcome to private practice today".split())]
    notes = make_notes(Transcript("en", 6.0, [Segment(0.0, 3.0, "Welcome to private practice today.", "Ann", words)]),
                       sidecar=SIDECAR)
    show = make_show(title=_evil(0), description=_evil(1), author=_evil(2), owner_name=_evil(3), copyright=_evil(4),
                     categories=[f"{_evil(5)} / {_evil(6)}"],
                     persons=[Person(_evil(7), role='host"><svg onload=alert(1)>', group="<b>cast</b>",
                                     href="javascript:alert(1)", img='https://x.org/a.jpg"><svg onload=alert(1)>')],
                     funding=[Funding("https://example.org/give", _evil(0)), Funding("javascript:alert(1)", "x")])
    episode = replace(make_episode(1, video=True), title=notes.title, summary_text=notes.text, notes_html=notes.html,
                      persons=[Person(p.name, p.role) for p in notes.people], keywords=notes.keywords,
                      soundbites=[Soundbite(1.0, 2.0, _evil(1))])
    return show, episode, notes


@pytest.fixture(scope="module", params=[False, True], ids=["audio", "video"])
def feed(hostile, request):
    show, episode, _ = hostile
    xml = build_feed(show, [episode], video=request.param)
    validate_feed(xml)
    return xml


def test_no_parser_yields_live_markup_in_any_field(feed):
    pp = podcastparser.parse("feed.xml", io.BytesIO(feed))
    fp = feedparser.parse(feed, sanitize_html=False, resolve_relative_uris=False)   # as raw as it gets
    assert not fp.bozo and len(pp["episodes"]) == len(fp.entries) == 1
    for name, parsed in (("podcastparser", pp), ("feedparser", {"feed": fp.feed, "entries": fp.entries})):
        strings = list(_strings(parsed))
        assert sum(LITERAL in s for s in strings) >= 4, name            # the hostile texts did arrive
        live = [s for s in strings if LIVE.search(s)]
        assert not live, (name, live)


def test_no_text_or_attribute_in_the_xml_carries_markup(feed):
    root = etree.fromstring(feed)
    for el in root.iter():
        for value in [el.text or "", *el.attrib.values()]:
            assert not LIVE.search(value), (el.tag, value)
    people = root.findall(".//podcast:person", NS)
    assert people and all(p.get("role") in ROLES and p.get("group") == "cast" for p in people)
    assert [p.get("role") for p in people] == ["host", "guest", "co-host", "guest"]   # invalid -> the default
    assert all(p.get("href") is None and p.get("img") is None for p in people)          # not plain http(s)
    assert [f.get("url") for f in root.findall(".//podcast:funding", NS)] == ["https://example.org/give"]


def test_plain_text_still_reads_as_typed(feed, hostile):
    pp = podcastparser.parse("feed.xml", io.BytesIO(feed))
    fp = feedparser.parse(feed)                                   # as an app would: feedparser's sanitiser on
    item, entry = pp["episodes"][0], fp.entries[0]
    assert item["title"] == entry.title == f'{LITERAL} ">'
    assert pp["title"].startswith(LITERAL) and fp.feed.title.startswith(LITERAL)
    assert LITERAL in item["description"]                          # podcastparser: the notes as text
    assert entry.summary_detail.type == "text/html"                # feedparser reads description as HTML:
    assert LITERAL in html.fromstring(entry.summary).text_content()   # rendered, it is the typed text
    assert LITERAL in html.fromstring(entry.content[0].value).text_content()
    assert {t.term for t in entry.tags} >= {LITERAL, f"{LITERAL} bold"}                  # keywords
    root = etree.fromstring(feed)
    assert root.findtext(".//item/podcast:person", namespaces=NS) == f"{LITERAL} go"


def test_the_episode_page_shows_the_same_text_without_live_markup(hostile):
    show, episode, notes = hostile
    page = render_episode_page(show, episode, None, [c.__dict__ for c in notes.chapters])
    doc = html.fromstring(page)
    for el in doc.iter():
        if isinstance(el.tag, str):
            assert el.tag not in ("svg", "iframe") and (el.tag != "img" or el.get("src") == show.image_url), el.tag
            assert not [a for a in el.attrib if a.lower().startswith("on")], (el.tag, el.attrib)
            urls = [v for a, v in el.attrib.items() if a in ("href", "src", "action", "poster", "data")]
            assert not any("javascript:" in v.lower() for v in urls), (el.tag, el.attrib)
    assert [s.text for s in doc.iter("script") if "alert" in (s.text or "")] == []
    assert doc.text_content().count(LITERAL) >= 3
