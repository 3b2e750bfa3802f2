"""`chorus deploy` and `chorus worker` without a Prefect server: one line, exit 1, nothing started.
(With a real server, two workers and a real store: tests/e2e/test_workers.py.)"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chorus.services import free_port


@pytest.mark.parametrize("command", [["deploy"], ["worker", "--name", "w1"]])
def test_no_prefect_server_is_one_line(tmp_path, command):
    api = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    env = {**os.environ, "PREFECT_API_URL": api, "CHORUS_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", *command], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"chorus: no Prefect server answers at {api} ([Errno 111] Connection refused); start it (`chorus up`) or "
        f"fix PREFECT_API_URL"]
    assert not (tmp_path / "data" / "workers" / "w1").exists()  # no work directory for a worker that never ran


def test_worker_without_any_server_says_how_to_get_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["CHORUS_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "worker"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("chorus: no Prefect server: set PREFECT_API_URL, or start `chorus up` on this "
                                   "data directory")
