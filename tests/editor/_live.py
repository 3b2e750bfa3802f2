"""The editor served for a real browser: the real app (``editor.create_app``) under uvicorn on a free
loopback port, with a real SQLite catalog, users, and an episode really published to a SeaweedFS bucket
by the pipeline's own steps (generated speech encoded by ffmpeg; the transcript from the script's truth,
every seventh word marked unsure as a recogniser's are). Shared by the browser and accessibility tests.

Import the fixtures into a test module: ``from tests.editor._live import live  # noqa: F401`` (``browser`` and ``axe_js`` come from tests/conftest.py).
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from chorus import accounts, sequence, steps
from chorus.services import free_port
from chorus.showfeed import feed_key
from chorus.steps import Context
from tests.chorus.test_publish import _transcript_and_notes, make_bucket, show_env
from tests.editor.conftest import PASSWORDS, ROLES

__all__ = ["live", "log_in", "PASSWORDS"]


def _publish(ctx: Context, wav: Path, truth: dict, root: Path, title: str) -> int:
    """One episode through claim, draft and release (no mastering or transcription: see the module doc)."""
    src = root / "panel-check-in.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", "48k", str(src)], check=True)
    src.with_suffix(".json").write_text(f'{{"title": "{title}"}}', encoding="utf-8")
    c = steps.claim(ctx, src)
    transcript, notes = _transcript_and_notes(truth, title)
    for n, w in enumerate(transcript.words()):
        if n % 7 == 6:
            w.probability = 0.3
    mastered = SimpleNamespace(mp3=src, duration=truth["duration"], video=None, poster=None, kept=[(0.0, truth["duration"])])
    steps.draft(ctx, c, mastered, transcript, notes)
    sequence.release_episode(ctx, c.episode_id, mastered=mastered)
    return c.episode_id


@pytest.fixture(scope="module")
def live(seaweed, panel, tmp_path_factory):
    """``live.url``, ``.catalog``, ``.settings``, ``.bucket``, ``.episode`` (published), ``.feed_url``."""
    from editor.serving import EditorServer

    root = tmp_path_factory.mktemp("editor-live")
    bucket = make_bucket(seaweed, f"editor-{root.name[-12:].lower().replace('_', '-')}")
    settings, catalog = show_env(bucket, root)
    for name, role in ROLES.items():
        accounts.add_user(catalog, name, role, PASSWORDS[name])
    wav, truth = panel
    episode = _publish(Context(settings, catalog, bucket), wav, truth, root, "Panel check in")
    server = EditorServer(settings, catalog, bucket, host="127.0.0.1", port=free_port()).start()
    yield SimpleNamespace(url=server.url.rstrip("/"), server=server, catalog=catalog, settings=settings, bucket=bucket, episode=episode,
                          feed_url=bucket.url(feed_key(settings, settings.default_show)), root=root)
    server.stop()


def log_in(context, url: str, name: str):
    """A page of ``context`` logged in as ``name`` through the login form, on the queue."""
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page
