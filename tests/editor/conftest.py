"""Shared fixtures of the editor tests: a real SQLite catalog with users and a drafted episode, and the
real application behind Starlette's TestClient (no mocks; the catalog and app are the ones Chorus serves).

``editor_env`` gives ``env.app``, ``env.catalog``, ``env.settings``, ``env.episode`` (id) and
``env.client(name=None)``: a new TestClient, logged in as ``name`` through the real login form when given.
Users: ``olive`` (organiser) and ``ed`` / ``eve`` (editors), password ``PASSWORDS[name]``.
"""
from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from chorus import accounts
from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
from chorus.settings import Settings
from transcripts import Chapter, Segment, ShowNotes, Transcript, Word

PASSWORDS = {"olive": "organiser pass 1", "ed": "editor pass 1", "eve": "editor pass 2"}
ROLES = {"olive": "organiser", "ed": "editor", "eve": "editor"}
TURNS = [
    ("Speaker 1", "Welcome back to the check in. Today we talk about supervision and fees."),
    ("Speaker 2", "Thanks for having me. Supervision has changed a lot for me this year."),
    ("Speaker 1", "What changed first? Was it the group or the money?"),
    ("Speaker 2", "The group came first. We meet every month and share cases with care."),
    ("Speaker 1", "That sounds good. Let us talk about fees after a short break."),
]


def machine_transcript(turns=TURNS, low: set[int] = frozenset({3, 17})) -> Transcript:
    """A machine transcript of ``turns``: words 0.4 s apart, 0.3 s long; word numbers in ``low`` have
    confidence 0.3 (the rest 0.9)."""
    segments, t, n = [], 0.5, 0
    for speaker, text in turns:
        words = []
        for token in text.split():
            words.append(Word(token, round(t, 3), round(t + 0.3, 3), 0.3 if n in low else 0.9, speaker))
            t, n = t + 0.4, n + 1
        segments.append(Segment(words[0].start, words[-1].end, text, speaker, words))
        t += 0.8
    return Transcript(language="en", duration=round(t + 1, 3), segments=segments)


def add_episode(catalog: Catalog, title: str = "Check in", transcript: Transcript | None = None,
                status: str = "drafted") -> int:
    """An episode drafted by the pipeline: machine transcript and notes revisions, as ``steps.draft`` stores them.
    Each has a recording of its own (a content hash of its own: the catalog holds one episode per recording)."""
    transcript = transcript or machine_transcript()
    with catalog.session() as s:
        show = catalog.show(s, "community-podcast")
        ep = Episode(show_id=show.id, slug=re.sub(r"\W+", "-", title.lower()), title=title, status=status,
                     source_name=f"{title.lower().replace(' ', '-')}.wav", source_sha256=uuid.uuid4().hex * 2,
                     duration=transcript.duration, media={"coverage": 0.97, "inaudible": [], "caption_problems": 0})
        s.add(ep)
        s.flush()
        episode_id = ep.id
    catalog.add_revision(TranscriptRevision, episode_id, transcript.to_dict())
    notes = ShowNotes(summary=["We talk about supervision."], keywords=["supervision"],
                      chapters=[Chapter(0.0, 10.0, "Welcome"), Chapter(10.0, transcript.duration, "Supervision")],
                      html="<p>We talk about supervision.</p>", text="We talk about supervision.", title=title)
    catalog.add_revision(NotesRevision, episode_id, notes.to_dict())
    return episode_id


def log_in(client: TestClient, name: str, password: str | None = None):
    """Log in through the real form (its double-submit CSRF cookie included); returns the POST response."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password or PASSWORDS[name], "csrf": csrf,
                                       "next": "/"}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as the pages' ``<meta name="csrf-token">`` carries it."""
    return client.get("/api/me").json()["csrf"]


@pytest.fixture(scope="session")
def _seeded_catalog(tmp_path_factory) -> Path:
    """A catalog file with the users and one drafted episode, made once (argon2 hashing is slow on
    purpose); each test works on its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "catalog.db"
    catalog = Catalog(f"sqlite:///{path}")
    for name, role in ROLES.items():
        accounts.add_user(catalog, name, role, PASSWORDS[name])
    add_episode(catalog)
    catalog.engine.dispose()  # the WAL is folded into the file
    return path


@pytest.fixture
def editor_env(tmp_path: Path, _seeded_catalog: Path):
    from editor import create_app

    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(_seeded_catalog, settings.data_dir / "catalog.db")
    catalog = Catalog(settings.catalog)
    episode = 1
    app = create_app(settings, catalog)
    clients: list[TestClient] = []

    def client(name: str | None = None) -> TestClient:
        c = TestClient(app, base_url="http://127.0.0.1")
        clients.append(c)
        if name:
            assert log_in(c, name).status_code == 303
        return c

    yield SimpleNamespace(app=app, catalog=catalog, settings=settings, episode=episode, client=client)
    for c in clients:
        c.close()
