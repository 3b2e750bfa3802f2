"""Scale-out as an operator runs it (issue #14): real processes on one machine that share nothing but a Prefect
server, a PostgreSQL catalog and a SeaweedFS bucket.

- Two `chorus up --on-workers` watchers (the organisers' machines, each with its own data directory and
  inbox) and two `chorus worker`s (each with its own work directory). Six recordings dropped at once are
  each published exactly once, by both workers; one of them dropped into both inboxes at once makes one
  episode; the feed lists six; the staged copies were never public and are gone after archiving; the workers
  keep nothing of them.
- A worker killed with SIGKILL in the middle of a transcription: its run is marked Crashed once its heartbeat
  stops, the other worker publishes the episode, the feed has it once, and no object is half-written.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from tests.chorus.test_private_store import _anonymous
from tests.e2e.test_workers import _run, _wait_for

pytestmark = pytest.mark.e2e

SHORT = Path(__file__).parents[1] / "data" / "scripts" / "publish-short.json"
SHOW = "community-podcast"


def _chorus(*args: str) -> list[str]:
    return [sys.executable, "-m", "chorus.cli", *args]


@pytest.fixture
def own_prefect(tmp_path):
    """A Prefect server of this test's own: crashed runs and lost workers of one test are not another's."""
    from chorus.services import PrefectServer, free_port

    server = PrefectServer(tmp_path / "prefect-home", free_port())
    server.start(timeout=240)
    yield server.api_url
    server.stop()


class Machines:
    """The processes of one test, each in its own process group; all stopped at the end."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp, self.env, self.procs = tmp_path, env, {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")
        proc = subprocess.Popen(_chorus(*args), env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{self.log(n)[-2500:]}" for n in self.procs)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _env(tmp_path, s3_env, pg_url, api, bucket) -> dict:
    from chorus.services import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CHORUS_"))}
    env.update(s3_env, PREFECT_API_URL=api, CHORUS_CATALOG_URL=pg_url, CHORUS_PUBLISH__BUCKET=bucket,
               CHORUS_SHOW__REVIEW="after", CHORUS_INBOX__POLL_SECONDS="1", CHORUS_INBOX__STABLE_SECONDS="1",
               CHORUS_EDITOR__PORT=str(free_port()),
               PREFECT_WORKER_HEARTBEAT_SECONDS="5")  # a lost worker is noticed after 3 × 5 s
    return env


async def _flow_runs(api: str) -> list:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        from prefect.client.schemas.sorting import FlowRunSort

        return await client.read_flow_runs(limit=200, sort=FlowRunSort.EXPECTED_START_TIME_ASC)


async def _task_runs(api: str) -> list:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        from prefect.client.schemas.sorting import TaskRunSort

        return await client.read_task_runs(limit=200, sort=TaskRunSort.EXPECTED_START_TIME_DESC)


def _episodes(pg_url: str) -> list:
    from chorus.catalog import Catalog, Episode

    with Catalog(pg_url).session() as s:
        return s.execute(select(Episode.id, Episode.source_sha256, Episode.status, Episode.source_path)).all()


def _feed(seaweed, bucket: str):
    with urllib.request.urlopen(f"{seaweed.endpoint_url}/{bucket}/{SHOW}/feed.xml", timeout=30) as r:
        return feedparser.parse(r.read())


def _store(seaweed, bucket: str):
    from chorus.storage import Bucket

    key, secret = seaweed.credentials()
    return Bucket(bucket, seaweed.endpoint_url, access_key=key, secret_key=secret, region="us-east-1")


def _settled(pg_url: str, want: int, claimed: list[Path], timeout: float, machines: Machines,
             failed: int = 0) -> list:
    """Wait until ``want`` episodes are published (and ``failed`` failed) and every watcher has archived or
    quarantined its claimed recordings."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _episodes(pg_url)
        left = [p for c in claimed if c.is_dir() for p in c.iterdir()]
        states = sorted(r.status for r in rows)
        if states == ["failed"] * failed + ["published"] * want and not left:
            return rows
        for name, proc in machines.procs.items():
            assert proc.poll() is None, f"{name} stopped:\n{machines.logs()}"
        time.sleep(2)
    raise AssertionError(f"not settled in {timeout:.0f} s: {rows}\n{machines.logs()}")


def test_six_recordings_two_workers_two_watchers(tmp_path, synth, s3_env, seaweed, pg_url, own_prefect):
    bucket = "e2e-scale-six"
    seaweed.allow_public(f"{bucket}/{SHOW}")
    env = _env(tmp_path, s3_env, pg_url, own_prefect, bucket)
    machines = Machines(tmp_path, env)
    recordings = [synth(SHORT, gap=0.3 + 0.05 * n)[0] for n in range(6)]
    inbox_a, inbox_b = tmp_path / "inbox-a", tmp_path / "inbox-b"
    try:
        machines.start("watcher-a", "up", "--data-dir", str(tmp_path / "a"), "--inbox", str(inbox_a), "--no-example",
                       "--on-workers")
        _wait_for(tmp_path / "watcher-a.log", "watching", 300, list(machines.procs.values()))
        env_b = {**env, "CHORUS_EDITOR__PORT": str(int(env["CHORUS_EDITOR__PORT"]) + 1)}
        machines.env = env_b
        machines.start("watcher-b", "up", "--data-dir", str(tmp_path / "b"), "--inbox", str(inbox_b), "--no-example",
                       "--on-workers")
        machines.env = env
        for name in ("w1", "w2"):
            machines.start(name, "worker", "--name", name, "--work-dir", str(tmp_path / name), "--limit", "1")
        _wait_for(tmp_path / "watcher-b.log", "watching", 300, list(machines.procs.values()))
        for name in ("w1", "w2"):
            _wait_for(tmp_path / f"{name}.log", f"worker {name} on pool chorus", 120, list(machines.procs.values()))

        # all six at once; the first also into the second organiser's inbox, at the same moment
        for n, rec in enumerate(recordings):
            shutil.copyfile(rec, tmp_path / f"take-{n}.wav")
        for n in range(6):
            os.replace(tmp_path / f"take-{n}.wav", inbox_a / f"check-in-{n}.wav")
        shutil.copyfile(recordings[0], tmp_path / "same.wav")
        os.replace(tmp_path / "same.wav", inbox_b / "check-in-0.wav")
        # a recording whose sidecar is wrong: refused by the watcher, before it is staged
        (inbox_a / "broken.yaml").write_text("title: Broken\nepisode: many\n")
        shutil.copyfile(synth(SHORT, gap=0.7)[0], tmp_path / "broken.wav")
        os.replace(tmp_path / "broken.wav", inbox_a / "broken.wav")
        # a whole video file with no sound: staged, then refused by the worker that probes it
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2", "-c:v", "mpeg4",
                        str(tmp_path / "silent-film.mp4")], check=True, timeout=60)
        os.replace(tmp_path / "silent-film.mp4", inbox_a / "silent-film.mp4")

        store = _store(seaweed, bucket)
        deadline, staged = time.monotonic() + 120, []
        while not staged and time.monotonic() < deadline:
            staged = store.keys("private/staging/")
            time.sleep(0.5)
        assert staged, machines.logs()
        assert {_anonymous(store.url(k))[0] for k in staged} == {403}  # staged, never public

        rows = _settled(pg_url, 6, [tmp_path / "a" / "claimed", tmp_path / "b" / "claimed"], 900, machines, failed=1)
        runs = _run(_flow_runs(own_prefect))
    finally:
        machines.stop()

    # what cannot be published is quarantined on the organiser's machine, as on one machine, with its reason:
    # the bad sidecar by the watcher (no episode), the soundless video by a worker (a failed episode)
    failed = tmp_path / "a" / "failed"
    reason = (failed / "broken.wav.error.txt").read_text()
    assert reason.startswith("broken.yaml: episode") and "chorus retry" in reason, reason
    assert (failed / "broken.yaml").exists()  # the sidecar went with it, to be fixed
    (film,) = [r for r in rows if r.status == "failed"]
    assert film.source_path == str(failed / "silent-film.mp4"), film
    reason = (failed / "silent-film.mp4.error.txt").read_text()
    assert "no audio stream" in reason.splitlines()[0] and "chorus retry" in reason, reason
    for name in ("broken.wav", "silent-film.mp4"):
        assert f"failed {name}: " in machines.log("watcher-a"), machines.log("watcher-a")
    rows = [r for r in rows if r.status == "published"]

    # every recording published exactly once, in one episode each
    assert len(rows) == 6 and len({r.source_sha256 for r in rows}) == 6, rows
    published = [r for r in runs if _outcome(r) == "published"]
    assert len(published) == 6, [(r.name, r.state.type.value, _outcome(r)) for r in runs]
    by_worker = {r.labels.get("prefect.worker.name") for r in published}
    assert by_worker == {"w1", "w2"}, [(r.name, r.labels.get("prefect.worker.name")) for r in published]
    assert [r.name for r in runs if r.state.is_failed() or r.state.is_crashed()] == ["publish silent-film.mp4"], [
        (r.name, r.state.message) for r in runs]

    # the feed lists all six, once each (no lost update between the two workers' feed writes)
    feed = _feed(seaweed, bucket)
    assert len(feed.entries) == 6 and len({e.enclosures[0].href for e in feed.entries}) == 6

    # the originals are archived on the organisers' machines (the second one's copy as a duplicate),
    # the staged objects are gone, every version, and the workers keep nothing of the recordings
    assert sorted(p.name for p in (tmp_path / "a" / "archive").glob("*.wav")) == [f"check-in-{n}.wav" for n in range(6)]
    assert [p.name for p in (tmp_path / "b" / "archive").glob("*.wav")] == ["check-in-0.wav"]
    # both organisers are told where their drop went: the one episode both runs' idempotency key made
    (first,) = [r for r in rows if str(tmp_path / "a" / "archive" / "check-in-0.wav") == r.source_path
                or str(tmp_path / "b" / "archive" / "check-in-0.wav") == r.source_path]
    for watcher in ("watcher-a", "watcher-b"):
        assert f"published check-in-0.wav (episode {first.id})" in machines.log(watcher), machines.log(watcher)
    assert store.versions("private/staging/") == []
    for name in ("w1", "w2"):
        kept = [p for p in (tmp_path / name).rglob("*") if p.is_file() and p.suffix in (".wav", ".mp3", ".json")
                and "prefect" not in p.parts]
        assert kept == [], (name, kept)
    # each episode's catalog entry says where the original is: the organisers' archive
    assert all(str(tmp_path / "a" / "archive") in (r.source_path or "") or str(tmp_path / "b" / "archive") in
               (r.source_path or "") for r in rows), rows


def _outcome(run) -> str | None:
    """What a completed publish run did (its final state's message: published, duplicate, scheduled)."""
    return run.state.message if run.state is not None and run.state.is_completed() else None


def test_a_worker_killed_during_transcription_is_replaced(tmp_path, synth, s3_env, seaweed, pg_url, own_prefect):
    bucket = "e2e-scale-kill"
    seaweed.allow_public(f"{bucket}/{SHOW}")
    env = _env(tmp_path, s3_env, pg_url, own_prefect, bucket)
    machines = Machines(tmp_path, env)
    rec = synth("panel")[0]  # a longer recording: its transcription takes long enough to be interrupted
    inbox = tmp_path / "inbox"
    try:
        machines.start("watcher", "up", "--data-dir", str(tmp_path / "data"), "--inbox", str(inbox), "--no-example",
                       "--on-workers")
        for name in ("w1", "w2"):
            machines.start(name, "worker", "--name", name, "--work-dir", str(tmp_path / name), "--limit", "1")
        for name in ("watcher", "w1", "w2"):
            _wait_for(tmp_path / f"{name}.log", "watching" if name == "watcher" else "on pool chorus", 300,
                      list(machines.procs.values()))
        shutil.copyfile(rec, tmp_path / "take.wav")
        os.replace(tmp_path / "take.wav", inbox / "supervision-panel.wav")

        deadline, victim = time.monotonic() + 400, None
        while victim is None and time.monotonic() < deadline:
            running = [t for t in _run(_task_runs(own_prefect)) if t.name.startswith("transcribe")
                       and t.state is not None and t.state.is_running()]
            if running:
                (flow_run,) = [r for r in _run(_flow_runs(own_prefect)) if r.id == running[0].flow_run_id]
                victim = flow_run.labels.get("prefect.worker.name")
            time.sleep(0.5)
        assert victim in ("w1", "w2"), machines.logs()
        time.sleep(2)  # well inside the transcription
        os.killpg(machines.procs[victim].pid, signal.SIGKILL)  # the machine is gone: the worker and its run
        machines.procs[victim].wait(10)
        survivor = ({"w1", "w2"} - {victim}).pop()

        rows = _settled(pg_url, 1, [tmp_path / "data" / "claimed"], 600, _alive(machines, victim))
        runs = _run(_flow_runs(own_prefect))
    finally:
        machines.stop()

    publish = sorted((r for r in runs if r.name.startswith("publish")), key=lambda r: r.created)
    states = [(r.labels.get("prefect.worker.name"), r.state.type.value) for r in publish]
    assert states == [(victim, "CRASHED"), (survivor, "COMPLETED")], (states, [r.state.message for r in publish])
    assert "stopped answering" in publish[0].state.message
    assert _outcome(publish[1]) == "published"
    assert f"starting {publish[0].name} again" in machines.log("watcher")
    assert len(rows) == 1 and rows[0].status == "published"

    feed = _feed(seaweed, bucket)
    assert len(feed.entries) == 1
    # no object is half-written: each public object is whole (its stored SHA-256 is its content's)
    store = _store(seaweed, bucket)
    for key in store.keys(f"{SHOW}/"):
        body, _etag = store.get_bytes(key)
        head = store.head(key)
        assert head["length"] == len(body), key
        if head["sha256"]:
            assert head["sha256"] == hashlib.sha256(body).hexdigest(), key
    assert store.versions("private/staging/") == []


def _alive(machines: Machines, dead: str) -> Machines:
    """The machines still expected to run (the killed worker is not)."""
    alive = Machines(machines.tmp, machines.env)
    alive.procs = {n: p for n, p in machines.procs.items() if n != dead}
    return alive
