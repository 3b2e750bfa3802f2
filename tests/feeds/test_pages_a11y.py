"""The published pages as listeners meet them, in Debian's Chromium: axe-core on every page kind (light
and dark), the transcript by keyboard alone, following playback without taking over the page (and
instantly under reduced motion), no dead controls with JavaScript off, and reflow at 320 and 390 px.

The pages are rendered by ``render_show_page``/``render_episode_page`` from the generated panel's
transcript (truth timing) and the show notes ``make_notes`` drafts from it, as the pipeline does;
the audio is a generated tone as long as the panel. Pages load from ``file://``; any http(s)
request (the fixture show's artwork and links) is aborted, so nothing leaves the machine.
"""
from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from feeds import MediaLink, render_episode_page, render_show_page
from tests.feeds.fixtures import make_episode, make_show
from transcripts import make_notes

_SIDECAR = {"host": {"name": "Ann Organiser"}, "guests": [{"name": "Jörg Müller"}, {"name": "Amira Haddad"}]}
PAGES = ("show", "audio", "video", "no-transcript")


@pytest.fixture(scope="module")
def site(tmp_path_factory, truth_transcript):
    """The four page kinds, as files: show page, audio episode with transcript, notes and chapters,
    video episode (captions track), episode without a transcript yet."""
    d = tmp_path_factory.mktemp("site")
    t = truth_transcript
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=330:duration={t.duration:.2f}",
                    "-ac", "1", "-b:a", "32k", str(d / "a.mp3")], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"color=c=black:s=160x90:r=5:d={t.duration:.2f}",
                    "-i", str(d / "a.mp3"), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(d / "v.mp4")], check=True)
    (d / "c.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ann>Ann: Welcome.\n", encoding="utf-8")
    notes = make_notes(t, sidecar=_SIDECAR)
    assert notes.chapters and notes.people, "the notes should carry people and chapters"
    audio = MediaLink("a.mp3", "audio/mpeg", (d / "a.mp3").stat().st_size)
    vtt = MediaLink("c.vtt", "text/vtt", 50, "en", "captions")
    kw = dict(summary_text=notes.text, notes_html=notes.html, enclosure=audio, transcripts=[vtt])
    show = make_show()
    eps = [make_episode(1, link="audio.html", **kw),
           dataclasses.replace(make_episode(2, link="video.html", **kw),
                               video=MediaLink("v.mp4", "video/mp4", (d / "v.mp4").stat().st_size)),
           make_episode(3, link="no-transcript.html", **kw)]
    pages = {"show": render_show_page(show, eps),
             "audio": render_episode_page(show, eps[0], t.to_dict(), notes.chapters),
             "video": render_episode_page(show, eps[1], t.to_dict(), notes.chapters),
             "no-transcript": render_episode_page(show, eps[2], None, notes.chapters)}
    for name, html in pages.items():
        (d / f"{name}.html").write_text(html, encoding="utf-8")
    words = [w for s in t.segments for w in s.words]
    return d, words


def _open(browser, site, name, *, width=1024, height=700, js=True, **media):
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=js)
    context.route(re.compile(r"^https?://"), lambda route: route.abort())
    page = context.new_page()
    if media:
        page.emulate_media(**media)
    page.goto((site[0] / f"{name}.html").as_uri())
    if js and name in ("audio", "video"):
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
    return page


def _axe(page, axe_js) -> list[str]:
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing(browser, site, axe_js, name, scheme):
    page = _open(browser, site, name, color_scheme=scheme)
    assert _axe(page, axe_js) == [], f"{name} page, {scheme} scheme"
    # color-scheme is declared, so the browser's own parts (the player's controls) follow dark mode too
    assert "dark" in page.evaluate("getComputedStyle(document.getElementById('player') || document.body).colorScheme")
    if scheme == "dark":
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(18, 18, 18)", bg
    page.context.close()


