"""The catalog on PostgreSQL (a throwaway cluster from Debian's ``postgresql`` package, ``postgres`` in
tests/conftest.py): migrations, the pipeline's queries, and the revision and editor tests about saves
that meet, run again here against PostgreSQL.

Tests imported from ``test_catalog`` and ``tests/editor/test_service``/``test_api`` run in this module
with its fixtures (``catalog``, ``cat``, ``editor_env``), which give them a PostgreSQL catalog; only the
tests about concurrent or meeting saves are imported, to keep the suite's time down.
"""
from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, text

from chorus import accounts
from chorus.catalog import Catalog, Episode, EpisodeEvent, utcnow
from chorus.catalog_schema import BASELINE, HEAD, MIGRATIONS, open_engine, schema_state, upgrade
from chorus.errors import ChorusError
from chorus.settings import Settings
from tests.chorus.test_catalog import (  # noqa: F401 - collected here, on PostgreSQL
    test_a_draft_is_one_row_per_user_episode_and_kind_replaced_at_each_save,
    test_concurrent_savers_get_distinct_numbers_and_nothing_is_overwritten,
    test_history_says_who_edited_from_what_and_who_approved,
    test_presence_shows_who_is_editing_since_when_and_forgets_the_gone, test_revisions_stay_append_only,
    test_user_names_are_unique)
from tests.chorus.test_migrations import OLD, check_old_data, schema_diff
from tests.editor.conftest import PASSWORDS, ROLES, add_episode, log_in
from tests.editor.test_api import test_save_merge_and_conflict_over_http  # noqa: F401 - collected here
from tests.editor.test_service import (  # noqa: F401 - collected here, on PostgreSQL
    _edit, _paras, test_non_overlapping_saves_from_one_base_merge,
    test_notes_merge_field_by_field_and_conflict_on_the_same_field, test_overlapping_saves_conflict_and_save_nothing)


@pytest.fixture
def catalog(pg_url) -> Catalog:
    return Catalog(pg_url)


@pytest.fixture
def cat(pg_url):
    catalog = Catalog(pg_url)
    return catalog, add_episode(catalog)


@pytest.fixture(scope="module")
def _seeded_pg(postgres) -> str:
    """A PostgreSQL catalog with the editor tests' users and episode, made once (argon2 is slow on purpose)."""
    url = postgres.database("seed")
    catalog = Catalog(url)
    for name, role in ROLES.items():
        accounts.add_user(catalog, name, role, PASSWORDS[name])
    add_episode(catalog)
    catalog.engine.dispose()
    return url


@pytest.fixture
def editor_env(tmp_path, postgres, _seeded_pg):
    """``tests/editor/conftest.py``'s ``editor_env`` on a PostgreSQL copy of the seeded catalog."""
    from editor import create_app

    url = postgres.database("editor")
    name = url.rsplit("/", 1)[1]
    with create_engine(postgres.url(), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_seeded_pg.rsplit("/", 1)[1]}"'))
    settings = Settings(data_dir=tmp_path / "data", catalog_url=url)
    settings.data_dir.mkdir(parents=True)
    catalog = Catalog(settings.catalog)
    app = create_app(settings, catalog)
    clients: list[TestClient] = []

    def client(user: str | None = None) -> TestClient:
        c = TestClient(app, base_url="http://127.0.0.1")
        clients.append(c)
        if user:
            assert log_in(c, user).status_code == 303
        return c

    yield SimpleNamespace(app=app, catalog=catalog, settings=settings, episode=1, client=client)
    for c in clients:
        c.close()
    catalog.engine.dispose()


