"""validate_feed rejects what an app would reject, naming the problem; referenced_urls."""
from __future__ import annotations

import io
import re

import feedparser
import podcastparser
import pytest
from lxml import etree

from feeds import FeedError, build_feed, referenced_urls, validate_feed
from feeds._views import views as _views
from tests.feeds.fixtures import BASE, make_episode, make_episodes, make_show


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


def test_a_changed_item_is_checked_again(good):
    known = validate_feed(good.encode()).digests
    bad = good.replace('length="1000002"', 'length="-5"', 1).encode()
    with pytest.raises(FeedError, match="item 2 .*enclosure length"):
        validate_feed(bad, known)


@pytest.fixture(scope="module")
def long_feed():
    """A 300-episode feed and the digests of its check; then the same show with episode 301 added."""
    show, eps = make_show(), make_episodes(300)
    first = validate_feed(build_feed(show, eps))
    return first, build_feed(show, [*eps, make_episode(301)]).decode()


def test_only_new_items_are_parsed_and_every_digest_is_returned(long_feed):
    first, xml = long_feed
    assert (first.items, first.parsed, len(first.digests)) == (300, 300, 300)
    check = validate_feed(xml.encode(), first.digests)
    assert (check.items, check.parsed) == (301, 1)
    assert {g: d for g, d in check.digests.items() if g in first.digests} == first.digests
    assert validate_feed(xml.encode(), check.digests).parsed == 0      # nothing new: only the channel


def _nest_item(xml: str, k: int) -> str:
    """An <item> inside item k (1-based): the rules and expat accept it, the parsers count it."""
    at = -1
    for _ in range(k):
        at = xml.index("</item>", at + 1)
    return xml[:at] + "<item><title>nested</title></item>" + xml[at:]


@pytest.mark.parametrize("k, words", [(1, "read 2 items, not 1"),      # the new item (the newest)
                                      (150, "read 3 items, not 2")])    # an item checked before: changed
def test_a_broken_item_is_caught_whether_new_or_known(long_feed, k, words):
    first, xml = long_feed
    with pytest.raises(FeedError, match=f"feed: feedparser {words}$"):
        validate_feed(_nest_item(xml, k).encode(), first.digests)


@pytest.mark.parametrize("old, new, words", [
    ("<itunes:type>episodic</itunes:type>", "<itunes:type>weekly</itunes:type>", "itunes:type"),
    ("<title>Peer Talk", "<title>Peer Talk <a>x</b>", "not well-formed XML"),
])
def test_the_channel_and_the_whole_bytes_are_checked_every_time(long_feed, old, new, words):
    first, xml = long_feed
    with pytest.raises(FeedError, match=re.escape(words)):
        validate_feed(xml.replace(old, new, 1).encode(), first.digests)


def test_a_known_item_repeated_is_a_duplicate(long_feed):
    first, xml = long_feed
    items = re.findall(r"<item>.*?</item>", xml)
    doubled = xml.replace(items[5], items[5] + items[5], 1).encode()
    with pytest.raises(FeedError, match="item 7 .*duplicate guid"):
        validate_feed(doubled, first.digests)


def test_digests_depend_on_the_namespace_context(long_feed):
    """The same item bytes under other namespace declarations are another item: checked again."""
    first, xml = long_feed
    moved = xml.replace("<rss ", '<rss xmlns:media="http://search.yahoo.com/mrss/" ', 1)
    assert validate_feed(moved.encode(), first.digests).parsed == 301


def test_validation_runs_in_this_process_only():
    """The parsing helper process is gone: validating a long feed starts no child process."""
    import multiprocessing
    import subprocess

    started = []
    real = subprocess.Popen.__init__

    def spy(self, *a, **k):
        started.append(a)
        real(self, *a, **k)

    subprocess.Popen.__init__ = spy
    try:
        validate_feed(build_feed(make_show(), make_episodes(250)))
    finally:
        subprocess.Popen.__init__ = real
    assert started == [] and multiprocessing.active_children() == []


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


def test_whole_bytes_go_through_expat():
    """A document lxml accepts but expat rejects is named as expat's: an undeclared prefix in an
    attribute value is fine for both, so the check is shown on the function itself (a doctest of
    ``feeds.validate._check_bytes``); here: a feed with a byte-order mark still passes both."""
    xml = build_feed(make_show(), make_episodes(2))
    validate_feed(b"\xef\xbb\xbf" + xml)
