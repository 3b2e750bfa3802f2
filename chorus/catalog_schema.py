"""The catalog's schema version: Alembic migrations (``chorus/migrations/``), backups of a SQLite catalog
before they run, and the check every ``Catalog`` makes when it opens.

- An empty database gets today's tables in one step (``create_all``) and is stamped at the newest
  migration: as fast as before migrations existed, and ``tests/chorus/test_migrations.py`` checks that
  migrating from nothing gives the same schema.
- A catalog made by the release before migrations (its tables, no ``alembic_version``) is stamped at
  ``0001_baseline``, then upgraded.
- Pending migrations (:func:`upgrade`, run by ``chorus db upgrade`` and at ``chorus up``'s start): a SQLite
  catalog is first copied to ``catalog.db.bak-<UTC time>`` next to it; a PostgreSQL one is the operator's to
  back up (``pg_dump``). When a ``Catalog`` opens one with pending migrations (``chorus run``, ``chorus
  editor``, a flow run), SQLite is backed up and upgraded with one line saying so; PostgreSQL, shared by
  machines that may run older code, stops with a one-line error naming ``chorus db upgrade``.

Upgrades are serialised: a file lock beside the SQLite file (``catalog.db-schema.lock``), an advisory lock on
PostgreSQL.
"""
from __future__ import annotations

import fcntl
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import Engine, MetaData, create_engine, inspect, text
from sqlalchemy.engine import make_url

from chorus.errors import ChorusError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

