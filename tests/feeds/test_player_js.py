"""The episode page's script in a real browser (Playwright with Debian's Chromium, never downloaded):
clicking a word seeks the player there, and the word being spoken is highlighted."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from feeds import MediaLink, render_episode_page
from tests.feeds.fixtures import make_episode, make_show


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory, panel):
    d = tmp_path_factory.mktemp("page")
    wav, truth = panel
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-ac", "1", "-b:a", "64k",
                    str(d / "a.mp3")], check=True)
    words, segments = [], []
    for i, turn in enumerate(truth["turns"]):   # truth timing, words spread evenly over each turn
        toks = turn["text"].split()
        step = (turn["end"] - turn["start"]) / len(toks)
        ws = [{"text": w, "start": turn["start"] + k * step, "end": turn["start"] + (k + 1) * step,
               "probability": 1.0, "speaker": turn["speaker"]} for k, w in enumerate(toks)]
        segments.append({"start": turn["start"], "end": turn["end"], "text": turn["text"],
                         "speaker": turn["speaker"], "words": ws})
        words += ws
    ep = make_episode(1, enclosure=MediaLink("a.mp3", "audio/mpeg", (d / "a.mp3").stat().st_size), transcripts=[])
    (d / "index.html").write_text(render_episode_page(make_show(), ep, {"language": "en", "segments": segments}, []))
    return d, words


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Debian's chromium is missing: apt-get install chromium (see .ci/run)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


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
    page.close()
