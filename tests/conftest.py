"""Session-wide fixtures: generated speech (the project's own synth), shared by every test package.

Recordings are rendered once per session and cached by (script, options), so many tests can use
the same clip without paying for espeak-ng again.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.synth import render

DATA = Path(__file__).parent / "data"
SCRIPTS = DATA / "scripts"


def _require(*tools: str) -> None:
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        # Not a skip: a test machine without these cannot say anything about Chorus.
        pytest.fail(f"missing system programs {missing}: run scripts/ensure-system-deps.sh or .ci/run", pytrace=False)


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    """Factory: ``synth(script, fmt="wav", **opts) -> (path, truth)``.

    ``script`` is a name under tests/data/scripts (without .json), a path, or a dict.
    Results are cached for the session.
    """
    _require("espeak-ng", "sox", "ffmpeg")
    root = tmp_path_factory.mktemp("synth")
    cache: dict[str, tuple[Path, dict]] = {}

    def make(script, fmt: str = "wav", **opts) -> tuple[Path, dict]:
        if isinstance(script, str) and not script.endswith(".json"):
            script = SCRIPTS / f"{script}.json"
        key = json.dumps([str(script) if not isinstance(script, dict) else script, fmt, opts], sort_keys=True)
        if key not in cache:
            stem = root / f"rec{len(cache)}"
            out, truth = render(script, stem, fmt=fmt, **opts)
            cache[key] = (Path(out), truth)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def panel(synth):
    """The two-speaker panel discussion (about 96 s), WAV, with its truth."""
    return synth("panel")


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """A real SeaweedFS S3 endpoint on free loopback ports, for the whole session.

    Anonymous reads are scoped as in production: nothing is public until a bucket's public folders are
    allowed (``seaweed.allow_public("<bucket>/<prefix>", ...)``, as ``bucket`` and ``make_bucket`` do for
    the show folders), so the private prefix answers 403 to anyone, as it must."""
    from chorus.services import SeaweedFS, free_port

    store = SeaweedFS(tmp_path_factory.mktemp("seaweed"), s3_port=free_port(), public_prefixes=[])
    store.start()
    yield store
    store.stop()


@pytest.fixture(scope="session")
def s3_env(seaweed):
    """Environment that points Chorus (and boto3) at the test SeaweedFS as an *external* endpoint."""
    key, secret = seaweed.credentials()
    return {"CHORUS_PUBLISH__ENDPOINT_URL": seaweed.endpoint_url, "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}


@pytest.fixture
def bucket(seaweed, request):
    """A fresh, empty bucket on the test SeaweedFS (one per test); anyone may read its show folders
    (``community-podcast/``, ``show/``, ``s/``), never its private prefix."""
    import re

    from chorus.storage import Bucket

    key, secret = seaweed.credentials()
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-") + f"-{id(request) % 10000}"
    b = Bucket(name, seaweed.endpoint_url, access_key=key, secret_key=secret, region="us-east-1")
    b.ensure()
    seaweed.allow_public(f"{name}/community-podcast", f"{name}/show", f"{name}/s")
    return b


# One browser for the whole session: Playwright's sync API can run only one instance per thread, so the
# page tests (tests/feeds) and the editor tests (tests/editor) must share it, not each start their own.
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / ".venv" / "axe-core" / "axe.min.js"
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless. Missing is a failure, not a skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core's script, as ``make test`` fetched it (npm pack). Missing is a failure, not a skip."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make test (it fetches axe-core with npm pack)", pytrace=False)
    return AXE


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (Debian's ``postgresql`` package) on a free loopback port, for the
    whole session (``tests.support.postgres``); ``postgres.database()`` makes a fresh database."""
    from chorus.services import free_port
    from tests.support.postgres import PostgresCluster, pg_bin

    try:
        pg_bin("initdb")
    except FileNotFoundError as e:  # not a skip: the PostgreSQL tests are part of the suite
        pytest.fail(str(e), pytrace=False)
    cluster = PostgresCluster(free_port()).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(postgres) -> str:
    """The URL of a fresh, empty PostgreSQL database for this test."""
    return postgres.database()
