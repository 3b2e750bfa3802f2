"""build_feed: every tag issue #6 lists, read back by lxml, podcastparser and feedparser."""
from __future__ import annotations

import io
from datetime import datetime

import feedparser
import podcastparser
import pytest
from lxml import etree

from feeds import FeedError, build_feed, podcast_guid, validate_feed
from tests.feeds.fixtures import BASE, make_episode, make_episodes, make_show

NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0",
      "content": "http://purl.org/rss/1.0/modules/content/", "atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def show():
    return make_show()


@pytest.fixture(scope="module")
def episodes():
    return make_episodes(6)


@pytest.fixture(scope="module")
def xml(show, episodes):
    return build_feed(show, episodes)


@pytest.fixture(scope="module")
def root(xml):
    return etree.fromstring(xml)


def test_namespaces_declared_on_root(xml):
    head = xml[:400].decode()
    for uri in NS.values():
        assert f'"{uri}"' in head


def test_channel_tags(root, show):
    ch = root.find("channel")
    assert ch.findtext("language") == "en"
    assert ch.findtext("link") == show.link
    assert ch.find("atom:link[@rel='self']", NS).get("href") == show.feed_url
    assert ch.findtext("itunes:explicit", namespaces=NS) == "false"
    assert ch.findtext("itunes:type", namespaces=NS) == "episodic"
    assert ch.find("itunes:image", NS).get("href") == show.image_url
    cats = ch.findall("itunes:category", NS)
    assert [c.get("text") for c in cats] == ["Health & Fitness", "Education"]
    assert cats[0].find("itunes:category", NS).get("text") == "Mental Health"
    assert ch.findtext("itunes:owner/itunes:email", namespaces=NS) == "ann@example.org"
    assert ch.findtext("podcast:guid", namespaces=NS) == podcast_guid(show.feed_url)
    locked = ch.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "ann@example.org")
    assert [p.text for p in ch.findall("podcast:person", NS)] == ["Ann Organiser", "Jörg Müller"]
    assert ch.find("podcast:funding", NS).get("url") == "https://example.org/donate"
    assert ch.findtext("podcast:medium", namespaces=NS) == "podcast"


def test_explicit_true_is_written_as_true():
    x = build_feed(make_show(explicit=True), [make_episode(1, explicit=False)])
    r = etree.fromstring(x)
    assert r.findtext("channel/itunes:explicit", namespaces=NS) == "true"
    assert r.findtext("channel/item/itunes:explicit", namespaces=NS) == "false"
    validate_feed(x)


def test_item_tags(root, episodes):
    items = root.findall("channel/item")
    assert len(items) == 6
    assert [i.findtext("guid") for i in items] == [e.guid for e in sorted(episodes, key=lambda e: e.pub_date, reverse=True)]
    it = items[-1]                       # episode 1
    e = episodes[0]
    assert it.find("guid").get("isPermaLink") == "false"
    assert it.findtext("pubDate") == "Mon, 08 Jan 2024 09:30:00 +0000"
    enc = it.find("enclosure")
    assert (enc.get("url"), enc.get("length"), enc.get("type")) == (e.enclosure.url, "1000001", "audio/mpeg")
    assert it.findtext("itunes:duration", namespaces=NS) == "601"
    assert it.findtext("itunes:episode", namespaces=NS) == it.findtext("podcast:episode", namespaces=NS) == "1"
    assert it.findtext("itunes:season", namespaces=NS) == it.findtext("podcast:season", namespaces=NS) == "1"
    trs = it.findall("podcast:transcript", NS)
    assert [(t.get("type"), t.get("language"), t.get("rel")) for t in trs] == [
        ("text/vtt", "en", "captions"), ("application/x-subrip", "en", None),
        ("application/json", "en", None), ("text/html", "en", None)]
    assert it.find("podcast:chapters", NS).get("type") == "application/json+chapters"
    sb = it.find("podcast:soundbite", NS)
    assert (sb.get("startTime"), sb.get("duration"), sb.text) == ("12.5", "30", "The key point")
    guest = it.find("podcast:person", NS)
    assert (guest.text, guest.get("role")) == ("Guest 1", "guest")
    alts = it.findall("podcast:alternateEnclosure", NS)
    assert [(a.get("type"), a.get("default")) for a in alts] == [("audio/mpeg", "true"), ("audio/opus", None)]
    assert alts[1].find("podcast:source", NS).get("uri") == f"{BASE}/ep-001/a-1.opus"
    assert "<ul><li>Supervision</li></ul>" in it.findtext("content:encoded", namespaces=NS)


def test_german_episode_transcripts_carry_their_language(root):
    it = [i for i in root.findall("channel/item") if i.findtext("guid").endswith("00004")][0]
    assert {t.get("language") for t in it.findall("podcast:transcript", NS)} == {"de"}


def test_video_episode_lists_video_as_alternate(root):
    it = [i for i in root.findall("channel/item") if i.findtext("guid").endswith("00003")][0]
    alts = it.findall("podcast:alternateEnclosure", NS)
    assert [a.get("type") for a in alts] == ["audio/mpeg", "video/mp4", "audio/opus"]
    assert alts[1].get("height") == "720"


