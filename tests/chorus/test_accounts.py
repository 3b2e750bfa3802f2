"""Editor accounts as organisers and attackers meet them: argon2 hashes only, tokens and sessions that
stop working when a user is removed, roles, and the ``chorus user`` commands scripts rely on."""
from __future__ import annotations

import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from chorus.accounts import (add_user, can, check_password, end_session, get_user, list_users, new_token, remove_user,
                             session_for, start_session, user_for_token)
from chorus.catalog import Catalog, LoginSession, User, utcnow
from chorus.errors import ChorusError

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "catalog.db"


@pytest.fixture
def catalog(db):
    return Catalog(f"sqlite:///{db}")


def _raw(db) -> bytes:
    """Every byte the catalog holds on disk (the database and its write-ahead log)."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_only_an_argon2_hash_is_stored_never_the_password(catalog, db):
    add_user(catalog, "ann", "editor", PASSWORD)
    stored = sqlite3.connect(db).execute("select password_hash from users where name='ann'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD.encode() not in _raw(db)


def test_a_password_logs_in_only_its_own_user(catalog):
    add_user(catalog, "ann", "editor", PASSWORD)
    add_user(catalog, "bo", "organiser", "another one")
    assert check_password(catalog, "ann", PASSWORD).name == "ann"
    assert check_password(catalog, "ann", "wrong") is None
    assert check_password(catalog, "ann", "") is None
    assert check_password(catalog, "bo", PASSWORD) is None
    assert check_password(catalog, "nobody", PASSWORD) is None


def test_an_unknown_user_costs_as_much_as_a_wrong_password(catalog):
    add_user(catalog, "ann", "editor", PASSWORD)
    check_password(catalog, "nobody", "x")  # the first call makes the stand-in hash

    def took(name: str) -> float:
        t = time.perf_counter()
        check_password(catalog, name, "wrong")
        return time.perf_counter() - t

    known = statistics.median(took("ann") for _ in range(3))
    unknown = statistics.median(took("nobody") for _ in range(3))
    assert unknown > 0.3 * known, (unknown, known)  # without the stand-in hash it is ~1% of it


def test_an_outdated_hash_is_upgraded_at_the_next_login(catalog):
    with catalog.session() as s:
        weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        s.add(User(name="ann", role="editor", password_hash=weak))
    assert check_password(catalog, "ann", PASSWORD).name == "ann"
    with catalog.session() as s:
        upgraded = s.query(User).filter_by(name="ann").one().password_hash
    assert "m=65536,t=3" in upgraded and PasswordHasher().verify(upgraded, PASSWORD)


def test_tokens_are_random_stored_as_sha256_and_die_with_their_user(catalog, db):
    add_user(catalog, "ann", "editor", PASSWORD)
    token, other = new_token(catalog, "ann"), new_token(catalog, "ann")
    assert token != other and re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
    assert token.encode() not in _raw(db)
    assert user_for_token(catalog, token).name == "ann" and user_for_token(catalog, other).name == "ann"
    assert user_for_token(catalog, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert user_for_token(catalog, "") is None and user_for_token(catalog, None) is None
    remove_user(catalog, "ann")
    assert user_for_token(catalog, token) is None and user_for_token(catalog, other) is None
    add_user(catalog, "ann", "organiser", "new password")  # brought back: old tokens stay dead
    assert user_for_token(catalog, token) is None
    assert check_password(catalog, "ann", PASSWORD) is None and check_password(catalog, "ann", "new password")


def test_a_session_carries_its_csrf_token_slides_and_ends(catalog, db):
    user = add_user(catalog, "ann", "editor", PASSWORD)
    token, csrf = start_session(catalog, user, hours=12)
    assert token != csrf and len(csrf) >= 43 and token.encode() not in _raw(db)
    found, found_csrf = session_for(catalog, token)
    assert (found.name, found_csrf) == ("ann", csrf)
    with catalog.session() as s:  # ten minutes pass
        row = s.query(LoginSession).one()
        row.last_seen, row.expires_at = row.last_seen - timedelta(minutes=10), row.expires_at - timedelta(minutes=10)
    assert session_for(catalog, token)[0].name == "ann"
    with catalog.session() as s:  # using it slid the end forward: 12 hours from now again
        assert s.query(LoginSession).one().expires_at > utcnow() + timedelta(hours=11, minutes=59)
    end_session(catalog, token)
    assert session_for(catalog, token) is None


def test_expired_sessions_and_removed_users_are_logged_out(catalog):
    ann = add_user(catalog, "ann", "editor", PASSWORD)
    cy = add_user(catalog, "cy", "editor", PASSWORD)
    expired, _ = start_session(catalog, ann, hours=1)
    with catalog.session() as s:
        s.query(LoginSession).one().expires_at = utcnow() - timedelta(seconds=1)
    assert session_for(catalog, expired) is None
    live, _ = start_session(catalog, cy, hours=1)
    assert session_for(catalog, live)[0].name == "cy"
    remove_user(catalog, "cy")
    assert session_for(catalog, live) is None and session_for(catalog, "made-up") is None


def test_names_and_roles_are_checked_in_one_line(catalog):
    for name in ("Ann", "", "a" * 41, "ann lee", "-ann", "<script>"):
        with pytest.raises(ChorusError, match="must be 1-40 lowercase") as e:
            add_user(catalog, name, "editor", PASSWORD)
        assert "\n" not in str(e.value)
    with pytest.raises(ChorusError, match="role 'admin' is not one of editor, organiser"):
        add_user(catalog, "ann", "admin", PASSWORD)
    add_user(catalog, "ann", "editor", PASSWORD)
    with pytest.raises(ChorusError, match="already a user named 'ann'"):
        add_user(catalog, "ann", "organiser", PASSWORD)
    with pytest.raises(ChorusError, match="no user named 'bo'"):
        new_token(catalog, "bo")
    assert [u.name for u in list_users(catalog)] == ["ann"]


def test_removal_keeps_the_row_so_revisions_keep_their_author(catalog):
    add_user(catalog, "ann", "editor", PASSWORD)
    remove_user(catalog, "ann")
    assert list_users(catalog) == [] and get_user(catalog, "ann") is None
    with catalog.session() as s:
        assert s.query(User).filter_by(name="ann").one().removed_at is not None
    with pytest.raises(ChorusError, match="no user named 'ann'"):
        remove_user(catalog, "ann")


def test_roles_editors_edit_organisers_do_everything(catalog):
    editor = add_user(catalog, "ann", "editor", PASSWORD)
    organiser = add_user(catalog, "bo", "organiser", PASSWORD)
    actions = ("edit", "approve", "unpublish", "manage_users")
    assert [can(editor, a) for a in actions] == [True, False, False, False]
    assert [can(organiser, a) for a in actions] == [True, True, True, True]
    assert not any(can(None, a) for a in actions)
    assert not can(remove_user(catalog, "bo"), "approve")
    with pytest.raises(ValueError, match="unknown action 'delete'"):
        can(organiser, "delete")


def _chorus(tmp_path, *args, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    return subprocess.run([sys.executable, "-m", "chorus.cli", "user", *args, "--data-dir", "d"], input=stdin,
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_chorus_user_token_prints_the_token_alone_for_scripts(tmp_path):
    """Real processes, as a shell script runs them: ``TOKEN=$(chorus user token bo)``."""
    added = _chorus(tmp_path, "add", "bo", "--role", "organiser", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0 and "added organiser bo" in added.stderr and added.stdout == ""
    token = _chorus(tmp_path, "token", "bo")
    assert token.returncode == 0 and re.fullmatch(r"[A-Za-z0-9_-]{43,}\n", token.stdout), token.stdout
    catalog = Catalog(f"sqlite:///{tmp_path / 'd' / 'catalog.db'}")
    assert user_for_token(catalog, token.stdout.strip()).name == "bo"
    assert check_password(catalog, "bo", PASSWORD).role == "organiser"  # the newline is not part of it


def _user(tmp_path, *args, stdin=None):
    from chorus.cli import app

    return CliRunner().invoke(app, ["user", *args, "--data-dir", str(tmp_path / "d")], input=stdin)


def test_chorus_user_list_remove_and_one_line_errors(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'd' / 'catalog.db'}")
    assert _user(tmp_path, "list").stdout == ""
    add_user(catalog, "bo", "organiser", PASSWORD)
    add_user(catalog, "ann", "editor", PASSWORD)
    listed = _user(tmp_path, "list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "ROLE", "CREATED"]
    assert [line.split()[:2] for line in listed[1:]] == [["ann", "editor"], ["bo", "organiser"]]
    token = new_token(catalog, "bo")
    removed = _user(tmp_path, "remove", "bo")
    assert removed.exit_code == 0 and "removed bo" in removed.stderr
    assert user_for_token(catalog, token) is None
    assert [line.split()[0] for line in _user(tmp_path, "list").stdout.splitlines()] == ["NAME", "ann"]
    for args, message in ((("token", "bo"), "there is no user named 'bo'"),
                          (("remove", "bo"), "there is no user named 'bo'"),
                          (("add", "Bo", "--password-stdin"), "user name 'Bo' must be"),
                          (("add", "ann", "--password-stdin"), "already a user named 'ann'"),
                          (("add", "cy", "--role", "admin", "--password-stdin"), "role 'admin' is not one of")):
        result = _user(tmp_path, *args, stdin="pw\n")
        assert result.exit_code == 1 and result.stdout == "", (args, result.output)
        assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_chorus_user_add_asks_for_the_password_twice(tmp_path):
    result = _user(tmp_path, "add", "ann", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden
    catalog = Catalog(f"sqlite:///{tmp_path / 'd' / 'catalog.db'}")
    assert check_password(catalog, "ann", PASSWORD).role == "editor"
