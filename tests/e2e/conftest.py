"""Whole-path fixtures: one real Prefect server per session, and `chorus` run as a user runs it."""
from __future__ import annotations

import json

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