def _focused(page) -> str:
    """Where focus is: 'transcript:<index of the item>' inside the transcript, else the element's tag#id."""
    return page.evaluate("""() => { const a = document.activeElement, box = document.getElementById('transcript');
        if (box && box.contains(a)) return 'transcript:' + Array.from(box.querySelectorAll('.w')).indexOf(a);
        return a.tagName.toLowerCase() + '#' + (a.id || a.className || a.textContent.slice(0, 20)); }""")


def test_transcript_by_keyboard_only(browser, site, axe_js):
    page = _open(browser, site, "audio")
    words = site[1]
    page.evaluate("document.getElementById('player').muted = true")
    assert page.locator("#transcript [tabindex='0']").count() == 1            # one tab stop
    stops = []
    for _ in range(60):                                                         # Tab through the whole page
        page.keyboard.press("Tab")
        stops.append(_focused(page))
        if stops[-1].startswith("a#") and "RSS" in stops[-1]:                  # the footer's feed link: the end
            break
    inside = [i for i, s in enumerate(stops) if s.startswith("transcript:")]
    assert len(inside) == 1, f"Tab should stop once in the transcript, stopped at {stops}"
    assert stops[inside[0]] == "transcript:0" and inside[0] + 1 < len(stops)  # and Tab leaves it again
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "transcript:0"                                     # Shift+Tab comes back to it
    for key, want in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowLeft", 1), ("End", len(words) - 1),
                      ("ArrowRight", len(words) - 1), ("Home", 0)):
        page.keyboard.press(key)
        assert _focused(page) == f"transcript:{want}", key
    target = next(i for i, w in enumerate(words) if w.start > 40)
    for _ in range(target):
        page.keyboard.press("ArrowRight")
    assert _focused(page) == f"transcript:{target}"
    assert page.locator("#transcript [tabindex='0']").count() == 1            # the stop moved with the arrows
    page.keyboard.press("Enter")                                                # play from this word
    page.wait_for_function("!document.getElementById('player').paused", timeout=10000)
    t = page.evaluate("document.getElementById('player').currentTime")
    assert words[target].start - 0.05 <= t < words[target].start + 1.5, (t, words[target].start)
    page.wait_for_selector("#transcript .w[aria-current='true']", timeout=5000)
    assert page.locator("#transcript [aria-current]").count() == 1
    page.keyboard.press("ArrowLeft")                                            # Space plays from a word too
    y = page.evaluate("scrollY")
    page.keyboard.press(" ")
    page.wait_for_timeout(300)
    t = page.evaluate("document.getElementById('player').currentTime")
    assert words[target - 1].start - 0.05 <= t < words[target - 1].start + 1.0, t
    assert abs(page.evaluate("scrollY") - y) < 200, "Space scrolled the page instead of playing"
    help_text = page.locator("#transcript-help").inner_text()
    assert "Tab" in help_text and "arrow" in help_text and "Enter" in help_text  # not only "click"
    page.context.close()


def _seek_and_measure(page, t) -> list[float]:
    """Seek the playing player to ``t``; scrollY before, and just after the page's own 'seeked' handler."""
    return page.evaluate("""(t) => new Promise(res => { const p = document.getElementById('player'), y0 = scrollY;
        p.addEventListener('seeked', () => res([y0, scrollY]), {once: true}); p.currentTime = t; })""", t)


def _in_view(page, selector) -> bool:
    return page.evaluate("""(s) => { const r = document.querySelector(s).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight; }""", selector)


