"""The episode page's script in a real browser (Playwright with Debian's Chromium, never downloaded;
the ``browser`` fixture is in conftest.py): clicking a word seeks the player there, and the word being
spoken is highlighted and marked ``aria-current``. Keyboard, reflow, no-JS and axe: test_pages_a11y.py."""
from __future__ import annotations

import subprocess

import pytest

from feeds import MediaLink, render_episode_page
from tests.feeds.fixtures import make_episode, make_show


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory, panel, truth_transcript):
    d = tmp_path_factory.mktemp("page")
    wav, truth = panel
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-ac", "1", "-b:a", "64k",
                    str(d / "a.mp3")], check=True)
    data = truth_transcript.to_dict()
    words = [w for s in data["segments"] for w in s["words"]]
    ep = make_episode(1, enclosure=MediaLink("a.mp3", "audio/mpeg", (d / "a.mp3").stat().st_size), transcripts=[])
    (d / "index.html").write_text(render_episode_page(make_show(), ep, data, []))
    return d, words


def test_click_seeks_and_current_word_is_highlighted(browser, page_dir):
    d, words = page_dir
    page = browser.new_page()
    page.goto((d / "index.html").as_uri())
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
    assert page.is_visible("#transcript-tools")            # revealed by the script
    target = next(i for i, w in enumerate(words) if w["start"] > 40)
    page.evaluate("document.getElementById('player').muted = true")
    page.locator("#transcript .w").nth(target).click()
    page.wait_for_function("!document.getElementById('player').paused", timeout=10000)
    t = page.evaluate("document.getElementById('player').currentTime")
    assert words[target]["start"] - 0.05 <= t < words[target]["start"] + 1.5
    page.wait_for_selector("#transcript .w.current", timeout=5000)
    idx = page.evaluate("Array.from(document.querySelectorAll('#transcript .w')).findIndex(w => w.classList.contains('current'))")
    now = page.evaluate("document.getElementById('player').currentTime")
    assert words[idx]["start"] <= now + 0.3 and idx >= target
    assert page.locator("#transcript .w.current").count() == 1
    assert page.locator("#transcript [aria-current]").count() == 1
    assert page.locator("#transcript .w.current").get_attribute("aria-current") == "true"
    page.close()