__all__ = ["HEAD", "BASELINE", "SchemaState", "UpgradeResult", "head", "schema_state", "prepare", "upgrade",
           "upgrade_url", "backup", "open_engine", "MIGRATIONS"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0003_one_claim"
"""The newest migration (``tests/chorus/test_migrations.py`` checks it against ``versions/``): a catalog at
HEAD opens without importing Alembic, which takes about half a second."""
BASELINE = "0001_baseline"
"""The schema of the release before migrations (commit 780dcdc)."""
_MARKER_TABLE = "episodes"
"""A database with this table and no ``alembic_version`` is a catalog of that release."""
_PG_LOCK = 0x43686F7275  # "Choru": the advisory lock id of schema changes


@dataclass(frozen=True)
class SchemaState:
    """Where a catalog's schema stands."""

    url: str
    """The catalog URL, its password hidden."""
    current: str | None
    """Its migration; None when it has none (empty, or made by the release before migrations)."""
    head: str
    legacy: bool = False
    """True: made by the release before migrations (tables, no ``alembic_version``)."""
    pending: tuple[str, ...] = ()
    """Migrations still to run, oldest first (all of them for an empty database)."""

    @property
    def empty(self) -> bool:
        return self.current is None and not self.legacy

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class UpgradeResult:
    """What :func:`upgrade` did."""

    url: str
    before: str | None
    after: str
    applied: tuple[str, ...] = ()
    """Migrations run, oldest first (none when the tables were created at once, or nothing was pending)."""
    created: bool = False
    """True: the database was empty and now holds a new catalog."""
    backup: Path | None = None
    """The copy of the SQLite catalog made before migrating."""
    stamped: bool = field(default=False)
    """True: a catalog of the release before migrations was stamped at ``BASELINE`` first."""

    def line(self) -> str:
        """One line for the terminal."""
        if self.created:
            return f"catalog created at {self.after} ({self.url})"
        if not self.applied:
            return f"catalog up to date at {self.after} ({self.url})"
        kept = f"; the catalog before is kept at {self.backup}" if self.backup else ""
        before = self.before or f"{BASELINE} (made before migrations)"
        n = len(self.applied)
        return f"catalog upgraded from {before} to {self.after} ({n} migration{'s' * (n > 1)}){kept}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """The newest migration in ``chorus/migrations/versions/`` (reads them all; ``HEAD`` is the quick answer).

    >>> head() == HEAD
    True
    """
    return _scripts().get_current_head()


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _pending(current: str | None) -> tuple[str, ...]:
    upper = _scripts().walk_revisions("base", "heads")
    order = [r.revision for r in reversed(list(upper))]
    return tuple(order[order.index(current) + 1:] if current in order else order)


def schema_state(engine: Engine) -> SchemaState:
    """Read where the catalog's schema stands (two cheap queries; no lock)."""
    with engine.connect() as conn:
        insp = inspect(conn)
        current = None
        if insp.has_table("alembic_version"):
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        legacy = current is None and insp.has_table(_MARKER_TABLE)
    url, newest = _shown(engine), HEAD
    if current == newest:
        return SchemaState(url, current, newest)
    if current is not None and current not in {r.revision for r in _scripts().walk_revisions()}:
        raise ChorusError(f"the catalog is at migration {current}, which this version of Chorus does not know: it was "
                          f"upgraded by a newer Chorus; upgrade Chorus", path=url)
    return SchemaState(url, current, newest, legacy, _pending(BASELINE if legacy else current))


def _sqlite_file(engine: Engine) -> Path | None:
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    return Path(db) if db and db != ":memory:" and not db.startswith("file:") else None


@contextmanager
def _lock(engine: Engine) -> Iterator[None]:
    """One schema change at a time: a file lock on ``catalog.db-schema.lock`` beside a SQLite file, a session
    advisory lock on PostgreSQL.

    Never on the database file itself: closing any other descriptor of it drops every POSIX lock the process
    holds on it, SQLite's included, and another process ending would then take itself for the last one,
    checkpoint, and delete the write-ahead log under this one's open connection: its later commits are lost
    (https://www.sqlite.org/howtocorrupt.html, 2.2; tests/chorus/test_migrations.py)."""
    path = _sqlite_file(engine)
    if path is not None:
        with open(path.with_name(f"{path.name}-schema.lock"), "ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK})
                conn.commit()
    else:
        yield


def backup(engine: Engine, at: datetime | None = None) -> Path:
    """Copy a SQLite catalog to ``catalog.db.bak-<UTC time>`` beside it (SQLite's online backup: a consistent
    copy, write-ahead log included) and return the copy's path."""
    path = _sqlite_file(engine)
    if path is None:
        raise ChorusError("only a SQLite catalog file is backed up by Chorus; back up PostgreSQL with pg_dump",
                          path=_shown(engine))
    stamp = (at or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target, n = path.with_name(f"{path.name}.bak-{stamp}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{stamp}-{n}")
    src, dst = sqlite3.connect(path), sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    return target


def open_engine(url: str) -> Engine:
    """An engine for schema work on the catalog at ``url`` (a SQLite file's folder is created)."""
    if url.startswith("sqlite"):
        db = make_url(url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url)


def _metadata() -> MetaData:
    from chorus.catalog import _Base  # the tables; chorus.catalog imports this module

    return _Base.metadata


def _create(engine: Engine, metadata: MetaData) -> None:
    """Today's tables at once, stamped at the newest migration, in one transaction."""
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:
        metadata.create_all(conn)
        MigrationContext.configure(conn).stamp(_scripts(), HEAD)


def _migrate(engine: Engine, legacy: bool) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:
        if legacy:
            MigrationContext.configure(conn).stamp(_scripts(), BASELINE)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def upgrade(engine: Engine, metadata: MetaData | None = None, keep_backup: bool = True) -> UpgradeResult:
    """Bring the catalog to :func:`head`: create it when empty, else run the pending migrations, after a
    backup of a SQLite catalog (``keep_backup``)."""
    with _lock(engine):
        st = schema_state(engine)
        if st.up_to_date:
            return UpgradeResult(st.url, st.current, st.head)
        if st.empty:
            _create(engine, metadata if metadata is not None else _metadata())
            return UpgradeResult(st.url, None, st.head, created=True)
        copy = backup(engine) if keep_backup and _sqlite_file(engine) is not None else None
        _migrate(engine, st.legacy)
        return UpgradeResult(st.url, st.current, st.head, st.pending, backup=copy, stamped=st.legacy)


def upgrade_url(url: str, say: Callable[[str], None] = _say) -> UpgradeResult:
    """:func:`upgrade` the catalog at ``url`` and ``say`` what was done when anything was (``chorus up``)."""
    engine = open_engine(url)
    try:
        result = upgrade(engine)
    finally:
        engine.dispose()
    if result.applied:
        say(result.line())
    return result


def prepare(engine: Engine, metadata: MetaData, say: Callable[[str], None] = _say) -> None:
    """What ``Catalog`` does on opening: nothing when the schema is current (the usual case: two small
    queries), create an empty one, upgrade a SQLite catalog after a backup (one line), and stop with a
    one-line error for a PostgreSQL catalog that needs ``chorus db upgrade``."""
    st = schema_state(engine)
    if st.up_to_date:
        return
    if st.empty or engine.dialect.name == "sqlite":
        result = upgrade(engine, metadata)
        if result.applied:
            say(result.line())
        return
    raise ChorusError(f"the catalog needs its migrations ({', '.join(st.pending)}) before this version of "
                      f"Chorus can use it: run `chorus db upgrade` (after backing it up with pg_dump)", path=st.url)
