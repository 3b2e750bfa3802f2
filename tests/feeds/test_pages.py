"""Show and episode pages: escaping, accessibility hooks, the transcript readable with JS off."""
from __future__ import annotations

import re

import pytest
from lxml import html as lhtml

from feeds import FeedError, MediaLink, render_episode_page, render_show_page
from tests.feeds.fixtures import make_episode, make_episodes, make_show


@pytest.fixture(scope="module")
def transcript(panel):
    """A real transcript: the generated panel (~96 s) through the bundled faster-whisper model."""
    from transcripts import TranscribeOptions, transcribe
    wav, truth = panel
    t = transcribe(wav, TranscribeOptions(speakers=[]))
    assert t.words(), "the bundled model heard no words"
    return t.to_dict()


def _doc(page: str):
    return lhtml.document_fromstring(page)


def test_show_page(tmp_path):
    show, eps = make_show(), make_episodes(5)
    page = render_show_page(show, eps)
    doc = _doc(page)
    assert doc.get("lang") == "en"
    assert doc.findtext(".//h1") == "Peer Talk <Therapists> & Friends"     # escaped, read back as text
    assert "<Therapists>" not in page
    img = doc.find(".//img[@class='cover']")
    assert img.get("src") == show.image_url and img.get("alt")
    hrefs = [a.get("href") for a in doc.iterfind(".//ul[@class='subscribe']//a")]
    assert hrefs[:2] == [show.feed_url, show.video_feed_url] and len(hrefs) == 3
    titles = [a.text for a in doc.iterfind(".//ol[@class='episodes']//h3/a")]
    assert titles == [f"Episode {i}: Boundaries & <burn-out>" for i in (5, 4, 3, 2, 1)]
    assert doc.find(".//a[@class='skip']").get("href") == "#main" and doc.get_element_by_id("main") is not None


def test_episode_page_with_real_transcript(transcript):
    show = make_show()
    ep = make_episode(2, notes_html='<p onclick="x()">Notes <script>alert(1)</script><a href="javascript:evil()">x</a></p>')
    chapters = [{"start": 0.0, "end": 4.0, "title": "Intro & <welcome>"}, {"start": 4.0, "end": 9.0, "title": "Close"}]
    page = render_episode_page(show, ep, transcript, chapters)
    doc = _doc(page)
    # notes sanitised: no script, no handlers, no javascript: URLs
    assert "<script>alert" not in page and "onclick" not in page and "javascript:" not in page
    # audio player with an accessible name and a download fallback
    player = doc.get_element_by_id("player")
    assert player.tag == "audio" and player.get("src") == ep.enclosure.url and player.get("aria-label")
    # chapters: links that work without JS (media fragment) and carry the seek time for JS
    ch = doc.findall(".//ol[@class='chapters']/li/a")
    assert [a.get("href") for a in ch] == [ep.enclosure.url + "#t=0", ep.enclosure.url + "#t=4"]
    assert "Intro & <welcome>" in ch[0].text_content()
    # every transcribed word is a span with its times, in order, and the text reads without JS
    spans = doc.findall(".//div[@id='transcript']//span[@data-s]")
    words = [w for s in transcript["segments"] for w in s["words"]]
    assert [s.text for s in spans] == [w["text"].strip() for w in words]
    assert [float(s.get("data-s")) for s in spans] == pytest.approx([w["start"] for w in words], abs=0.006)
    text = doc.get_element_by_id("transcript").text_content()
    assert "supervision" in text.lower() and "kind to yourselves" in text.lower()
    stamps = doc.findall(".//div[@id='transcript']//a[@class='ts']")
    assert len(stamps) == len(transcript["segments"])
    assert all(re.fullmatch(re.escape(ep.enclosure.url) + r"#t=[0-9.]+", a.get("href")) for a in stamps)
    assert all(a.get("aria-label", "").startswith("Play from") for a in stamps)
    # the JS-only controls are hidden until the script reveals them; the script is inline
    assert doc.get_element_by_id("transcript-tools").get("hidden") is not None
    assert "requestAnimationFrame" in page and "<script src" not in page
    # transcript download links name their format and language
    assert [a.text for a in doc.findall(".//section[@class='transcript']/p/a")][:2] == ["WebVTT captions (en)", "SRT (en)"]


def test_video_episode_has_captions_track():
    ep = make_episode(3, video=True, lang="de", poster_url="https://media.example.org/p.jpg")
    doc = _doc(render_episode_page(make_show(), ep, None, []))
    video = doc.get_element_by_id("player")
    assert video.tag == "video" and video.get("poster") == "https://media.example.org/p.jpg"
    assert video.find(".//source").get("type") == "video/mp4"
    track = video.find(".//track")  # libxml2 nests HTML5 void elements
    assert (track.get("kind"), track.get("srclang"), track.get("label")) == ("captions", "de", "Deutsch")
    assert track.get("src").endswith(".vtt") and track.get("default") is not None
    assert doc.find(".//article").get("lang") == "de"
    assert "No transcript yet." in doc.text_content()


