"""Make ``catalog-780dcdc.db``: a catalog written by the code of the release before migrations (commit
780dcdc), with a show, two episodes, their events and revisions, an approval, users with a password and an
API token, a login session, a draft, presence and feed digests. ``tests/chorus/test_migrations.py``
upgrades a copy with today's code.

Run from the repository root (needs that commit in the history): ``.venv/bin/python
tests/chorus/data/make_old_catalog.py``. The old ``chorus/catalog.py`` and ``catalog_revisions.py`` are
taken with ``git show`` into a temporary package, so nothing of today's schema leaks in.
"""
from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

__all__ = ["RELEASE", "PASSWORD", "TOKEN", "make"]

RELEASE = "780dcdc"
PASSWORD = "old release pass 1"
TOKEN = "old-release-token-0123456789abcdef"
_HERE = Path(__file__).resolve().parent


def _old_package(root: Path) -> None:
    pkg = root / "oldchorus"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, old, new in (("catalog.py", "from chorus.catalog_revisions import", "from oldchorus.catalog_revisions import"),
                           ("catalog_revisions.py", "from chorus import catalog", "from oldchorus import catalog")):
        source = subprocess.run(["git", "show", f"{RELEASE}:chorus/{name}"], check=True, capture_output=True,
                                text=True).stdout
        assert old in source, name
        (pkg / name).write_text(source.replace(old, new))


def make(target: Path) -> Path:
    """Write the old catalog to ``target`` (replaced) with the old release's code."""
    from argon2 import PasswordHasher

    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _old_package(Path(tmp))
        sys.path.insert(0, tmp)
        try:
            old = importlib.import_module("oldchorus.catalog")
            catalog = old.Catalog(f"sqlite:///{target}")
            with catalog.session() as s:
                show = catalog.show(s, "community-podcast")
                show.podcast_guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
                one = old.Episode(show_id=show.id, slug="check-in", number=1, title="Check in", status="published",
                                  source_name="check-in.wav", source_sha256="a" * 64, duration=61.5,
                                  published_at=datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc),
                                  media={"loudness": {"input_i": -23.1, "output_i": -16.0}, "coverage": 0.97},
                                  objects={"mp3": {"key": "community-podcast/check-in/abc.mp3", "length": 123456,
                                                   "url": "http://127.0.0.1:8333/chorus/community-podcast/check-in/"
                                                          "abc.mp3", "type": "audio/mpeg", "sha256": "b" * 64}})
                two = old.Episode(show_id=show.id, slug="fees", number=2, title="Fees", status="failed",
                                  error="the recording has no audio stream", source_name="fees.mp4",
                                  source_sha256="c" * 64)
                s.add_all([one, two])
                s.flush()
                for status in ("claimed", "mastering", "transcribing", "drafted", "published"):
                    s.add(old.EpisodeEvent(episode_id=one.id, status=status))
                s.add(old.EpisodeEvent(episode_id=two.id, status="failed", detail=two.error))
                ids = one.id, two.id
                hasher = PasswordHasher()
                for name, role in (("olive", "organiser"), ("ed", "editor")):
                    s.add(old.User(name=name, role=role, password_hash=hasher.hash(PASSWORD)))
                s.flush()
                olive = s.query(old.User).filter_by(name="olive").one()
                s.add(old.ApiToken(user_id=olive.id, token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest()))
                s.add(old.LoginSession(token_sha256="d" * 64, user_id=olive.id, csrf="e" * 32,
                                       expires_at=old.utcnow() + timedelta(days=30)))
            words = {"language": "en", "segments": [{"speaker": "Speaker 1", "text": "Welcome back"}]}
            catalog.add_revision("transcript", ids[0], words)
            edited = catalog.add_revision("transcript", ids[0], {**words, "edited": True}, author="ed", base=1,
                                          summary="1 word changed")
            catalog.add_revision("notes", ids[0], {"html": "<p>We talk about supervision.</p>"})
            catalog.approve(ids[0], "transcript", edited, by="olive")
            catalog.put_draft(ids[0], "ed", "transcript", {"paragraphs": ["Welcome back, everyone"]}, base=edited)
            catalog.touch_presence(ids[0], "ed")
            catalog.save_feed_item_digests("community-podcast", {"urn:uuid:old-item": "f" * 64})
            catalog.engine.dispose()
        finally:
            sys.path.remove(tmp)
            for name in [m for m in sys.modules if m.startswith("oldchorus")]:
                del sys.modules[name]
    import sqlite3

    con = sqlite3.connect(target)
    con.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
    con.execute("VACUUM")
    con.close()
    return target


if __name__ == "__main__":
    print(make(_HERE / f"catalog-{RELEASE}.db"))
