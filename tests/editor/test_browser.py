"""The editor as volunteers use it, in Debian's Chromium (Playwright, never a downloaded browser), against
the real app on a free port with a real catalog and an episode really published to SeaweedFS.

One story, in order (the steps share the module's episode): log in, play, seek by clicking a word; correct
a word and rename a speaker with the keyboard only and save; see the revision and its diff; a second
volunteer's save merges, then an overlapping one conflicts and is resolved; an organiser approves and the
corrected captions reach the bucket and the feed. Then the figures the issue sets for a 2-hour transcript.
"""
from __future__ import annotations

import re
import time
import urllib.request

import pytest
from sqlalchemy import select

from chorus.catalog import Episode
from tests.editor._live import live, log_in  # noqa: F401 - fixtures
from tests.editor.conftest import add_episode, machine_transcript

PLAYER = "document.getElementById('player')"


def _editor(context, url, episode, name):
    page = log_in(context, url, name)
    page.csp_errors = []                                               # the app's CSP must never block its own page
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    page.goto(f"{url}/episodes/{episode}")
    page.wait_for_selector("main[data-ready]", timeout=20000)
    page.evaluate(f"{PLAYER}.muted = true")
    return page


def tab_to(page, selector: str, limit: int = 300, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until focus is on ``selector``: reachable by keyboard, or fail."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    pytest.fail(f"{selector} is not reachable with Tab")


def _para(page, i: int) -> str:
    return page.evaluate("(i) => document.querySelectorAll('#transcript .text')[i].textContent.replace(/\\s+/g, ' ').trim()", i)


def _saved(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('save-state').textContent.includes(t)", arg=text, timeout=20000)


@pytest.fixture(scope="module")
def state():
    return {}


def test_1_log_in_play_and_seek_by_clicking_a_word(live, browser, state):
    context = browser.new_context()
    page = _editor(context, live.url, live.episode, "ed")
    state["ed"] = page
    page.keyboard.press("Escape")                                   # the play/pause shortcut, focus anywhere
    page.wait_for_function(f"() => !{PLAYER}.paused && {PLAYER}.currentTime > 0.3", timeout=15000)
    page.wait_for_selector("#transcript .w[aria-current='true']", timeout=5000)
    word = page.locator("#transcript .para").nth(4).locator(".w").nth(2)
    start = float(word.get_attribute("data-s"))
    word.click()
    t = page.evaluate(f"{PLAYER}.currentTime")
    assert start - 0.05 <= t <= start + 0.6, (t, start)
    page.wait_for_function("(s) => { const w = document.querySelector(\"#transcript .w[aria-current='true']\");"
                           " return w && Math.abs(+w.dataset.s - s) < 1.5; }", arg=start, timeout=5000)
    assert page.locator("#transcript [aria-current]").count() == 1
    # typing pauses playback; resuming replays the last 1.5 s
    page.wait_for_function(f"() => {PLAYER}.currentTime > {start + 1.0}", timeout=10000)
    page.keyboard.type("x")
    assert page.evaluate(f"{PLAYER}.paused")
    paused_at = page.evaluate(f"{PLAYER}.currentTime")
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => !{PLAYER}.paused", timeout=5000)
    resumed = page.evaluate("(() => { const p = document.getElementById('player'); p.pause(); return p.currentTime; })()")
    assert paused_at - 1.6 <= resumed <= paused_at - 1.0, (paused_at, resumed)
    assert page.csp_errors == []


def test_2_correct_and_rename_with_the_keyboard_only_then_save(live, state):
    page = state["ed"]
    tab_to(page, "#transcript .para:first-child .text", back=True)  # from paragraph 5 back to the first
    page.keyboard.press("Control+Home")
    page.keyboard.press("Control+Shift+ArrowRight")                 # select "Hello"
    page.keyboard.type("Greetings")
    assert _para(page, 0).startswith("Greetings and welcome"), _para(page, 0)
    page.wait_for_function("() => document.getElementById('save-state').textContent.includes('nsaved')", timeout=5000)
    tab_to(page, "#rename-from")
    page.keyboard.press("Home")                                     # Guest (sorted first)
    assert page.evaluate("document.getElementById('rename-from').value") == "Guest"
    page.keyboard.press("Tab")
    page.keyboard.type("Dr Amira <Haddad>")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#transcript .para[data-speaker=\"Dr Amira <Haddad>\"]').length > 3")
    assert page.locator("#transcript .para[data-speaker='Guest']").count() == 0
    page.keyboard.press("Control+s")                                # the save shortcut
    _saved(page, "Saved as revision 2")
    assert "revision 2" in page.inner_text("#status")
    assert page.locator("#revision").inner_text() == "2"
    assert _para(page, 0).startswith("Greetings and welcome")


def test_3_history_shows_the_revision_and_its_word_diff(live, browser, state):
    page = state["ed"]
    page.goto(f"{live.url}/episodes/{live.episode}/history")
    item = page.locator("#rev-2")
    assert "by ed" in item.inner_text()
    diff = page.locator("#diff")
    assert diff.locator("del", has_text="Hello").count() == 1 and diff.locator("ins", has_text="Greetings").count() == 1
    text = " ".join(diff.text_content().split())                         # what a screen reader reads
    assert "removed: Hello" in text and "added: Greetings" in text         # not by colour alone
    assert diff.locator("ins", has_text="Dr Amira <Haddad>").count() >= 1     # the rename, as text
    assert page.evaluate("getComputedStyle(document.querySelector('#diff del')).textDecorationLine") == "line-through"


def _edit_word(page, para: int, word: int, new: str) -> None:
    w = page.locator("#transcript .para").nth(para).locator(".w").nth(word)
    w.dblclick()
    page.keyboard.type(new)


def test_4_a_second_volunteer_merges_then_conflicts(live, browser, state):
    ed = _editor(browser.new_context(), live.url, live.episode, "ed")
    eve = _editor(browser.new_context(), live.url, live.episode, "eve")
    assert ed.locator("#revision").inner_text() == eve.locator("#revision").inner_text() == "2"
    queue = eve.context.new_page()                                    # the queue says who is editing
    queue.goto(f"{live.url}/")
    assert re.search(r"being edited by ed since \d{4}-\d\d-\d\d \d\d:\d\d UTC", queue.inner_text("table.queue"))
    queue.close()
    _edit_word(ed, 2, 0, "So")                                        # "Let us start..." -> "So us start..."
    ed.keyboard.press("Control+s")
    _saved(ed, "Saved as revision 3")
    _edit_word(eve, 6, 0, "Right,")                                   # another paragraph, from revision 2
    eve.keyboard.press("Control+s")
    _saved(eve, "merged")
    assert eve.locator("#revision").inner_text() == "4"
    assert _para(eve, 2).startswith("So us start") and _para(eve, 6).startswith("Right,")
    # ed, still on revision 3, changes the word eve changed: a conflict, shown with both versions
    _edit_word(ed, 6, 0, "Well,")
    ed.keyboard.press("Control+s")
    ed.wait_for_selector("#conflicts:not([hidden])", timeout=20000)
    view = ed.locator("#conflicts")
    assert "Paragraph 7" in view.inner_text()
    assert "Well," in view.locator("figure").nth(0).inner_text() and "Right," in view.locator("figure").nth(1).inner_text()
    assert ed.evaluate("document.activeElement.id") == "conflicts"
    ed.locator("#conflicts textarea").fill(_para(eve, 6).replace("Right,", "Right then,", 1))   # edit it
    ed.click("#resolve-save")
    _saved(ed, "Saved as revision 5")
    assert ed.locator("#conflicts").is_hidden()
    assert _para(ed, 6).startswith("Right then,") and _para(ed, 2).startswith("So us start")
    assert _para(ed, 0).startswith("Greetings")                      # nothing overwritten silently
    for p in (ed, eve):
        p.context.close()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=15) as r:
        return r.read().decode("utf-8")


def test_5_an_organiser_approves_and_the_captions_are_republished(live, browser, state):
    olive = _editor(browser.new_context(), live.url, live.episode, "olive")
    assert olive.locator("#approve").inner_text() == "Approve revision 5"
    olive.click("#approve")
    olive.wait_for_function("() => document.getElementById('status').textContent.includes('approved')", timeout=20000)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with live.catalog.session() as s:
            ep = s.scalar(select(Episode).where(Episode.id == live.episode))
            status, objects = ep.status, dict(ep.objects or {})
        if status == "published" and "Right then" in _get(objects["vtt"]["url"]):
            break
        assert status != "failed", status
        time.sleep(1)
    vtt = _get(objects["vtt"]["url"])
    assert "Greetings and welcome" in vtt and "Right then," in vtt
    assert "<v Dr Amira &lt;Haddad&gt;>" in vtt or "Dr Amira &lt;Haddad&gt;" in vtt, vtt[:400]
    feed = _get(live.feed_url)
    assert objects["vtt"]["url"] in feed, "the feed does not list the corrected captions"
    assert olive.csp_errors == []
    olive.context.close()
    state["ed"].context.close()


def test_6_restore_makes_a_new_revision_and_deletes_nothing(live, browser):
    page = log_in(browser.new_context(), live.url, "ed")
    page.goto(f"{live.url}/episodes/{live.episode}/history?revision=1")
    newest = int(page.locator(".revisions li").first.get_attribute("id").split("-")[1])
    page.locator("#rev-1 button", has_text="Restore revision 1").press("Enter")
    page.wait_for_url(re.compile(rf"revision={newest + 1}$"))
    assert page.locator(".revisions li").count() == newest + 1                     # all the others are still there
    diff = page.locator("#diff")
    assert diff.locator("del", has_text="Greetings").count() == 1 and diff.locator("ins", has_text="Hello").count() == 1
    page.goto(f"{live.url}/episodes/{live.episode}")
    page.wait_for_selector("main[data-ready]")
    assert _para(page, 0).startswith("Hello and welcome")
    page.context.close()


@pytest.fixture(scope="module")
def long_episode(live):
    """A 2-hour, 20,000-word transcript (400 turns of 50 words, every 23rd word unsure)."""
    vocab = "we talked about supervision fees groups and the quiet months after training when clients".split()
    turns = [(f"Speaker {k % 3 + 1}", " ".join(vocab[(k + j) % len(vocab)] for j in range(50))) for k in range(400)]
    t = machine_transcript(turns, low=set(range(0, 20000, 23)))
    assert len(t.words()) == 20000 and t.duration > 7000
    return add_episode(live.catalog, "Two hour panel", t)


def test_a_2_hour_transcript_opens_whole_and_takes_typing(live, browser, long_episode):
    """Every one of 20,000 words is on the page and typing in the 200th paragraph lands there. How fast
    is a benchmark (bench/editor.py, docs/bench/editor.md), not a timed test: a busy CI machine must
    not fail it, and a slow page must not pass it silently."""
    context = browser.new_context()
    page = log_in(context, live.url, "ed")
    page.goto(f"{live.url}/episodes/{long_episode}")
    page.wait_for_selector("main[data-ready]", timeout=60000)
    assert page.locator("#transcript .w").count() == 20000
    box = page.locator("#transcript .text").nth(200)
    box.scroll_into_view_if_needed()
    box.locator(".w").nth(10).click()
    page.keyboard.type(" keystrokes ", delay=30)
    assert " keystrokes" in box.inner_text()
    assert "keystrokes" not in page.locator("#transcript .text").nth(199).inner_text()
    page.wait_for_function("() => document.getElementById('save-state').textContent.includes('nsaved')",
                           timeout=5000)
    context.close()
