"""Reviewing personal-data flags in the editor, keyboard only, in Debian's Chromium (Playwright) against the
real app under uvicorn with a real SQLite catalog and ``chorus.privacy_review``.

An episode in which a guest names a client and reads out a phone number is held with three flags. A
volunteer moves to the first flag, redacts it, moves to the next and redacts it, selects two words nobody
flagged and redacts them with the shortcut, goes back to the third flag and dismisses it with a reason in
the dialog. The transcript then reads [redacted] at those places, the API says who decided what and why,
the removed words are nowhere in the page, and the panel shows each redaction's check (pending, passed,
failed). Then axe-core on the page with flags highlighted, light and dark, and with the dialog open.

The republisher here is a recording function (``Recorder``): it proves the routes ask for a republish; the
real republish and the check after it are the lead's end-to-end test.
"""
from __future__ import annotations

import pytest

from chorus import accounts, privacy_review
from chorus.catalog import Catalog
from chorus.services import free_port
from chorus.settings import Settings
from tests.editor._live import log_in
from tests.editor.conftest import PASSWORDS, ROLES
from tests.editor.test_browser import tab_to
from tests.editor.test_editor_a11y import _axe
from tests.editor.test_privacy_api import PLANTED, REASON, Recorder, private_episode

STATUS = "document.getElementById('status').textContent"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``url``, ``catalog``, ``episode`` (held, three open flags), ``spare`` (another such episode), ``republish``."""
    from editor.serving import EditorServer

    root = tmp_path_factory.mktemp("privacy-editor")
    settings = Settings(data_dir=root / "data")
    settings.data_dir.mkdir(parents=True)
    catalog = Catalog(settings.catalog)
    for name, role in ROLES.items():
        accounts.add_user(catalog, name, role, PASSWORDS[name])
    episode, ids = private_episode(catalog)
    spare, _ = private_episode(catalog, title="Boundaries again")
    republish = Recorder()
    server = EditorServer(settings, catalog, None, republish=republish, host="127.0.0.1", port=free_port()).start()
    yield type("Served", (), dict(url=server.url.rstrip("/"), catalog=catalog, episode=episode, ids=ids, spare=spare,
                                   republish=republish))
    server.stop()


def _open(context, served, episode, name="ed"):
    page = log_in(context, served.url, name)
    page.csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    page.goto(f"{served.url}/episodes/{episode}")
    page.wait_for_selector("main[data-ready]", timeout=20000)
    page.wait_for_function("() => document.querySelectorAll('#flag-list li').length === 3", timeout=10000)
    return page


def _said(page, text: str) -> None:
    page.wait_for_function(f"(t) => {STATUS}.includes(t)", arg=text, timeout=20000)


def _revision(page, n: int) -> None:
    page.wait_for_function("(n) => document.getElementById('revision').textContent === String(n)", arg=n, timeout=20000)


def _transcript(page) -> str:
    return " ".join(page.evaluate("document.getElementById('transcript').textContent").split())


def test_a_volunteer_reviews_the_flags_with_the_keyboard_only(browser, served):
    context = browser.new_context()
    page = _open(context, served, served.episode)
    # flags are highlighted unlike unsure words: a solid underline and a tint, with the kind as a label
    assert page.locator("#transcript .w.flag").count() == 2 + 11 + 2
    assert page.locator("#transcript .w.flag-start").count() == 3
    style = "(s) => { const c = getComputedStyle(document.querySelector(s)); return [c.textDecorationStyle, c.backgroundColor]; }"
    flag, low = page.evaluate(style, "#transcript .w.flag:not(.low)"), page.evaluate(style, "#transcript .w.low:not(.flag)")
    assert flag[0] == "solid" and low[0] == "dotted" and flag[1] != low[1]
    assert page.evaluate("getComputedStyle(document.querySelector('#transcript .w.flag-start'), '::before').content") == '"person: "'

    page.keyboard.press("F9")                                            # next flag: the first one
    _said(page, "Flag 1 of 3: person “Jane Doe”")
    assert page.evaluate("getSelection().toString()") == "Jane Doe"
    page.keyboard.press("Control+Shift+Enter")                           # redact the flag in focus
    _revision(page, 2)
    _said(page, "Redacted the person: 1 occurrence")
    page.keyboard.press("F9")
    _said(page, "Flag 1 of 2: phone number “oh seven seven double nine")
    page.keyboard.press("Control+Shift+Enter")
    _revision(page, 3)
    _said(page, "Redacted the phone number")

    tab_to(page, "#transcript .para:nth-child(4) .text")                 # the guest's second turn
    assert page.evaluate("document.activeElement.textContent").startswith("Yes, we met on Mill Lane")
    page.keyboard.press("Control+Home")
    for _ in range(len("Yes, we met on ")):
        page.keyboard.press("ArrowRight")
    for _ in range(len("Mill Lane")):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("getSelection().toString()") == "Mill Lane"
    page.keyboard.press("Control+Shift+X")                               # redact the selected words
    _revision(page, 4)
    _said(page, "Redacted 2 selected words")

    page.keyboard.press("Shift+F9")                                      # back to the flag before the caret
    _said(page, "Flag 1 of 1: workplace “Riverside Clinic")
    before = page.evaluate("document.activeElement.closest('.para').dataset.i")
    page.keyboard.press("Control+Shift+D")
    page.wait_for_selector("#dismiss-dialog[open]")
    assert page.evaluate("document.activeElement.id") == "dismiss-reason"
    for key, want in (("Tab", "dismiss-ok"), ("Tab", None), ("Tab", "dismiss-reason"), ("Shift+Tab", None)):
        page.keyboard.press(key)                                         # focus stays in the dialog, both ways
        assert page.evaluate("document.getElementById('dismiss-dialog').contains(document.activeElement)")
        if want:
            assert page.evaluate("document.activeElement.id") == want
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "dismiss-reason"
    page.keyboard.type(REASON)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#dismiss-dialog", state="hidden")
    _said(page, "Dismissed the workplace")
    assert page.evaluate("document.activeElement.closest('.para') && document.activeElement.closest('.para').dataset.i") == before

    text = _transcript(page)
    for place in ("client [redacted] rang", "number, [redacted]", "met on [redacted] near"):
        assert place in text, text
    assert "Riverside Clinic" in text                                      # dismissed: the words stay
    assert page.locator("#transcript .w.redacted").count() == 3 and page.locator("#transcript .w.flag").count() == 0
    flags = {f["kind"]: f for f in page.request.get(f"{served.url}/api/episodes/{served.episode}/flags").json()["flags"]}
    assert [(flags[k]["state"], flags[k]["decided_by"]) for k in ("person", "phone", "workplace")] == [
        ("redacted", "ed"), ("redacted", "ed"), ("dismissed", "ed")]
    assert flags["workplace"]["reason"] == REASON
    assert page.locator("#flag-list q", has_text=REASON).count() == 1       # shown as typed, as text
    assert page.locator("#flag-list b").count() == 0
    for words in [*[w for k, w in PLANTED.items() if k != "workplace"], "Jane", "Doe", "double nine", "Mill Lane"]:
        assert words not in page.evaluate("document.documentElement.textContent"), words
        assert words not in page.content(), words
    assert served.republish.calls == [served.episode] * 3
    assert page.locator("#redaction-list li[data-check='pending']").count() == 3
    assert page.csp_errors == []

    # the check after republishing, as the panel shows it
    ids = [r["id"] for r in privacy_review.redactions(served.catalog, served.episode)]
    privacy_review.record_check(served.catalog, ids[0], True, {"bucket": 0})
    privacy_review.record_check(served.catalog, ids[1], False, {"bucket": 2})
    page.reload()
    page.wait_for_selector("main[data-ready]")
    page.wait_for_function("() => document.querySelectorAll('#redaction-list li').length === 3")
    states = page.evaluate("[...document.querySelectorAll('#redaction-list li')].map(li => li.dataset.check)")
    assert sorted(states) == ["failed", "passed", "pending"]
    assert "Check: failed" in page.inner_text("#redaction-list") and "Check: passed" in page.inner_text("#redaction-list")
    queue = page.goto(f"{served.url}/").text()
    assert "Held for review" in queue and "Jane" not in queue and "Riverside" not in queue
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_passes_with_flags_highlighted_and_the_dialog_open(browser, served, axe_js, scheme):
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = _open(context, served, served.spare, "eve")
    assert page.locator("#transcript .w.flag").count() > 0 and page.locator("#transcript .w.low").count() > 0
    assert _axe(page, axe_js) == [], f"editor with flags, {scheme}"
    page.keyboard.press("F9")
    page.keyboard.press("Control+Shift+D")
    page.wait_for_selector("#dismiss-dialog[open]")
    assert _axe(page, axe_js) == [], f"dismiss dialog, {scheme}"
    page.keyboard.press("Escape")                                        # closes; nothing dismissed
    page.wait_for_selector("#dismiss-dialog", state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('text')")
    assert "open" in page.inner_text("#flag-list")
    page.goto(f"{served.url}/")                                          # the queue: held first, counts, no words
    assert "Held for review: 3 open flags" in " ".join(page.inner_text("main").split())
    assert _axe(page, axe_js) == [], f"queue with held episodes, {scheme}"
    context.close()


def test_the_editor_with_flags_reflows_at_320_px(browser, served):
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = _open(context, served, served.spare, "eve")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 320, f"the editor with the flags panel scrolls sideways at 320 px: {width} px wide"
    context.close()


def test_the_flag_shortcuts_are_listed_and_rebind_like_the_others(browser, served):
    context = browser.new_context()
    page = _open(context, served, served.spare, "eve")
    rows = page.inner_text("#shortcut-rows")
    for words in ("Next personal-data flag", "Previous personal-data flag", "Redact the flag in focus",
                  "Dismiss the flag in focus", "Redact the selected words"):
        assert words in rows
    button = page.locator("button.rebind[data-action='nextFlag']")
    button.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Alt+n")
    assert "Alt with a letter" in page.inner_text("#rebind-help")
    page.keyboard.press("Control+Shift+F")
    assert "Next personal-data flag: Ctrl+Shift+F" in page.inner_text("#rebind-help")
    page.keyboard.press("Control+Shift+F")
    _said(page, "Flag 1 of 3: person")
    page.keyboard.press("F9")                                            # no longer bound
    page.wait_for_timeout(300)
    assert "Flag 2 of 3" not in page.evaluate(STATUS)
    page.click("#shortcuts-reset")
    # the panel's own buttons (mouse): dismiss the first flag; focus lands on the panel, not on nothing
    page.locator("#flag-list li").first.get_by_role("button", name="Dismiss").click()
    assert page.evaluate("document.activeElement.id") == "dismiss-reason"
    page.fill("#dismiss-reason", "Named with consent")
    page.click("#dismiss-ok")
    page.wait_for_selector("#dismiss-dialog", state="hidden")
    _said(page, "Dismissed the person")
    assert page.evaluate("document.activeElement.id") == "privacy-summary", page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    assert page.inner_text("#privacy-summary").startswith("2 open flags of 3")
    context.close()
