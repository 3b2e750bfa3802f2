"""`kill -9` of `chorus run` leaves nothing behind: the SeaweedFS and the Prefect server it started for
itself die with it, and the next run starts its own instead of adopting a stray one."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    out: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            kids = map(int, (task / "children").read_text().split())
        except OSError:
            continue
        for kid in kids:
            out |= {kid, *_children(kid)}
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (killed, not yet reaped by init) is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_kill_9_of_chorus_run_stops_the_servers_it_started(synth, tmp_path):
    wav, _ = synth("panel")
    rec = tmp_path / "talk.wav"
    shutil.copyfile(wav, rec)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PREFECT_API", "CHORUS_"))}
    from chorus.services import free_port

    env["CHORUS_EMBEDDED__S3_PORT"] = str(free_port())
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "chorus.cli", "run", "--json", "--data-dir", str(data), str(rec)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)
    deadline, servers = time.monotonic() + 300, set()
    try:
        while time.monotonic() < deadline:  # until the run is transcribing: both servers are up then
            assert proc.poll() is None, "chorus run ended before it could be killed"
            work = data / "work"
            if work.is_dir() and list(work.glob("*/master")):
                servers = _children(proc.pid)
                break
            time.sleep(0.5)
        assert servers, "chorus run never reached mastering"
        weed = json.loads((data / "s3" / "endpoint.json").read_text())["pid"]
        assert weed in servers
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in servers):
        time.sleep(0.5)
    left = [p for p in servers if _alive(p)]
    assert not left, f"processes outlived the killed chorus run: {left}"
    from chorus.services import running_seaweed

    assert running_seaweed(data / "s3") is None, "a later run would adopt a stray SeaweedFS"
