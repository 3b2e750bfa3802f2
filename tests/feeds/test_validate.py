"""validate_feed rejects what an app would reject, naming the problem; referenced_urls."""
from __future__ import annotations

import io
import re
import time

import feedparser
import podcastparser
import pytest
from lxml import etree

from feeds import FeedError, build_feed, referenced_urls, validate_feed
from feeds import _parsers
from feeds._parsers import check_whole_bytes as _check_whole_bytes, views as _views
from tests.feeds.fixtures import BASE, make_episodes, make_show


@pytest.fixture(scope="module")
def good() -> str:
    return build_feed(make_show(), make_episodes(3)).decode()


def test_good_feed_passes(good):
    validate_feed(good.encode())


@pytest.mark.parametrize("old, new, words", [
    ("<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>no</itunes:explicit>", "itunes:explicit must be true or false"),
    ('<itunes:image href="', '<itunes:imagex href="', "channel itunes:image"),
    ("<language>en</language>", "", "missing <language>"),
    ("<itunes:email>ann@example.org</itunes:email>", "", "itunes:owner/itunes:email"),
    ('<itunes:category text="Health &amp; Fitness">', '<itunes:category>', "itunes:category"),
    ("<itunes:type>episodic</itunes:type>", "<itunes:type>weekly</itunes:type>", "itunes:type"),
    ("<podcast:guid>", "<podcast:guid>not-a-uuid", "podcast:guid is not a UUID"),
    ('<guid isPermaLink="false">chorus-peer-talk-00002</guid>', "", "item 2 ('Episode 2: Boundaries & <burn-out>'): missing <guid>"),
    ("chorus-peer-talk-00002<", "chorus-peer-talk-00003<", "duplicate guid"),
    ("<pubDate>Mon, 15 Jan 2024 09:30:00 +0000</pubDate>", "<pubDate>2024-01-15</pubDate>", "pubDate is not an RFC 2822 date"),
    ('length="1000002"', 'length="0"', "enclosure length must be a positive byte count"),
    ('length="1000002"', 'length="1.5MB"', "enclosure length"),
    ('length="1000002" type="audio/mpeg"', 'length="1000002" type="text/html"', "not an audio/video MIME type"),
    (f'<enclosure url="{BASE}/ep-002/a-2.mp3"', f'<enclosure url="{BASE}/ép/a-2.mp3"', "not ASCII"),
    (f'<enclosure url="{BASE}/ep-002/a-2.mp3"', '<enclosure url="ftp://x/a.mp3"', "not http(s)"),
    ("<itunes:duration>602</itunes:duration>", "<itunes:duration>10 min</itunes:duration>", "itunes:duration"),
    ('type="text/vtt"', 'type="video/mp4"', "not a transcript type"),
    ("</channel>", "<item><title>x</title></channel>", "not well-formed XML"),
])
def test_each_broken_rule_is_named(good, old, new, words):
    assert old in good, old
    bad = good.replace(old, new, 1).encode()
    with pytest.raises(FeedError) as ei:
        validate_feed(bad)
    msg = str(ei.value)
    assert words in msg and "\n" not in msg, msg
    assert ei.value.reason and ei.value.path is None


def test_not_rss(good):
    with pytest.raises(FeedError, match="not an RSS 2.0 document"):
        validate_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'/>")
    with pytest.raises(FeedError, match="must be bytes"):
        validate_feed(good)


def test_referenced_urls_lists_every_published_object(good):
    urls = referenced_urls(good.encode())
    assert urls[0] == f"{BASE}/cover-3f2a.jpg"
    expected = {f"{BASE}/cover-3f2a.jpg"}
    for i in (1, 2, 3):
        d = f"{BASE}/ep-{i:03d}"
        expected |= {f"{d}/a-{i}.mp3", f"{d}/a-{i}.opus", f"{d}/c-{i}.json"} | {
            f"{d}/t-{i}.{x}" for x in ("vtt", "srt", "json", "html")}
    expected.add(f"{BASE}/ep-003/v-3.mp4")
    assert set(urls) == expected          # podcast:person img may live elsewhere: not listed
    assert len(urls) == len(set(urls))
    assert f"{BASE}/feed.xml" not in urls and f"{BASE}/" not in urls


def test_rules_still_check_items_the_parsers_already_read(good):
    validate_feed(good.encode())            # every item now known to both parsers
    bad = good.replace('length="1000002"', 'length="-5"', 1).encode()
    with pytest.raises(FeedError, match="item 2 .*enclosure length"):
        validate_feed(bad)


