"""Whole-path fixtures: one real Prefect server per session, and `chorus` run as a user runs it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A real local Prefect server for the session (one, not one per test)."""
    from chorus.services import PrefectServer, free_port

    server = PrefectServer(tmp_path_factory.mktemp("prefect-home"), free_port())
    server.start(timeout=240)
    yield server.api_url
    server.stop()


def results(proc) -> list[dict]:
    """The JSON objects `chorus run --json` printed, one per input."""
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def make_video(wav: Path, out: Path) -> Path:
    """A small H.264/AAC video of a recording (the tests are about the pipeline, not x264)."""
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-i", str(wav),
                    "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(out)], check=True)
    return out
