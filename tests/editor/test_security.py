"""The editor's security, through the real app and catalog: who may do what, CSRF, the login limit,
headers and cookies, escaping of what volunteers type, and tokens of removed users."""
from __future__ import annotations

import re

import pytest

from chorus import accounts

from tests.editor.conftest import PASSWORDS, csrf_of, log_in

HOSTILE_WORD = '<script>alert("w")</script>'
HOSTILE_SPEAKER = 'Ann "onmouseover="alert(1)" <script>alert(2)</script>'


def _bearer(env, name: str) -> dict:
    return {"Authorization": f"Bearer {accounts.new_token(env.catalog, name)}"}


def test_anonymous_requests_are_refused(editor_env):
    anon = editor_env.client()
    ep = editor_env.episode
    assert anon.get("/api/episodes").status_code == 401
    assert anon.get(f"/api/episodes/{ep}/transcript").status_code == 401
    r = anon.post(f"/api/episodes/{ep}/approve", json={"revision": 1})
    assert r.status_code == 401 and r.json()["error"].startswith("not logged in")
    assert anon.post("/api/users", json={"name": "mal", "role": "organiser", "password": "x"}).status_code == 401
    assert anon.put(f"/api/episodes/{ep}/transcript", json={"base_revision": 1, "paragraphs": []}).status_code == 401
    page = anon.get(f"/episodes/{ep}/history", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/login?next=%2Fepisodes%2F{ep}%2Fhistory"


@pytest.mark.parametrize("via", ["cookie", "token"])
def test_editors_may_not_approve_or_manage_users(editor_env, via):
    ep = editor_env.episode
    if via == "cookie":
        c = editor_env.client("ed")
        headers = {"X-CSRF-Token": csrf_of(c)}
    else:
        c, headers = editor_env.client(), _bearer(editor_env, "ed")
    r = c.post(f"/api/episodes/{ep}/approve", json={"revision": 1}, headers=headers)
    assert r.status_code == 403 and "organiser" in r.json()["error"]
    assert c.get("/api/users", headers=headers).status_code == 403
    assert c.post("/api/users", json={"name": "mal", "role": "organiser", "password": "pw"},
                  headers=headers).status_code == 403
    assert c.delete("/api/users/olive", headers=headers).status_code == 403
    assert c.post(f"/api/episodes/{ep}/unpublish", headers=headers).status_code == 403
    assert accounts.get_user(editor_env.catalog, "mal") is None
    assert editor_env.catalog.approved_revision("transcript", ep) is None


def test_organisers_manage_users(editor_env):
    c = editor_env.client("olive")
    h = {"X-CSRF-Token": csrf_of(c)}
    assert c.post("/api/users", json={"name": "nia", "role": "editor", "password": "pw nia"}, headers=h).json() == \
        {"name": "nia", "role": "editor"}
    assert "nia" in [u["name"] for u in c.get("/api/users").json()]
    assert c.delete("/api/users/nia", headers=h).json() == {"removed": "nia"}


def test_writes_without_the_csrf_token_are_refused(editor_env):
    ep = editor_env.episode
    c = editor_env.client("olive")
    body = {"base_revision": 1, "paragraphs": [{"speaker": "Speaker 1", "text": "Hello"}]}
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        r = c.put(f"/api/episodes/{ep}/transcript", json=body, headers=headers)
        assert r.status_code == 403 and "CSRF" in r.json()["error"]
        assert c.post(f"/api/episodes/{ep}/approve", json={"revision": 1}, headers=headers).status_code == 403
        assert c.put(f"/api/episodes/{ep}/draft", json=body, headers=headers).status_code == 403
        assert c.post(f"/api/episodes/{ep}/revisions/1/restore", headers=headers).status_code == 403
    assert c.post(f"/episodes/{ep}/history/restore", data={"revision": "1"}).status_code == 403
    assert c.post("/logout", data={}).status_code == 403
    assert [r.number for r in editor_env.catalog.revisions("transcript", ep)] == [1]
    assert c.get("/api/me").status_code == 200  # still logged in: the logout was refused


def test_the_login_form_needs_its_own_csrf_cookie(editor_env):
    c = editor_env.client()
    r = c.post("/login", data={"name": "ed", "password": "editor pass 1", "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "chorus_session" not in r.cookies
    assert c.get("/api/me").status_code == 401


def test_logins_are_rate_limited(editor_env):
    c = editor_env.client()
    for _ in range(editor_env.settings.editor.login_attempts):
        assert log_in(c, "ed", "wrong").status_code == 401
    r = log_in(c, "ed")  # the right password, too late
    assert r.status_code == 429 and "too many failed logins" in r.text.lower()
    r = c.post("/api/login", json={"name": "ed", "password": "editor pass 1"})
    assert r.status_code == 429
    assert log_in(editor_env.client(), "eve").status_code == 303  # another name is not locked out


def test_cookies_and_headers(editor_env):
    c = editor_env.client()
    page = c.get("/login")
    r = log_in(c, "ed")
    cookie = r.headers["set-cookie"]
    assert "chorus_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    for resp in (page, c.get("/"), c.get("/api/episodes"), c.get("/static/editor.js")):
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert resp.headers["x-content-type-options"] == "nosniff"
    assert re.search(r'<meta name="csrf-token" content="[\w-]{20,}">', c.get("/").text)
    assert "<script>" not in c.get("/").text  # no inline script anywhere (CSP would block it)


def test_login_goes_only_to_local_pages(editor_env):
    c = editor_env.client()
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"name": "ed", "password": "editor pass 1", "csrf": csrf, "next": "//evil.example/x"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_a_removed_users_token_and_session_stop_working(editor_env):
    token = _bearer(editor_env, "eve")
    c = editor_env.client("eve")
    other = editor_env.client()
    assert other.get("/api/episodes", headers=token).status_code == 200
    accounts.remove_user(editor_env.catalog, "eve")
    assert other.get("/api/episodes", headers=token).status_code == 401
    assert c.get("/api/episodes").status_code == 401
    assert other.get("/api/episodes", headers={"Authorization": "Basic ZXZlOng="}).status_code == 401


def test_what_volunteers_type_is_text_on_every_page(editor_env):
    ep = editor_env.episode
    c = editor_env.client("ed")
    h = {"X-CSRF-Token": csrf_of(c)}
    paras = c.get(f"/api/episodes/{ep}/transcript").json()["paragraphs"]
    paras[1] = {"speaker": HOSTILE_SPEAKER, "text": paras[1]["text"].replace("Thanks", f"Thanks {HOSTILE_WORD}")}
    assert c.put(f"/api/episodes/{ep}/transcript", json={"base_revision": 1, "paragraphs": paras},
                 headers=h).status_code == 200
    r = c.put(f"/api/episodes/{ep}/notes", json={"base_revision": 1, "title": f"Check in {HOSTILE_WORD}"}, headers=h)
    assert r.status_code == 200
    olive = editor_env.client("olive")
    olive.post(f"/api/episodes/{ep}/approve", json={"revision": 2, "notes_revision": 2},
               headers={"X-CSRF-Token": csrf_of(olive)})  # no bucket: records the approval and the title
    t = c.get(f"/api/episodes/{ep}/transcript").json()
    assert HOSTILE_SPEAKER in t["speakers"] and any(w["text"] == "<script>alert(\"w\")</script>" for w in t["words"])
    pages = {"queue": c.get("/"), "editor": c.get(f"/episodes/{ep}"),
             "history": c.get(f"/episodes/{ep}/history?revision=2")}
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert "<script>alert" not in page.text and 'onmouseover="alert' not in page.text, name
        assert "&lt;script&gt;alert(" in page.text, name  # the title, and in the history the words and speaker
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in pages["history"].text


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-proxy", "no-trusted-proxy"])
def test_behind_a_reverse_proxy(editor_env, trusted):
    """The editor under uvicorn, as behind nginx terminating HTTPS: only a trusted proxy's X-Forwarded-Proto
    makes the login cookie Secure, and only its X-Forwarded-For decides whose failed logins are counted (a
    volunteer's typos do not lock out the others behind the same proxy; a client cannot fake its way past)."""
    import httpx

    from chorus.services import free_port
    from editor.serving import EditorServer

    editor = editor_env.settings.editor.model_copy(update={"trusted_proxies": ["127.0.0.1"] if trusted else []})
    settings = editor_env.settings.model_copy(update={"editor": editor})
    server = EditorServer(settings, editor_env.catalog, host="127.0.0.1", port=free_port()).start()
    try:
        def log_in_from(address: str, name: str, password: str | None = None) -> httpx.Response:
            """The login form as a browser reaching the proxy over HTTPS sends it (the proxy talks plain HTTP
            to the editor, so the cookie jar, which keeps Secure cookies for HTTPS, is bypassed)."""
            with httpx.Client(base_url=server.url, headers={"X-Forwarded-Proto": "https",
                                                           "X-Forwarded-For": address}) as c:
                page = c.get("/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                cookie = page.headers["set-cookie"].split(";")[0]
                return c.post("/login", headers={"Cookie": cookie}, follow_redirects=False,
                              data={"name": name, "password": password or PASSWORDS[name], "csrf": csrf, "next": "/"})

        r = log_in_from("203.0.113.7", "ed")
        assert r.status_code == 303, r.text
        session = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("chorus_session="))
        assert ("; secure" in session.lower()) is trusted, session
        for _ in range(editor_env.settings.editor.login_attempts):
            assert log_in_from("203.0.113.7", "eve", "wrong").status_code == 401
        assert log_in_from("203.0.113.7", "eve").status_code == 429    # this address is held back
        # another volunteer behind the same proxy: let in when the proxy is trusted; without it, every
        # login comes from the proxy's address, and a forged X-Forwarded-For gets nobody past the limit
        assert log_in_from("203.0.113.8", "eve").status_code == (303 if trusted else 429)
    finally:
        server.stop()
