"""Who is asking, and may they: session cookies with CSRF tokens, Bearer tokens, roles, the login limit.

- A browser logs in with a name and password and gets an ``HttpOnly``, ``SameSite=Strict`` cookie
  holding a random session token; the catalog keeps only its sha256 (``chorus.accounts``), so sessions
  survive a restart and an expired one loses nothing (drafts live on the server).
- Every state-changing request made with the cookie must carry the session's CSRF token, as the form
  field ``csrf`` or the header ``X-CSRF-Token``. The login form itself uses a double-submit cookie
  (``chorus_csrf``), so a third-party page cannot log a volunteer in as someone else.
- Scripts send ``Authorization: Bearer <token>`` (``chorus user token NAME``) and need no CSRF token:
  a browser never adds that header by itself.
- Failed logins are counted per name and client address in this process's memory
  (``[editor] login_attempts`` per ``login_window_seconds``); more answer 429. One editor process is
  the design; several processes would each count on their own.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from starlette.requests import Request

from chorus import accounts
from chorus.catalog import Catalog, User
from editor.errors import EditorError

__all__ = ["SESSION_COOKIE", "CSRF_COOKIE", "Principal", "LoginLimiter", "identify", "require", "check_csrf",
           "login", "pre_session_csrf"]

SESSION_COOKIE = "chorus_session"
CSRF_COOKIE = "chorus_csrf"
_SAFE = ("GET", "HEAD", "OPTIONS")


@dataclass
class Principal:
    """An authenticated caller: the user, how they proved it, and (for a session) its CSRF token."""

    user: User
    via: str
    """``session`` (cookie; writes need the CSRF token) or ``token`` (Bearer; no CSRF)."""
    csrf: str = ""

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    def public(self) -> dict:
        return {"name": self.user.name, "role": self.user.role}


class LoginLimiter:
    """At most ``attempts`` failed logins per (name, address) within ``window`` seconds, in memory."""

    def __init__(self, attempts: int, window: float):
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, name: str, address: str) -> None:
        """Raise a 429 :class:`EditorError` when this name and address failed too often lately."""
        now = time.monotonic()
        with self._lock:
            times = self._recent((name, address), now)
            if len(times) >= self.attempts:
                wait = int(times[0] + self.window - now) + 1
                raise EditorError(f"too many failed logins; try again in {wait} s", 429)

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            self._recent((name, address), time.monotonic()).append(time.monotonic())

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name, address), None)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def identify(request: Request, catalog: Catalog) -> Principal | None:
    """The caller of ``request``: a Bearer token wins over the cookie. None when neither is valid."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        user = accounts.user_for_token(catalog, token.strip())
        return Principal(user, "token") if user is not None else None
    found = accounts.session_for(catalog, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    user, csrf = found
    return Principal(user, "session", csrf)


def check_csrf(request: Request, principal: Principal, form_value: str | None = None) -> None:
    """A cookie-authenticated write must echo the session's CSRF token (header or form field)."""
    if principal.via != "session" or request.method in _SAFE:
        return
    sent = request.headers.get("x-csrf-token") or form_value or ""
    if not principal.csrf or not hmac.compare_digest(sent.encode(), principal.csrf.encode()):
        raise EditorError("missing or wrong CSRF token; reload the page", 403)


def require(principal: Principal | None, action: str | None = None) -> Principal:
    """``principal`` when logged in (401 otherwise) and allowed ``action`` (403 otherwise)."""
    if principal is None:
        raise EditorError("not logged in (or the session expired); log in again", 401)
    if action is not None and not accounts.can(principal.user, action):
        raise EditorError(f"a {principal.role} may not {action.replace('_', ' ')}; ask an organiser", 403)
    return principal


def login(catalog: Catalog, limiter: LoginLimiter, request: Request, name: str, password: str,
          hours: float) -> tuple[User, str, str]:
    """Check a name and password under the rate limit; returns ``(user, session token, csrf token)``."""
    name = (name or "").strip()
    address = _address(request)
    limiter.check(name, address)
    user = accounts.check_password(catalog, name, password or "")
    if user is None:
        limiter.failed(name, address)
        raise EditorError("wrong name or password", 401)
    limiter.succeeded(name, address)
    token, csrf = accounts.start_session(catalog, user, hours)
    return user, token, csrf


def pre_session_csrf(request: Request) -> str:
    """The login form's CSRF token: the ``chorus_csrf`` cookie's value, or a new one to set."""
    value = request.cookies.get(CSRF_COOKIE, "")
    return value if len(value) >= 20 else secrets.token_urlsafe(24)
