"""Scale-out on one machine: `chorus deploy`, two `chorus worker` processes with their own work
directories, a real Prefect server, a real SeaweedFS and one catalog shared by both (issue #14).

Two recordings submitted to the `publish-episode` deployment at once are each published exactly
once, by the two workers (their names are on the flow runs), and the feed lists both.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
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

pytestmark = pytest.mark.e2e

BUCKET = "e2e-workers"
SHORT = Path(__file__).parents[1] / "data" / "scripts" / "publish-short.json"


def _chorus(*args: str) -> list[str]:
    return [sys.executable, "-m", "chorus.cli", *args]


async def _submit_and_wait(api: str, sources: list[Path], timeout: float) -> list:
    """Start one publish-episode run per source (as `chorus up`'s watcher does), wait for all to finish."""
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        deployment = await client.read_deployment_by_name("publish-episode/publish-episode")
        runs = [await client.create_flow_run_from_deployment(deployment.id, parameters={"source": str(s)})
                for s in sources]
        deadline = time.monotonic() + timeout
        while True:
            runs = [await client.read_flow_run(r.id) for r in runs]
            if all(r.state is not None and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                return runs
            await asyncio.sleep(1)


async def _workers_online(api: str, names: set[str], timeout: float = 120) -> set[str]:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = {w.name for w in await client.read_workers_for_work_pool("chorus", limit=20, offset=0)}
            if names <= seen:
                return seen
            await asyncio.sleep(1)
    return seen


def _run(coro):
    """``asyncio.run`` in a thread of its own: an earlier test (Playwright's sync API) may leave an event loop
    running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_two_workers_publish_each_recording_once(tmp_path, synth, s3_env, seaweed, prefect_api):
    seaweed.allow_public(f"{BUCKET}/community-podcast")
    shared = tmp_path / "shared"  # submitted by path: workers on the watcher's machine (staging: test_scale.py)
    shared.mkdir()
    first = shutil.copyfile(synth(SHORT)[0], shared / "check-in-one.wav")
    second = shutil.copyfile(synth(SHORT, gap=0.6)[0], shared / "check-in-two.wav")
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    env = {**os.environ, **s3_env, "CHORUS_PUBLISH__BUCKET": BUCKET, "PREFECT_API_URL": prefect_api,
           "CHORUS_CATALOG_URL": catalog, "CHORUS_DATA_DIR": str(tmp_path / "server"),
           "CHORUS_SHOW__REVIEW": "after"}  # published at once, whatever the privacy flags say
    run = dict(env=env, cwd=tmp_path, capture_output=True, text=True)

    deployed = subprocess.run(_chorus("deploy"), timeout=300, **run)
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "publish-episode/publish-episode" in deployed.stderr and "work pool chorus" in deployed.stderr

    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("w1", "w2")}
    workers = [subprocess.Popen(_chorus("worker", "--name", name, "--work-dir", str(tmp_path / name), "--limit", "1"),
                                env=env, cwd=tmp_path, stdout=log,
                                stderr=subprocess.STDOUT) for name, log in logs.items()]
    try:
        online = _run(_workers_online(prefect_api, {"w1", "w2"}))
        assert {"w1", "w2"} <= online, [(tmp_path / f"{n}.log").read_text()[-2000:] for n in logs]
        runs = _run(_submit_and_wait(prefect_api, [first, second], timeout=420))
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs.values():
            log.close()
    worker_logs = {n: (tmp_path / f"{n}.log").read_text() for n in logs}
    assert [r.state.type.value for r in runs] == ["COMPLETED", "COMPLETED"], (
        [r.state.message for r in runs], {n: t[-3000:] for n, t in worker_logs.items()})

    # each flow run names the worker that ran it; each worker ran one (limit 1 each, both runs at once)
    ran_by = {r.labels.get("prefect.worker.name") for r in runs}
    assert ran_by == {"w1", "w2"}, [dict(r.labels) for r in runs]
    for name in ("w1", "w2"):
        assert "Traceback" not in worker_logs[name], worker_logs[name][-3000:]
        # each worker worked in its own directory: the recording it published is archived there
        archived = [p.name for p in (tmp_path / name / "archive").rglob("*.wav")]
        assert len(archived) == 1, (name, archived)

    # published exactly once each, in the one shared catalog
    from chorus.catalog import Catalog, Episode

    with Catalog(catalog).session() as sess:
        episodes = sess.execute(select(Episode.source_sha256, Episode.status)).all()
    assert sorted(status for _sha, status in episodes) == ["published", "published"], episodes
    assert len({sha for sha, _status in episodes}) == 2

    # the feed (read anonymously, as a podcast app does) lists both, once each
    with urllib.request.urlopen(f"{seaweed.endpoint_url}/{BUCKET}/community-podcast/feed.xml", timeout=30) as r:
        feed = feedparser.parse(r.read())
    enclosures = [e.enclosures[0].href for e in feed.entries]
    assert len(feed.entries) == 2 and len(set(enclosures)) == 2, [e.title for e in feed.entries]


def _wait_for(path: Path, text: str, timeout: float, procs: list) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = path.read_text() if path.exists() else ""
        if text in got:
            return got
        for proc in procs:
            assert proc.poll() is None, got[-3000:]
        time.sleep(1)
    raise AssertionError(f"no {text!r} within {timeout:.0f} s:\n{got[-3000:]}")


def test_up_on_workers_with_prefect_on_postgresql(tmp_path, synth, s3_env, seaweed, postgres):
    """The operator's story on one machine: `chorus up --on-workers --prefect-database postgresql+asyncpg://…`,
    one `chorus worker` beside it, a recording dropped in the inbox: the worker publishes it, and the flow run
    (in the Prefect database on PostgreSQL) names it."""
    import psycopg

    from chorus.services import free_port

    bucket = "e2e-up-workers"
    seaweed.allow_public(f"{bucket}/community-podcast")
    prefect_db = postgres.database("prefect").replace("postgresql+psycopg://", "postgresql+asyncpg://")
    data, inbox = tmp_path / "data", tmp_path / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "CHORUS_"))}
    env.update(s3_env, CHORUS_PUBLISH__BUCKET=bucket, CHORUS_INBOX__POLL_SECONDS="1", CHORUS_SHOW__REVIEW="after",
               CHORUS_EMBEDDED__PREFECT_PORT=str(free_port()), CHORUS_EDITOR__PORT=str(free_port()))
    up_log, worker_log = tmp_path / "up.log", tmp_path / "worker.log"
    with open(up_log, "w") as out:
        up = subprocess.Popen(_chorus("up", "--data-dir", str(data), "--inbox", str(inbox), "--no-example",
                                      "--on-workers", "--prefect-database", prefect_db),
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
    worker = None
    try:
        text = _wait_for(up_log, "watching", 300, [up])
        assert f"its database {prefect_db}" in text and "flow runs go to the workers on work pool chorus" in text
        with open(worker_log, "w") as out:
            worker = subprocess.Popen(_chorus("worker", "--data-dir", str(data), "--name", "organiser-laptop"),
                                      env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(worker_log, "worker organiser-laptop on pool chorus", 120, [worker])
        shutil.copyfile(synth(SHORT)[0], inbox / "check-in.wav")
        _wait_for(up_log, "published check-in.wav", 400, [up, worker])
        # the run goes on after the episode is published (purge, checks, its artifact): let it end first
        deadline = time.monotonic() + 180
        with psycopg.connect(prefect_db.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True) as conn:
            while time.monotonic() < deadline and conn.execute(
                    "SELECT count(*) FROM flow_run WHERE state_type NOT IN ('COMPLETED', 'FAILED', 'CRASHED', "
                    "'CANCELLED')").fetchone()[0]:
                time.sleep(1)
        while time.monotonic() < deadline and not list((data / "archive").rglob("*.wav")):
            time.sleep(1)  # the reconciler archives the original once the catalog says it is done
        assert worker.poll() is None
        worker.send_signal(signal.SIGINT)  # Ctrl+C: the worker leaves, in one line
        assert worker.wait(60) == 0
        assert worker_log.read_text().rstrip().endswith("worker organiser-laptop stopped"), worker_log.read_text()
    finally:
        for proc in (worker, up):
            if proc is not None:
                proc.terminate()
        for proc in (worker, up):
            if proc is not None:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()

    # the Prefect server kept everything in PostgreSQL, not in the data directory's SQLite
    assert not (data / "prefect" / "prefect.db").exists()
    with psycopg.connect(prefect_db.replace("postgresql+asyncpg://", "postgresql://")) as conn:
        pools = conn.execute("SELECT name, type FROM work_pool WHERE name = 'chorus'").fetchall()
        runs = conn.execute("SELECT f.name, r.state_type, r.labels->>'prefect.worker.name' FROM flow_run r "
                            "JOIN flow f ON f.id = r.flow_id").fetchall()
    assert pools == [("chorus", "process")]
    assert runs == [("publish-episode", "COMPLETED", "organiser-laptop")]
    # the worker fetched the staged recording into its own default work directory and kept nothing of it;
    # the original is archived on the organisers' machine, and the staged copy is gone from the bucket
    assert not [p for p in (data / "workers" / "organiser-laptop").rglob("*.wav")]
    assert [p.name for p in (data / "archive").rglob("*.wav")] == ["check-in.wav"]
    from tests.e2e.test_scale import _store

    assert _store(seaweed, bucket).versions("private/staging/") == []
