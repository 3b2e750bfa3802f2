"""The catalog's migrations on SQLite: a catalog written by the release before migrations (commit 780dcdc,
``data/catalog-780dcdc.db``, made by ``data/make_old_catalog.py``) is backed up and upgraded with its
data intact; migrating from nothing gives exactly the tables the code declares; ``chorus db`` says and does
what it should. ``test_postgres.py`` does the same on PostgreSQL."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select

from chorus import accounts
from chorus.catalog import Catalog, Episode, PrivacyFlag, Redaction, _Base, utcnow
from chorus.catalog_schema import BASELINE, HEAD, head, open_engine, schema_state

from tests.chorus.data.make_old_catalog import PASSWORD, TOKEN

OLD = Path(__file__).parent / "data" / "catalog-780dcdc.db"
OLD_TABLES = {"shows", "episodes", "episode_events", "transcript_revisions", "notes_revisions", "users", "api_tokens",
              "login_sessions", "revision_info", "approvals", "drafts", "editing_presence", "feed_item_digests"}


def schema_diff(engine) -> list:
    """What differs between the database's tables and the ones the code declares (Alembic's comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _Base.metadata)


def check_old_data(catalog: Catalog) -> None:
    """What the old release wrote is all there, readable by today's code, and today's tables work."""
    with catalog.session() as s:
        one, two = s.query(Episode).order_by(Episode.id).all()
        assert (one.title, one.status, one.number, one.show.slug) == ("Check in", "published", 1, "community-podcast")
        assert one.show.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
        assert one.media["loudness"] == {"input_i": -23.1, "output_i": -16.0}
        assert one.url("mp3").endswith("/check-in/abc.mp3") and one.objects["mp3"]["length"] == 123456
        assert one.published_at.isoformat() == "2026-11-30T18:00:00+00:00"
        assert (two.status, two.error) == ("failed", "the recording has no audio stream")
        assert [ep.title for ep in catalog.published(s, "community-podcast")] == ["Check in"]
        ids = one.id, two.id
    current = catalog.current_revision("transcript", ids[0])  # the approved volunteer edit
    assert (current.number, current.author, current.data["edited"]) == (2, "ed", True)
    assert [(r.number, r.author, r.base, r.approved_by) for r in catalog.revisions("transcript", ids[0])] == [
        (1, "machine", None, None), (2, "ed", 1, "olive")]
    assert catalog.current_revision("notes", ids[0]).data == {"html": "<p>We talk about supervision.</p>"}
    assert catalog.get_draft(ids[0], "ed", "transcript").data == {"paragraphs": ["Welcome back, everyone"]}
    assert catalog.feed_item_digests("community-podcast") == {"urn:uuid:old-item": "f" * 64}
    assert accounts.check_password(catalog, "olive", PASSWORD).role == "organiser"
    assert accounts.check_password(catalog, "ed", "wrong") is None
    assert accounts.user_for_token(catalog, TOKEN).name == "olive"
    # new saves number on from the old ones; the new tables take rows
    assert catalog.add_revision("transcript", ids[0], {"after": "upgrade"}, author="ed", base=2) == 3
    with catalog.session() as s:
        flag = PrivacyFlag(episode_id=ids[0], revision=3, first=0, last=1, start=0.5, end=1.2, kind="person")
        s.add(flag)
        s.flush()
        s.add(Redaction(episode_id=ids[0], kind="person", flag_id=flag.id, redacted_by="olive",
                        spans={"times": [[0.5, 1.2]]}, verified_at=utcnow()))
    with catalog.session() as s:
        assert s.query(Redaction).one().spans == {"times": [[0.5, 1.2]]}


@pytest.fixture
def old_catalog(tmp_path) -> Path:
    """A copy of the old release's catalog, where Chorus keeps it (``<data>/catalog.db``)."""
    path = tmp_path / "data" / "catalog.db"
    path.parent.mkdir()
    shutil.copyfile(OLD, path)
    return path


def test_head_is_the_newest_migration_and_the_history_is_one_line():
    from chorus.catalog_schema import _scripts

    assert HEAD == head(), "a migration was added: set chorus.catalog_schema.HEAD to it"
    assert len(_scripts().get_heads()) == 1
    assert [r.revision for r in _scripts().walk_revisions()][-1] == BASELINE


def test_a_catalog_of_the_previous_release_is_backed_up_upgraded_and_keeps_its_data(old_catalog, capsys):
    url = f"sqlite:///{old_catalog}"
    st = schema_state(create_engine(url))
    assert (st.current, st.legacy, st.pending) == (None, True, ("0002_privacy", "0003_one_claim"))
    catalog = Catalog(url)  # what `chorus run` or `chorus editor` does on the first start after upgrading Chorus
    line = capsys.readouterr().err.strip()
    (copy,) = old_catalog.parent.glob("catalog.db.bak-*")
    assert line == f"catalog upgraded from {BASELINE} (made before migrations) to {HEAD} (2 migrations); the " \
                   f"catalog before is kept at {copy}"
    assert schema_state(catalog.engine).up_to_date
    assert schema_diff(catalog.engine) == []  # the upgraded catalog is exactly today's schema
    check_old_data(catalog)
    # the backup is the old catalog as it was: its tables, no migration stamp, every row
    old = sqlite3.connect(copy)
    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == OLD_TABLES
    assert old.execute("SELECT count(*) FROM transcript_revisions").fetchone() == (2,)
    old.close()
    Catalog(url)  # opened again: nothing to do, nothing said, no second backup
    assert capsys.readouterr().err == "" and len(list(old_catalog.parent.glob("catalog.db.bak-*"))) == 1