def _play_from_first_word(page):
    page.evaluate("document.getElementById('player').muted = true")
    page.locator("#transcript .w").first.click()
    page.wait_for_function("!document.getElementById('player').paused", timeout=10000)


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_following_playback(browser, site, motion):
    page = _open(browser, site, "audio", width=390, height=600, reduced_motion=motion)
    words = site[1]
    _play_from_first_word(page)
    late = next(i for i, w in enumerate(words) if w.start > 60)
    y0, y1 = _seek_and_measure(page, words[late].start + 0.01)
    if motion == "reduce":   # scrollIntoView without animation: already there when the event returns
        assert y1 - y0 > 300 and _in_view(page, "#transcript .w.current"), (y0, y1)
    else:                    # animated: at most a frame or two of the way when the event returns, there shortly
        assert y1 - y0 < 300, (y0, y1)      # (a busy machine may already have drawn a frame: 10 px seen in CI)
        page.wait_for_function("(() => { const r = document.querySelector('#transcript .w.current')"
                               ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()",
                               timeout=5000)
        assert page.evaluate("scrollY") - y0 > 300, (y0, y1)
    page.context.close()


def test_following_pauses_when_the_listener_scrolls_and_comes_back(browser, site, axe_js):
    page = _open(browser, site, "audio", width=390, height=600, reduced_motion="reduce")
    words = site[1]
    _play_from_first_word(page)
    assert page.locator("#back-to-word").is_hidden()
    page.mouse.wheel(0, -2000)                                                 # the listener scrolls away
    page.wait_for_timeout(300)
    page.wait_for_selector("#back-to-word", state="visible", timeout=3000)
    late = next(i for i, w in enumerate(words) if w.start > 70)
    y0, y1 = _seek_and_measure(page, words[late].start + 0.01)
    page.wait_for_timeout(500)
    assert page.evaluate("scrollY") == y0 == y1, "the page followed playback after the listener scrolled away"
    assert not _in_view(page, "#transcript .w.current")
    assert _axe(page, axe_js) == [], "with the back button shown and a word current"
    page.locator("#back-to-word").click()
    assert _in_view(page, "#transcript .w.current")
    # focus went to the current word (playback goes on, so the word may have moved on by one or two since)
    assert page.evaluate("""() => {
        const words = [...document.querySelectorAll('#transcript .w')];
        const focused = words.indexOf(document.activeElement), current = words.findIndex(w => w.classList.contains('current'));
        return focused >= 0 && current >= focused && current - focused <= 2;
    }""")
    assert page.locator("#back-to-word").is_hidden()
    # moving focus (Tab away) also stops following
    page.keyboard.press("Tab")
    page.wait_for_selector("#back-to-word", state="visible", timeout=3000)
    page.context.close()


@pytest.mark.parametrize("name", ("audio", "video"))
def test_without_javascript_no_dead_controls(browser, site, name):
    page = _open(browser, site, name, js=False)
    assert page.locator("#transcript").is_visible() and "Automatic transcript" in page.inner_text("main")
    for sel in ("#transcript-tools", "#follow", "#back-to-word", "#transcript-help"):
        assert page.locator(sel).is_hidden(), f"{sel} shows without JavaScript"
    assert page.locator("main input:visible, main button:visible").count() == 0
    assert not re.search(r"\bclick\b", page.inner_text("body"), re.IGNORECASE)
    assert page.evaluate("getComputedStyle(document.querySelector('#transcript .w')).cursor") != "pointer"
    href = page.locator("#transcript a.ts").first.get_attribute("href")      # what does work: #t= links
    assert re.fullmatch(r"(a\.mp3|v\.mp4)#t=[0-9.]+", href), href
    page.context.close()


@pytest.mark.parametrize("width", (320, 390))
@pytest.mark.parametrize("name", PAGES)
def test_reflow(browser, site, name, width, tmp_path_factory):
    page = _open(browser, site, name, width=width, height=800)
    sw = page.evaluate("document.scrollingElement.scrollWidth")
    if width == 320:   # for a person to look at: pytest --basetemp=... keeps them
        page.screenshot(path=str(tmp_path_factory.mktemp("shots") / f"{name}-{width}.png"), full_page=True)
    assert sw <= width, f"{name} page scrolls sideways at {width} px: {sw} px wide"
    page.context.close()