def test_separate_video_feed(show, episodes):
    x = build_feed(show, episodes, video=True)
    validate_feed(x)
    r = etree.fromstring(x)
    items = r.findall("channel/item")
    assert [i.findtext("guid") for i in items] == ["chorus-peer-talk-00006:video", "chorus-peer-talk-00003:video"]
    assert {i.find("enclosure").get("type") for i in items} == {"video/mp4"}
    assert items[0].find("enclosure").get("length") == "9000006"
    ch = r.find("channel")
    assert ch.find("atom:link[@rel='self']", NS).get("href") == show.video_feed_url
    assert ch.findtext("podcast:guid", namespaces=NS) == podcast_guid(show.video_feed_url)
    assert ch.findtext("podcast:medium", namespaces=NS) == "video"


def test_parsers_read_the_feed(xml, episodes):
    pp = podcastparser.parse(BASE + "/feed.xml", io.BytesIO(xml))
    assert pp["title"] == "Peer Talk <Therapists> & Friends"
    assert pp["explicit"] is False and pp["type"] == "episodic"
    assert pp["itunes_owner"] == {"name": "Ann Organiser", "email": "ann@example.org"}
    assert pp["itunes_categories"] == [["Health & Fitness", "Mental Health"], ["Education"]]
    ep = [e for e in pp["episodes"] if e["guid"] == episodes[0].guid][0]
    assert ep["enclosures"] == [{"url": episodes[0].enclosure.url, "file_size": 1000001, "mime_type": "audio/mpeg"}]
    assert (ep["total_time"], ep["number"], ep["season"]) == (601, 1, 1)
    assert ep["title"] == "Episode 1: Boundaries & <burn-out>"
    fp = feedparser.parse(xml)
    assert not fp.bozo
    assert fp.feed.title == pp["title"] and fp.feed.language == "en"
    assert fp.feed.podcast_guid == podcast_guid(BASE + "/feed.xml")
    assert fp.feed.podcast_locked == {"owner": "ann@example.org"}
    e1 = [e for e in fp.entries if e.id == episodes[0].guid][0]
    assert e1.enclosures[0]["length"] == "1000001" and e1.itunes_duration == "601"
    assert e1.podcast_chapters["url"].endswith("c-1.json")
    assert e1.content[0].value.startswith("<p>Notes for episode 1 &amp; friends.")


def test_escaping_and_control_characters():
    evil = 'A & B <script>alert("x")</script> \x00\x07 ]]> end'
    x = build_feed(make_show(title=evil, description=evil, author=evil),
                   [make_episode(1, title=evil, summary_text=evil, notes_html=evil)])
    validate_feed(x)
    assert b"<script>" not in x and b"\x00" not in x
    pp = podcastparser.parse("x", io.BytesIO(x))
    assert pp["title"] == 'A & B alert("x") ]]> end'          # markup out, the rest as typed
    assert pp["episodes"][0]["title"] == pp["title"]


def test_non_ascii_urls_are_percent_encoded():
    ep = make_episode(1, enclosure=make_episode(1).enclosure.__class__(f"{BASE}/épisode 1/a.mp3", "audio/mpeg", 10))
    x = build_feed(make_show(), [ep])
    validate_feed(x)
    assert b"%C3%A9pisode%201/a.mp3" in x


def test_deterministic(show, episodes, xml):
    assert build_feed(show, list(reversed(episodes))) == xml


@pytest.mark.parametrize("over, words", [
    ({"pub_date": datetime(2024, 1, 1)}, "no timezone"),
    ({"enclosure": make_episode(1).enclosure.__class__(f"{BASE}/a.mp3", "audio/mpeg", None)}, "byte length"),
    ({"episode_type": "special"}, "episode_type"),
])
def test_bad_episode_is_a_one_line_error(over, words):
    with pytest.raises(FeedError) as ei:
        build_feed(make_show(), [make_episode(1, **over)])
    assert words in str(ei.value) and "\n" not in str(ei.value)


def test_video_feed_needs_a_video_url():
    with pytest.raises(FeedError, match="video_feed_url"):
        build_feed(make_show(video_feed_url=None), [make_episode(1, video=True)], video=True)


HOSTILE_NOTES = ('<p onclick="steal()">Notes &amp; <a href="https://example.org/x" target="_blank">links</a> '
                 '<img src="https://e.org/i.png" onerror="x()" alt="i"></p><script>alert(1)</script>'
                 '<style>p{}</style><iframe src="https://evil.example"></iframe><ul><li>One</li></ul>')


def test_show_notes_reach_the_feed_sanitised_so_feedparser_s_sanitiser_has_nothing_to_remove():
    """validate_feed lets feedparser skip its HTML sanitiser: build_feed already sanitised
    content:encoded (nh3), keeping only elements and attributes feedparser's sanitiser keeps."""
    from html.parser import HTMLParser

    from feedparser.sanitizer import _HTMLSanitizer

    xml = build_feed(make_show(), [make_episode(1, notes_html=HOSTILE_NOTES)])
    validate_feed(xml)
    html = feedparser.parse(xml, sanitize_html=False, resolve_relative_uris=False).entries[0].content[0].value
    seen: list = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            seen.append((tag, [a for a, _ in attrs]))

    Tags().feed(html)
    assert [t for t, _ in seen] == ["p", "a", "img", "ul", "li"], seen       # script, style, iframe gone
    assert "alert" not in html and "steal" not in html and "evil" not in html
    for tag, attrs in seen:
        assert tag in _HTMLSanitizer.acceptable_elements, tag
        assert set(attrs) <= _HTMLSanitizer.acceptable_attributes, (tag, attrs)