def test_a_new_catalog_is_created_at_the_newest_migration_with_the_declared_tables(tmp_path, capsys):
    catalog = Catalog(f"sqlite:///{tmp_path / 'new' / 'catalog.db'}")
    assert schema_state(catalog.engine).current == HEAD
    assert schema_diff(catalog.engine) == [] and capsys.readouterr().err == ""
    assert not list((tmp_path / "new").glob("*.bak-*"))  # nothing to back up


def test_migrating_from_nothing_gives_the_tables_the_code_declares(tmp_path):
    """``Catalog`` creates a new catalog in one step (faster); the migrations must arrive at the same tables,
    or a catalog made today would differ from one upgraded tomorrow."""
    from chorus.catalog_schema import _migrate

    engine = open_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    _migrate(engine, legacy=False)
    assert schema_state(engine).current == HEAD
    assert schema_diff(engine) == [], "the migrations and chorus/catalog.py disagree: add a migration"
    assert set(inspect(engine).get_table_names()) == OLD_TABLES | {"alembic_version", "privacy_flags", "redactions"}


def test_catalogs_opened_at_once_are_upgraded_once(old_catalog):
    """Flow runs and the editor open the catalog at the same time: one of them upgrades it, with one backup."""
    script = f"from chorus.catalog import Catalog; Catalog({f'sqlite:///{old_catalog}'!r})"
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    said = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], said
    assert sum("catalog upgraded" in s for s in said) == 1, said
    assert len(list(old_catalog.parent.glob("catalog.db.bak-*"))) == 1
    check_old_data(Catalog(f"sqlite:///{old_catalog}"))


def _chorus(*args: str, env: dict | None = None):
    """``chorus ARGS`` in this process (typer's runner: a subprocess would spend seconds importing)."""
    from typer.testing import CliRunner

    from chorus.cli import app

    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_chorus_db_current_upgrade_and_backup(old_catalog):
    data = old_catalog.parent
    before = _chorus("db", "current", "-d", str(data))
    assert before.exit_code == 0 and before.stdout == "none\n"
    assert "made by the release before migrations; pending: 0002_privacy, 0003_one_claim; run `chorus db upgrade`" in before.stderr
    up = _chorus("db", "upgrade", "-d", str(data))
    assert up.exit_code == 0 and up.stderr.startswith(f"catalog upgraded from {BASELINE}"), up.stderr
    assert _chorus("db", "current", "-d", str(data)).stdout == f"{HEAD}\n"
    again = _chorus("db", "upgrade", "-d", str(data))
    assert again.stderr.strip() == f"catalog up to date at {HEAD} (sqlite:///{old_catalog})"
    saved = _chorus("db", "backup", "-d", str(data))
    copy = Path(saved.stdout.strip())
    assert saved.exit_code == 0 and copy.parent == data and copy.name.startswith("catalog.db.bak-")
    assert len(list(data.glob("catalog.db.bak-*"))) == 2  # the upgrade's and this one
    check_old_data(Catalog(f"sqlite:///{copy}"))


def test_a_catalog_from_a_newer_chorus_is_refused_in_one_line(tmp_path):
    from chorus.errors import ChorusError

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalog = Catalog(url)
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    with pytest.raises(ChorusError, match="migration 0099_future, which this version of Chorus does not know: it "
                                          "was upgraded by a newer Chorus; upgrade Chorus"):
        Catalog(url)
    proc = _chorus("db", "upgrade", "-d", str(tmp_path))
    assert proc.exit_code == 1 and "upgrade Chorus" in proc.stderr and "Traceback" not in proc.stderr


_WRITER = """
import os, signal, sys, time
from pathlib import Path
from chorus.catalog import Catalog
url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
catalog = Catalog(url)                      # creates the catalog: the schema lock is taken, then let go
with catalog.session() as s:
    catalog.show(s, "first")
ready.touch()
while not go.exists():
    time.sleep(0.05)
with catalog.session() as s:                # written after the other process closed its last connection
    catalog.show(s, "second")
os.kill(os.getpid(), signal.SIGKILL)        # a flow run ended without closing its connections
"""


def test_a_process_that_created_the_catalog_loses_no_write_to_another_ones_exit(tmp_path):
    """Two flow runs start on a catalog that does not exist yet; the one that creates it takes the schema lock.
    That lock must not touch the database file itself: closing another descriptor of it drops the process's
    SQLite locks (POSIX), so the other process, ending, would think itself the last, checkpoint, and delete the
    write-ahead log under the first one, whose later commits were lost (an episode left 'drafted' after it was
    published, seen in CI on 2026-12-04)."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    ready, go = tmp_path / "ready", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", _WRITER, url, str(ready), str(go)])
    try:
        for _ in range(600):
            if ready.exists() or first.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), "the first process did not create the catalog"
        other = Catalog(url)                      # another process's catalog: it writes and closes for good
        with other.session() as s:
            other.show(s, "other")
        other.engine.dispose()
        go.touch()
        first.wait(60)
    finally:
        first.kill()
    with Catalog(url).session() as s:
        from chorus.catalog import Show
        assert sorted(s.scalars(select(Show.slug))) == ["first", "other", "second"]
