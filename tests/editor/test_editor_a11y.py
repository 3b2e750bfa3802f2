"""The editor's pages for people who use a keyboard, a screen reader, dark mode or a narrow screen, in
Debian's Chromium against the real app: axe-core finds nothing serious or critical on the login, queue,
editor (also with its dialogs and conflict view open) and history pages, light and dark; the pages reflow
at 320 px; everything the editor does is reachable by keyboard, the shortcuts work while typing and can be
rebound by keyboard (never to Tab or a bare Alt+letter), and Tab always leaves what it enters.
"""
from __future__ import annotations

import pytest

from chorus import accounts
from tests.editor._live import live, log_in  # noqa: F401 - fixtures

PLAYER = "document.getElementById('player')"


def _axe(page, axe_js) -> list[str]:
    """Serious and critical violations. The page's context bypasses CSP, which forbids the inline script
    add_script_tag makes; every other test runs under the app's CSP."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _page(browser, live, path, name="ed", **context):
    ctx = browser.new_context(**context)
    page = log_in(ctx, live.url, name) if name else ctx.new_page()
    page.goto(live.url + path)
    if path.startswith("/episodes/") and not path.endswith("history"):
        page.wait_for_selector("main[data-ready]", timeout=20000)
        page.evaluate(f"{PLAYER}.muted = true")
    return page


def _paths(live):
    return {"login": "/login", "queue": "/", "editor": f"/episodes/{live.episode}",
            "history": f"/episodes/{live.episode}/history"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["login", "queue", "editor", "history"])
def test_axe_finds_nothing_serious(browser, live, axe_js, kind, scheme):
    page = _page(browser, live, _paths(live)[kind], None if kind == "login" else "ed", color_scheme=scheme, bypass_csp=True)
    assert _axe(page, axe_js) == [], f"{kind} page, {scheme}"
    assert "dark" in page.evaluate("getComputedStyle(document.documentElement).colorScheme")
    page.context.close()


def test_axe_with_the_dialogs_and_the_conflict_view_open(browser, live, axe_js):
    page = _page(browser, live, _paths(live)["editor"], "olive", bypass_csp=True)
    page.locator("#transcript button.spk").first.click()
    assert page.locator("#speaker-dialog").is_visible()
    assert _axe(page, axe_js) == [], "speaker dialog"
    page.keyboard.press("Escape")
    assert page.locator("#speaker-dialog").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('spk')"), "focus did not come back"
    page.evaluate("""() => { const c = document.getElementById('conflicts'); c.hidden = false;
        document.getElementById('conflict-list').innerHTML = '<li><h3>Paragraph 1</h3></li>'; }""")
    assert _axe(page, axe_js) == [], "conflict view"
    page.context.close()


@pytest.mark.parametrize("kind", ["login", "queue", "editor", "history"])
def test_reflow_at_320_px(browser, live, kind, tmp_path_factory):
    page = _page(browser, live, _paths(live)[kind], None if kind == "login" else "ed", viewport={"width": 320, "height": 700})
    sw = page.evaluate("document.scrollingElement.scrollWidth")
    page.screenshot(path=str(tmp_path_factory.mktemp("shots") / f"{kind}-320.png"), full_page=False)
    assert sw <= 320, f"the {kind} page scrolls sideways at 320 px: {sw} px wide"
    page.context.close()


def _focus(page) -> str:
    return page.evaluate("""() => { const a = document.activeElement;
        if (a.closest('#transcript')) return 'paragraph:' + a.closest('.para').dataset.i + (a.classList.contains('spk') ? ':speaker' : '');
        return a.tagName.toLowerCase() + '#' + (a.id || (a.dataset.action ? 'rebind-' + a.dataset.action : '') || a.name
            || a.textContent.trim().slice(0, 24)); }""")


def test_tab_reaches_every_control_and_always_moves_on(browser, live):
    page = _page(browser, live, _paths(live)["editor"], "olive")
    n_paras = page.locator("#transcript .para").count()
    stops = []
    for _ in range(2 * n_paras + 80):
        page.keyboard.press("Tab")
        stops.append(_focus(page))
        if stops[-1] == "button#shortcuts-reset":
            break
    for want in ("button#save", "button#approve", "a#History", "paragraph:0", "paragraph:0:speaker", f"paragraph:{n_paras - 1}",
                 "a#Skip past the transcript", "button#shortcuts-reset"):
        assert any(s == want or s.startswith(want) for s in stops), f"{want} not reached by Tab: {stops}"
    runs = [1]
    for a, b in zip(stops, stops[1:]):
        runs.append(runs[-1] + 1 if a == b else 1)
        # never trapped, not even in text; the player's own controls are several stops inside one element
        assert runs[-1] == 1 or (a == "audio#player" and runs[-1] <= 6), f"Tab stayed on {a}"
    page.context.close()


def test_shortcuts_work_while_typing_and_rebind_by_keyboard(browser, live):
    page = _page(browser, live, _paths(live)["editor"], "eve")
    rows = page.inner_text("#shortcut-rows")
    for words in ("Play or pause", "Back 5 seconds", "Forward 5 seconds", "Slower", "Faster", "Next low-confidence"):
        assert words in rows
    page.locator("#transcript .text").nth(1).focus()                     # in a paragraph, as when typing
    page.keyboard.press("F2")
    assert page.evaluate(f"{PLAYER}.currentTime") == pytest.approx(5, abs=0.3)
    page.keyboard.press("F1")
    assert page.evaluate(f"{PLAYER}.currentTime") == pytest.approx(0, abs=0.3)
    page.keyboard.press("F4")
    assert page.evaluate(f"{PLAYER}.playbackRate") == pytest.approx(1.1)
    page.keyboard.press("F3")
    page.keyboard.press("F3")
    assert page.evaluate(f"{PLAYER}.playbackRate") == pytest.approx(0.9)
    page.keyboard.press("F8")                                            # the next unsure word, selected to retype
    selected = page.evaluate("getSelection().toString()")
    low = page.evaluate("(s) => [...document.querySelectorAll('#transcript .w.low')].find(w => w.textContent === s) !== undefined", selected)
    assert selected and low, selected
    page.wait_for_function("() => document.getElementById('status').textContent.includes('confidence 0.30')")
    # rebind play/pause by keyboard: refused keys say why, Tab cancels and moves on, a function key is taken
    button = page.locator("button.rebind[data-action='playPause']")
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Alt+k")
    assert "Alt with a letter" in page.inner_text("#rebind-help")
    page.keyboard.press("k")
    assert "types or edits text" in page.inner_text("#rebind-help")
    page.keyboard.press("Tab")
    assert "Not changed" in page.inner_text("#rebind-help") and page.evaluate("document.activeElement.dataset.action") == "back"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("F9")
    assert page.locator("#shortcut-rows tr").first.locator("kbd").inner_text() == "F9"
    page.reload()
    page.wait_for_selector("main[data-ready]")
    page.evaluate(f"{PLAYER}.muted = true")
    assert page.locator("#shortcut-rows tr").first.locator("kbd").inner_text() == "F9"   # kept in this browser
    page.locator("#transcript .text").nth(1).focus()
    page.keyboard.press("F9")
    page.wait_for_function(f"() => !{PLAYER}.paused", timeout=10000)
    page.keyboard.press("F9")
    assert page.evaluate(f"{PLAYER}.paused")
    page.click("#shortcuts-reset")
    assert page.locator("#shortcut-rows tr").first.locator("kbd").inner_text() == "Escape"
    page.context.close()


def test_find_and_replace_previews_before_it_replaces(browser, live):
    page = _page(browser, live, _paths(live)["editor"], "eve")
    page.fill("#find-text", "supervision")
    page.locator("#find-text").press("Enter")
    preview = page.locator("#find-preview")
    count = page.evaluate("[...document.querySelectorAll('#transcript .text')].reduce((n, b) => n + (b.textContent.match(/\\bsupervision\\b/gi) || []).length, 0)")
    assert count >= 2 and f"{count} matches in" in preview.inner_text()
    assert preview.locator("mark").count() == count
    assert page.locator("#transcript .text", has_text="supervision").count() > 0      # nothing replaced yet
    page.fill("#replace-text", "peer supervision")
    assert page.locator("#replace-all").is_disabled()                                # changed: preview again
    page.locator("#find-text").press("Enter")
    page.click("#replace-all")
    assert f"Replaced {count} matches" in preview.inner_text()
    assert page.evaluate("[...document.querySelectorAll('#transcript .text')].reduce((n, b) => n + (b.textContent.match(/peer supervision/g) || []).length, 0)") == count
    page.context.close()


def test_a_draft_survives_reload_and_an_expired_session_asks_to_log_in(browser, live):
    page = _page(browser, live, _paths(live)["editor"], "eve")
    box = page.locator("#transcript .text").nth(3)
    box.locator(".w").first.dblclick()
    page.keyboard.type("Draftword")
    page.wait_for_function("() => document.getElementById('save-state').textContent.includes('Draft kept on the server')", timeout=15000)
    page.reload()
    page.wait_for_selector("main[data-ready]")
    assert "Restored your unsaved draft" in page.inner_text("#save-state")
    assert page.locator("#transcript .text").nth(3).inner_text().startswith("Draftword")
    # the session ends (expired or revoked): saving asks to log in again, in a dialog, then saves
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "chorus_session")
    accounts.end_session(live.catalog, token)
    page.keyboard.press("Control+s")
    page.wait_for_selector("#login-dialog[open]", timeout=10000)
    assert page.evaluate("document.activeElement.id") == "relogin-password"
    assert "changes are kept" in page.inner_text("#login-dialog")
    local = page.evaluate(f"localStorage.getItem('chorus-draft:{live.episode}')")
    assert local and "Draftword" in local                                         # the last resort copy
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('relogin-error').textContent.length > 0")
    from tests.editor._live import PASSWORDS
    page.fill("#relogin-password", PASSWORDS["eve"])
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('save-state').textContent.includes('Saved as revision')", timeout=20000)
    assert page.locator("#login-dialog").is_hidden()
    assert page.evaluate(f"localStorage.getItem('chorus-draft:{live.episode}')") is None
    page.context.close()


def test_reassign_a_paragraph_and_edit_a_chapter_title_by_keyboard(browser, live):
    page = _page(browser, live, _paths(live)["editor"], "eve")
    page.locator("#transcript .text").nth(1).focus()
    page.keyboard.press("Shift+Tab")                                     # the speaker button before paragraph 2
    assert _focus(page) == "paragraph:1:speaker"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "speaker-choice"
    page.keyboard.press("Tab")
    page.keyboard.type("Guest 'two' \"quoted\"")
    page.keyboard.press("Enter")
    assert page.locator("#speaker-dialog").is_hidden() and _focus(page) == "paragraph:1:speaker"
    assert page.locator("#transcript .para").nth(1).get_attribute("data-speaker") == "Guest 'two' \"quoted\""
    assert page.locator("#transcript .para").nth(3).get_attribute("data-speaker") != "Guest 'two' \"quoted\""
    assert "Unsaved" in page.inner_text("#save-state")
    # a chapter title, then Save notes, without the mouse
    page.locator("#notes-title").focus()
    first = page.locator("input.chapter").first
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('chapter')"):
            break
    page.keyboard.press("Control+a")
    page.keyboard.type("Welcome & <hello>")
    page.keyboard.press("Enter")                                         # submits the notes form
    page.wait_for_function("() => document.getElementById('notes-state').textContent.includes('Notes saved as revision')")
    page.reload()
    page.wait_for_selector("main[data-ready]")
    page.wait_for_function("() => document.querySelector('input.chapter') !== null")
    assert first.input_value() == "Welcome & <hello>"
    page.context.close()