def test_bad_transcript_is_a_one_line_error():
    with pytest.raises(FeedError, match="not a Transcript.to_dict"):
        render_episode_page(make_show(), make_episode(1), {"text": "no segments"}, [])


def test_page_escapes_every_field():
    evil = '"><img src=x onerror=alert(1)>'
    ep = make_episode(1, title=evil, summary_text=evil,
                      transcripts=[MediaLink('https://x.org/a".vtt', "text/vtt", 1, 'en"><b', "captions")])
    page = render_episode_page(make_show(title=evil, author=evil), ep,
                               {"language": "en", "segments": [{"start": 0, "end": 1, "text": evil, "speaker": evil,
                                                                "words": [{"text": evil, "start": 0, "end": 1}]}]},
                               [{"start": 0, "end": 1, "title": evil}])
    doc = _doc(page)
    assert not doc.xpath("//*[@onerror]") and not doc.xpath("//img[@src='x']") and not doc.xpath("//b")
    assert page.count(evil) == 0 and doc.text_content().count(evil) >= 5   # shown as text, never as markup


def _tiny(approved=None, probability=0.9):
    d = {"language": "en", "segments": [{"start": 0, "end": 1, "text": "Hi there", "speaker": "Host", "words": [
        {"text": "Hi", "start": 0, "end": 0.4, "probability": 0.95},
        {"text": "there", "start": 0.4, "end": 1, "probability": probability}]}]}
    if approved is not None:
        d["approved"] = approved
    return d


def test_page_says_whether_a_volunteer_approved_the_transcript():
    show, ep = make_show(), make_episode(1)

    def status(t):
        return _doc(render_episode_page(show, ep, t, [])).get_element_by_id("transcript-status").text_content()
    assert status(_tiny()).startswith("Automatic transcript:") and "not yet checked by a volunteer" in status(_tiny())
    assert status(_tiny(approved="yes")).startswith("Automatic transcript:")      # only a real True approves
    assert status(_tiny(approved=True)).startswith("Checked transcript:")
    # greyed words are explained in words (and only when there are some); they are also underlined dotted
    assert "grey with a dotted underline" not in status(_tiny())
    assert "grey with a dotted underline" in status(_tiny(probability=0.2))
    doc = _doc(render_episode_page(show, ep, _tiny(probability=0.2), []))
    assert [w.get("class") for w in doc.findall(".//span[@data-s]")] == ["w", "w low"]
    gap = _tiny()
    assert "[inaudible" not in status(gap)
    gap["segments"].append({"start": 2, "end": 14, "text": "[inaudible 12 s]", "speaker": None, "gap": True,
                            "words": [{"text": "[inaudible 12 s]", "start": 2, "end": 14, "probability": 0.0}]})
    assert "“[inaudible …]” marks speech that was heard" in status(gap)


def test_chapters_appear_once_on_the_episode_page():
    notes = ("<p>We talk.</p><h3>Chapters</h3><ul><li>00:00 Intro</li><li>00:04 Close</li></ul>"
             "<h3>Links and resources</h3><ul><li>A link</li></ul>")
    ep = make_episode(1, notes_html=notes)
    chapters = [{"start": 0, "end": 4, "title": "Intro"}, {"start": 4, "end": 9, "title": "Close"}]
    doc = _doc(render_episode_page(make_show(), ep, None, chapters))
    assert [h.text_content() for h in doc.xpath("//h2|//h3")].count("Chapters") == 1
    assert "Intro" not in doc.get_element_by_id("notes-h").getparent().text_content()
    assert "Links and resources" in doc.text_content() and "A link" in doc.text_content()
    # without the page's own chapter list the notes keep theirs
    doc = _doc(render_episode_page(make_show(), ep, None, []))
    assert "00:04 Close" in doc.get_element_by_id("notes-h").getparent().text_content()


def test_show_page_separates_notes_people_and_chapters():
    text = ("We talk about fees.\n\nWith:\nAnn (host)\nBo (guest)\n\n"
            "Chapters:\n00:00 Intro\n01:00 Fees\n02:00 Rooms\n03:00 Money\n04:00 Close\n\nTopics:\nfees, rooms")
    doc = _doc(render_show_page(make_show(), [make_episode(1, summary_text=text)]))
    summary = doc.find(".//ol[@class='episodes']//div[@class='summary']")
    paras = [p.text_content() for p in summary.findall("p")]
    assert paras == ["We talk about fees.", "With: Ann (host); Bo (guest)", "Topics: fees, rooms"]
    details = summary.find("details")
    assert details.findtext("summary") == "Chapters (5)" and len(details.findall(".//li")) == 5


def test_pages_declare_color_scheme_and_wrap_the_feed_address():
    for page in (render_show_page(make_show(), make_episodes(1)), render_episode_page(make_show(), make_episode(1))):
        assert _doc(page).find(".//meta[@name='color-scheme']").get("content") == "light dark"
    code = _doc(render_show_page(make_show(), [])).find(".//code")
    assert code.text == make_show().feed_url and code.get("class") == "url"   # style.css wraps code.url anywhere