@pytest.mark.parametrize("video", [False, True])
def test_parsers_read_the_same_without_the_elements_they_skip(video):
    """validate_feed hands each parser the feed without the namespaces it does not interpret, and
    feedparser also without the leaf elements it has no handler for: what podcastparser and
    feedparser read must be exactly what they read from the whole feed, except feedparser's raw
    ``podcast_*`` strings (one per kind, the last one wins) and the raw keys of those leaves, which
    must be plain copies of the elements' text (what the rules and podcastparser read)."""
    xml = build_feed(make_show(), make_episodes(6), video=video)
    views = _views(etree.fromstring(xml))
    assert len(views["feedparser"]) < 0.7 * len(xml)          # something was really left out
    whole = podcastparser.parse("u", io.BytesIO(xml))
    assert podcastparser.parse("u", io.BytesIO(views["podcastparser"])) == whole
    assert len(whole["episodes"]) == (2 if video else 6)

    def fp(data):
        d = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        assert not d.bozo
        return d

    full, seen = fp(xml), fp(views["feedparser"])
    assert len(seen.entries) == len(full.entries)
    skipped = {k for a, b in zip([full.feed, *full.entries], [seen.feed, *seen.entries]) for k in a.keys() - b.keys()}
    assert {"podcast_transcript", "podcast_guid", "podcast_person"} <= skipped
    assert {"itunes_episode", "itunes_season", "itunes_episodetype", "itunes_duration"} <= skipped
    root = etree.fromstring(xml)
    items = root.findall("channel/item")
    for n, (a, b) in enumerate(zip([full.feed, *full.entries], [seen.feed, *seen.entries])):
        raw = {k: v for k, v in a.items() if k not in b}
        assert {k: v for k, v in a.items() if k in b} == dict(b)
        element = root.find("channel") if n == 0 else items[n - 1]
        for key, value in raw.items():
            if key.startswith("podcast_"):
                continue
            prefix, _, name = key.rpartition("_")
            texts = [(el.text or "").strip() for el in element
                     if isinstance(el.tag, str) and el.tag.rpartition("}")[2].lower() == name]
            assert value in texts, (key, value, texts)


@pytest.mark.parametrize("doc, words", [
    (b"<rss version='2.0'><channel></rss>", "expat (podcastparser's XML parser) rejects the feed: mismatched tag"),
    (b"<rss version='2.0'><x:a/></rss>", "unbound prefix"),
])
def test_whole_bytes_go_through_expat(doc, words):
    with pytest.raises(FeedError, match=re.escape(words)) as ei:
        _check_whole_bytes(doc)
    assert "\n" not in str(ei.value)


def _ready_helper():
    """Start the helper process (the first long feed does) and wait until it has its imports."""
    if _parsers._helper is None:
        _parsers._idle_helper()
    deadline = time.monotonic() + 60
    while not _parsers._helper.is_ready():
        assert time.monotonic() < deadline, "the feed-parsing helper did not start"
        time.sleep(0.05)
    return _parsers._helper


@pytest.fixture(scope="module")
def long_feed() -> str:
    n = _parsers.PARALLEL_MIN + 50
    return build_feed(make_show(), make_episodes(n)).decode()


def _nest_item(xml: str, k: int) -> str:
    """An <item> inside item k (1-based): the rules and expat accept it, feedparser counts it."""
    at = -1
    for _ in range(k):
        at = xml.index("</item>", at + 1)
    return xml[:at] + "<item><title>nested</title></item>" + xml[at:]


@pytest.mark.parametrize("k, part", [(2, "helper's part"), (-1, "this process's part")])
def test_a_long_feed_is_split_with_the_helper_and_a_bad_item_is_caught_in_either_part(long_feed, k, part,
                                                                                       monkeypatch):
    """Long feeds are parsed in two parts, one by the helper process: a broken item is caught
    whichever part it falls in, and the same feed without it passes through the helper."""
    monkeypatch.setattr(_parsers, "SPLIT", "always")    # whatever else the machine is running
    helper = _ready_helper()
    n = long_feed.count("<item>")
    before = helper.requests
    _parsers._passed.clear()
    validate_feed(long_feed.encode())
    assert helper.requests == before + 1          # the helper really parsed a part
    bad = _nest_item(long_feed, k if k > 0 else n - 1)
    _parsers._passed.clear()
    with pytest.raises(FeedError) as ei:
        validate_feed(bad.encode())
    assert str(ei.value).startswith("feed: feedparser read "), (part, str(ei.value))
    assert helper.requests == before + 2


def test_a_helper_that_dies_is_replaced_by_parsing_here(long_feed, monkeypatch):
    monkeypatch.setattr(_parsers, "SPLIT", "always")
    helper = _ready_helper()
    helper.proc.kill()
    helper.proc.wait()
    _parsers._passed.clear()
    validate_feed(long_feed.encode())                  # parsed here: no helper answered
    _parsers._passed.clear()
    with pytest.raises(FeedError, match="feedparser read"):
        validate_feed(_nest_item(long_feed, 3).encode())
    assert _parsers._helper is None or _parsers._helper is not helper


def test_split_never_leaves_the_helper_alone(long_feed, monkeypatch):
    helper = _ready_helper()
    monkeypatch.setattr(_parsers, "SPLIT", "never")
    before = helper.requests
    _parsers._passed.clear()
    validate_feed(long_feed.encode())
    assert helper.requests == before


def test_no_spare_core_while_every_core_is_busy():
    """``auto`` splits only while a core is idle: with one CPU-bound process per core running,
    there is none (runnable tasks from /proc/loadavg)."""
    import os
    import subprocess
    import sys

    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.3)
        samples = []
        for _ in range(10):
            samples.append(_parsers._spare_core())
            time.sleep(0.05)
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert samples.count(False) >= 8, samples
