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
