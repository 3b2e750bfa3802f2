"""Editor accounts: users and roles, argon2 passwords, API tokens and login sessions.

Passwords are stored only as argon2 hashes (``argon2.PasswordHasher``); API tokens and session tokens
only as their sha256, so a copy of the catalog lets nobody in. Removing a user keeps the row (their
revisions keep their author) and ends every token and session they had.

Roles: an ``editor`` corrects transcripts, speaker names and notes; an ``organiser`` can also approve,
unpublish and manage users (``can``).

>>> can(User(name="ann", role="editor"), "edit"), can(User(name="ann", role="editor"), "approve")
(True, False)
>>> validate_name("Ann Lee")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
chorus.errors.ChorusError: user name 'Ann Lee' must be 1-40 lowercase letters, ... such as 'ann-lee'
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from chorus.catalog import ApiToken, Catalog, LoginSession, User, utcnow
from chorus.errors import ChorusError

__all__ = ["ROLES", "ACTIONS", "add_user", "remove_user", "list_users", "get_user", "new_token", "user_for_token",
           "check_password", "start_session", "session_for", "end_session", "can", "validate_name"]

ROLES = ("editor", "organiser")
ACTIONS = {"edit": ROLES, "approve": ("organiser",), "unpublish": ("organiser",), "manage_users": ("organiser",)}
"""Which roles may do what; every write the editor serves checks one of these."""
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
_TOUCH = timedelta(seconds=60)
"""A session's ``last_seen`` (and expiry) moves at most this often, so reads do not all write."""
_hasher = PasswordHasher()
_dummy_hash: list[str] = []


def validate_name(name: str) -> str:
    """``name`` when it is a valid user name, else ``ChorusError`` (one line)."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    suggestion = re.sub(r"[^a-z0-9._-]+", "-", str(name).lower()).strip("-._")[:40] or "ann"
    raise ChorusError(f"user name {name!r} must be 1-40 lowercase letters, digits, dots, dashes or underscores, "
                      f"starting with a letter or digit, such as {suggestion!r}")


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _active(s, name: str) -> User | None:
    return s.scalar(select(User).where(User.name == name, User.removed_at.is_(None)))


def add_user(catalog: Catalog, name: str, role: str, password: str) -> User:
    """Create a user (or bring back a removed one under the same name, with the new role and password)."""
    validate_name(name)
    if role not in ROLES:
        raise ChorusError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not password:
        raise ChorusError("the password is empty")
    hashed = _hasher.hash(password)
    with catalog.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is not None and user.removed_at is None:
            raise ChorusError(f"there is already a user named {name!r}")
        if user is None:
            user = User(name=name, role=role, password_hash=hashed)
            s.add(user)
        else:
            user.role, user.password_hash, user.removed_at = role, hashed, None
        s.flush()
        return user


def get_user(catalog: Catalog, name: str) -> User | None:
    """The active (not removed) user called ``name``, or None."""
    with catalog.session() as s:
        return _active(s, name)


def remove_user(catalog: Catalog, name: str) -> User:
    """Remove a user: revoke their tokens and end their sessions; their revisions keep their name."""
    with catalog.session() as s:
        user = _active(s, name)
        if user is None:
            raise ChorusError(f"there is no user named {name!r}; `chorus user list` lists them")
        user.removed_at = utcnow()
        s.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
        s.execute(LoginSession.__table__.delete().where(LoginSession.user_id == user.id))
        return user


def list_users(catalog: Catalog) -> list[User]:
    """Active users, by name."""
    with catalog.session() as s:
        return list(s.scalars(select(User).where(User.removed_at.is_(None)).order_by(User.name)))


def new_token(catalog: Catalog, name: str) -> str:
    """A new API token for ``name`` (shown once; the catalog keeps only its sha256)."""
    token = secrets.token_urlsafe(32)
    with catalog.session() as s:
        user = _active(s, name)
        if user is None:
            raise ChorusError(f"there is no user named {name!r}; `chorus user list` lists them")
        s.add(ApiToken(user_id=user.id, token_sha256=_sha(token)))
    return token


def user_for_token(catalog: Catalog, token: str | None) -> User | None:
    """The user an API token belongs to; None for an unknown or revoked token or a removed user."""
    if not token:
        return None
    with catalog.session() as s:
        return s.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id)
                        .where(ApiToken.token_sha256 == _sha(token), ApiToken.revoked.is_(False),
                               User.removed_at.is_(None)))


def check_password(catalog: Catalog, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None. An unknown or removed user costs the same
    argon2 work as a wrong password, so timing tells nothing; an outdated hash is upgraded."""
    with catalog.session() as s:
        user = _active(s, name) if isinstance(name, str) else None
        if user is None:
            if not _dummy_hash:
                _dummy_hash.append(_hasher.hash(secrets.token_urlsafe(16)))
            _verify(_dummy_hash[0], password)
            return None
        if not _verify(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password or "")
    except (VerificationError, InvalidHashError):
        return False


def start_session(catalog: Catalog, user: User, hours: float) -> tuple[str, str]:
    """Log ``user`` in for ``hours`` (sliding: each use extends it); returns ``(session token, csrf token)``.
    The session token goes in the HttpOnly cookie; the CSRF token in every state-changing form or header."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with catalog.session() as s:
        s.execute(LoginSession.__table__.delete().where(LoginSession.expires_at <= now))
        s.add(LoginSession(token_sha256=_sha(token), user_id=user.id, csrf=csrf, created_at=now, last_seen=now,
                           expires_at=now + timedelta(hours=hours)))
    return token, csrf


def session_for(catalog: Catalog, token: str | None) -> tuple[User, str] | None:
    """``(user, csrf token)`` of a live session; None when unknown, expired, or the user was removed.
    Using a session slides its expiry forward by its original length."""
    if not token:
        return None
    now = utcnow()
    with catalog.session() as s:
        row = s.scalar(select(LoginSession).where(LoginSession.token_sha256 == _sha(token)))
        if row is None or row.expires_at <= now:
            return None
        user = s.get(User, row.user_id)
        if user is None or user.removed_at is not None:
            return None
        if now - row.last_seen >= _TOUCH:
            row.expires_at = now + (row.expires_at - row.last_seen)
            row.last_seen = now
        return user, row.csrf


def end_session(catalog: Catalog, token: str | None) -> None:
    """Log out: the session token stops working (a no-op for an unknown token)."""
    if token:
        with catalog.session() as s:
            s.execute(LoginSession.__table__.delete().where(LoginSession.token_sha256 == _sha(token)))


def can(user: User | None, action: str) -> bool:
    """Whether ``user`` may do ``action`` (one of ``ACTIONS``); nobody (None) and removed users may do nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    return user is not None and user.removed_at is None and user.role in ACTIONS[action]