def test_the_pipeline_catalog_on_postgres(catalog):
    """What the pipeline writes and asks: statuses with events, measurements with numpy numbers in JSON,
    aware UTC times, the feed's episodes and the scheduled ones, numbering, digests."""
    now = utcnow()
    with catalog.session() as s:
        show = catalog.show(s, "community-podcast")
        assert catalog.show(s, "community-podcast").id == show.id  # created once
        eps = []
        for i, (title, when) in enumerate([("Old", now - timedelta(days=2)), ("New", now - timedelta(hours=1)),
                                           ("Later", now + timedelta(days=1))]):
            ep = Episode(show_id=show.id, slug=f"ep-{i}", title=title, source_name=f"{i}.wav",
                         source_sha256=f"{i}" * 64, number=catalog.next_number(s, show.id),
                         media={"loudness": np.float32(-16.0), "frames": np.int64(7)})
            s.add(ep)
            s.flush()
            eps.append(ep.id)
    for ep_id, (status, when) in zip(eps, [("published", now - timedelta(days=2)),
                                           ("published", now - timedelta(hours=1)), ("scheduled", now + timedelta(days=1))]):
        catalog.set_status(ep_id, status, published_at=when, objects={"mp3": {"url": f"https://x/{ep_id}.mp3"}})
    failed = catalog.set_status(eps[0], "failed", "the store was unreachable")
    assert failed.error == "the store was unreachable"
    catalog.set_status(eps[0], "published")
    with catalog.session() as s:
        assert [e.title for e in catalog.published(s, "community-podcast")] == ["New", "Old"]
        assert [e.title for e in catalog.due(s, now + timedelta(days=2))] == ["Later"]
        assert catalog.find_by_sha(s, "1" * 64).title == "New"
        ep = s.get(Episode, eps[0])
        assert ep.media == {"loudness": -16.0, "frames": 7} and ep.number == 1
        assert ep.published_at.utcoffset() == timedelta(0) and ep.published_at == now - timedelta(days=2)
        assert [e.status for e in s.query(EpisodeEvent).filter_by(episode_id=eps[0]).order_by(EpisodeEvent.id)] == [
            "published", "failed", "published"]
    catalog.save_feed_item_digests("community-podcast", {"a": "1" * 64, "b": "2" * 64})
    catalog.save_feed_item_digests("community-podcast", {"b": "3" * 64, "c": "4" * 64})
    assert catalog.feed_item_digests("community-podcast") == {"b": "3" * 64, "c": "4" * 64}


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_volunteers_saving_at_once_lose_nothing(where, tmp_path, postgres):
    """Five volunteers save different paragraphs from the same revision at the same moment: every save is
    a revision, and the newest one has all five edits (merged, none lost)."""
    from editor import service

    catalog = Catalog(postgres.database() if where == "postgresql" else f"sqlite:///{tmp_path / 'catalog.db'}")
    ep = add_episode(catalog)
    base = _paras(catalog, ep)
    edits = [(0, "check in", "check-in"), (1, "a lot", "so much"), (2, "the money", "the fees"),
             (3, "every month", "each month"), (4, "short break", "short pause")]
    start, results, errors = threading.Barrier(len(edits)), [], []

    def save(i: int) -> None:
        start.wait()
        try:
            results.append(service.save_transcript(catalog, ep, f"v{i}", 1, _edit(base, *edits[i])))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(edits))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(r.revision for r in results) == [2, 3, 4, 5, 6]
    assert sum(r.merged for r in results) == 4
    newest = " ".join(p.text for p in _paras(catalog, ep))
    assert all(new in newest and old not in newest for _i, old, new in edits), newest


def _baseline(engine) -> None:
    from alembic import command
    from alembic.config import Config

    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, BASELINE)


def _old_release_catalog(url: str) -> None:
    """A PostgreSQL catalog as the release before migrations left it: its tables (the baseline), no
    ``alembic_version``, and the rows of ``data/catalog-780dcdc.db``."""
    engine = open_engine(url)
    _baseline(engine)
    old, src, dst = MetaData(), create_engine(f"sqlite:///{OLD}"), MetaData()
    old.reflect(src)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        dst.reflect(conn)
        with src.connect() as read:
            for table in old.sorted_tables:
                rows = [dict(r) for r in read.execute(table.select()).mappings()]
                if rows:
                    conn.execute(dst.tables[table.name].insert(), rows)
                if "id" in table.c:  # the next id after the copied ones
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"))
    engine.dispose()


def test_an_old_postgres_catalog_waits_for_chorus_db_upgrade_then_keeps_its_data(pg_url):
    from tests.chorus.test_migrations import _chorus

    _old_release_catalog(pg_url)
    engine = open_engine(pg_url)
    st = schema_state(engine)
    assert (st.current, st.legacy, st.pending) == (None, True, ("0002_privacy", HEAD))
    with pytest.raises(ChorusError, match=r"needs its migrations \(0002_privacy, 0003_one_claim\) .* run `chorus db upgrade`"):
        Catalog(pg_url)  # chorus run, chorus editor, a worker: PostgreSQL is upgraded on purpose only
    assert schema_state(engine).legacy  # untouched
    shown = engine.url.render_as_string(hide_password=True)
    env = {"CHORUS_CATALOG_URL": pg_url}
    users = _chorus("user", "list", env=env)
    assert users.exit_code == 1 and "run `chorus db upgrade`" in users.stderr and "Traceback" not in users.stderr
    before = _chorus("db", "current", env=env)
    assert before.stdout == "none\n" and "pending: 0002_privacy, 0003_one_claim; run `chorus db upgrade`" in before.stderr
    up = _chorus("db", "upgrade", env=env)
    assert up.exit_code == 0
    assert up.stderr.strip() == f"catalog upgraded from {BASELINE} (made before migrations) to {HEAD} (2 migrations)"
    assert _chorus("db", "current", env=env).stderr.strip() == f"up to date ({shown})"
    assert schema_diff(engine) == []
    check_old_data(Catalog(pg_url))
    engine.dispose()


def test_migrating_a_postgres_database_from_nothing_gives_the_declared_tables(pg_url, postgres):
    from chorus.catalog_schema import _migrate

    engine = open_engine(pg_url)
    _migrate(engine, legacy=False)
    assert schema_state(engine).current == HEAD and schema_diff(engine) == []
    engine.dispose()
    fresh = Catalog(postgres.database())  # create_all + stamp: the same tables
    assert schema_state(fresh.engine).current == HEAD and schema_diff(fresh.engine) == []


def test_postgres_upgrades_started_at_once_run_once(pg_url):
    """``chorus up`` on two machines at once: the advisory lock lets one upgrade; the other finds it done."""
    engine = open_engine(pg_url)
    _baseline(engine)
    start, results = threading.Barrier(3), []

    def run() -> None:
        start.wait()
        results.append(upgrade(engine))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.applied) for r in results) == [0, 0, 2]
    assert all(r.after == HEAD and r.backup is None for r in results)
    engine.dispose()
