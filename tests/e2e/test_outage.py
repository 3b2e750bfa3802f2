"""An S3 outage during publishing, with real processes: a dedicated SeaweedFS (``weed mini``), a real
Prefect server and ``chorus run --json`` in a subprocess.

- a store that refuses the credentials (403) fails the run within a minute with one line that says
  so, and the recording is kept;
- a store error while an object goes up is a one-line Chorus error, never boto3's own exception;
- the store is stopped while an episode is being published and started again 20 s later on the same
  port and data: the run retries, publishes, never quarantines, and a poller that fetches the live
  feed and every URL it references (and every URL those pages reference) every 0.5 s never sees the
  feed point at a missing object.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import podcastparser
import pytest

from chorus.errors import ChorusError
from chorus.services import SeaweedFS, free_port
from chorus.storage import Bucket, StoreUnavailable
from tests.e2e.conftest import results

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 20.0
RUN_TIMEOUT = 900  # a loaded 2-core machine: transcription and a Prefect flow, plus minutes of retries


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """This module's own SeaweedFS (stopped and started by the outage test), always stopped at the end."""
    # anonymous reads scoped as chorus.runtime scopes them: the show folders only, never the private prefix
    s3 = SeaweedFS(tmp_path_factory.mktemp("outage-s3"), s3_port=free_port(), public_prefixes=[
        f"{b}/community-podcast" for b in ("e2e-outage", "e2e-outage-rendering", "e2e-outage-releasing",
                                           "e2e-outage-keys")])
    try:
        s3.start(timeout=120)
        yield s3
    finally:
        s3.stop()  # SIGTERM to its process group, then SIGKILL after a timeout


def _env(store: SeaweedFS, data: Path, api: str, bucket: str = "e2e-outage", **extra: str) -> dict[str, str]:
    key, secret = store.credentials()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CHORUS_"))}
    env.update(CHORUS_PUBLISH__ENDPOINT_URL=store.endpoint_url, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_REGION="us-east-1", CHORUS_PUBLISH__BUCKET=bucket, CHORUS_DATA_DIR=str(data),
               PREFECT_API_URL=api, CHORUS_PROCESSING__STORE_RETRY_MINUTES="3",
               CHORUS_SHOW__REVIEW="after")  # about outages: published at once (review: tests/e2e/test_privacy.py)
    env.update(extra)
    return env


def _chorus(*args: str, env: dict, cwd: Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chorus.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


def _statuses(db: Path) -> dict[int, str]:
    """Episode id -> status, read straight from the catalog (read-only; a busy database reads as empty)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as con:
            return dict(con.execute("select id, status from episodes"))
    except sqlite3.Error:
        return {}


def _http_status(url: str, method: str = "HEAD") -> tuple[int | None, bytes]:
    """(HTTP status, body) of a request; status None when the store cannot be reached at all."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
            return r.status, (r.read() if method == "GET" else b"")
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:
        return None, b""


class _Poller(threading.Thread):
    """Fetches the live feed, every URL in the bucket it references and, for pages, every URL in the
    bucket they reference, every 0.5 s. A *broken moment* is a poll whose feed answered 200 while a
    URL it references answered 404 (an unreachable store is an outage, not a broken reference)."""

    def __init__(self, feed_url: str, base: str):
        super().__init__(daemon=True)
        self.feed_url, self.base = feed_url, base
        self.done = threading.Event()
        self.polls = self.complete = 0
        self.feed_answers: Counter = Counter()
        self.object_answers: Counter = Counter()
        self.broken: list[tuple[float, str, str]] = []

    def _refs(self, body: bytes) -> set[str]:
        found = re.findall(r"https?://[^\s\"'<>]+", body.decode("utf-8", "replace"))
        return {u.replace("&amp;", "&") for u in found if u.startswith(self.base + "/")} - {self.feed_url}

    def poll(self) -> None:
        self.polls += 1
        status, feed = _http_status(self.feed_url, "GET")
        self.feed_answers[status] += 1
        if status != 200:
            return
        seen: set[str] = set()
        todo = sorted(self._refs(feed))
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            page = url.endswith((".html", "/"))
            answer, body = _http_status(url, "GET" if page else "HEAD")
            self.object_answers[answer] += 1
            if answer == 404:
                self.broken.append((time.time(), url, f"feed 200, {url} 404"))
            elif page and answer == 200:
                todo += sorted(self._refs(body) - seen)
        self.complete += 1

    def run(self) -> None:
        while not self.done.is_set():
            started = time.monotonic()
            self.poll()
            self.done.wait(max(0.0, 0.5 - (time.monotonic() - started)))

    def stop(self) -> None:
        self.done.set()
        self.join(60)


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def test_a_refused_credential_fails_fast_with_one_line_and_keeps_the_recording(store, synth, prefect_api,
                                                                                tmp_path):
    wav = _copy(synth("publish-short")[0], tmp_path / "refused.wav")
    before = wav.read_bytes()
    env = _env(store, tmp_path / "data", prefect_api, AWS_SECRET_ACCESS_KEY="not-the-secret")
    started = time.monotonic()
    proc = _chorus("run", "--json", str(wav), env=env, cwd=tmp_path, timeout=180)
    took = time.monotonic() - started
    assert proc.returncode != 0
    assert took < 60, f"a 403 was waited on for {took:.0f} s"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("chorus:")]
    assert len(lines) == 1 and "credentials" in lines[0], proc.stderr[-3000:]
    assert wav.read_bytes() == before, "the recording named on the command line is untouched"
    failed = tmp_path / "data" / "failed"
    assert not failed.exists() or not any(failed.iterdir()), "a refused credential is not a bad recording"


def test_a_store_error_during_an_upload_is_a_chorus_error(store, tmp_path):
    """boto3's ``upload_file`` wraps the store's answer in its own ``S3UploadFailedError``; Chorus must
    still classify it, or an upload a briefly unhealthy store refuses (5xx) is never retried and a
    refused one ends in a traceback. Here the store refuses a key longer than S3 allows (its HEAD
    answers 404, so the PUT is tried)."""
    key, secret = store.credentials()
    bucket = Bucket("e2e-outage-keys", store.endpoint_url, access_key=key, secret_key=secret, region="us-east-1")
    bucket.ensure()
    f = tmp_path / "x.mp3"
    f.write_bytes(b"ID3" + bytes(100))
    with pytest.raises(ChorusError) as caught:
        bucket.put_file("show/" + "k" * 1100 + ".mp3", f)
    assert "KeyTooLong" in str(caught.value) and "\n" not in str(caught.value)
    assert not isinstance(caught.value, StoreUnavailable), "a refused key is not an outage"


def _task_attempts(api: str, flow_run_name: str) -> dict[str, int]:
    """Task name -> the most attempts (run_count) any of its task runs took, in that flow run."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort

    with SyncPrefectClient(api) as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[flow_run_name])),
                                       limit=10, sort=FlowRunSort.START_TIME_DESC)
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
                                      limit=200, sort=TaskRunSort.EXPECTED_START_TIME_ASC)
    attempts: dict[str, int] = {}
    for t in tasks:
        name = t.name.rsplit("-", 1)[0]
        attempts[name] = max(attempts.get(name, 0), t.run_count)
    return attempts


@pytest.mark.parametrize("stop_at", ["rendering", "releasing"])
def test_an_outage_during_publishing_is_retried_and_never_breaks_the_live_feed(store, synth, prefect_api,
                                                                               tmp_path, stop_at):
    """``rendering``: the store goes down as the objects go up; ``releasing``: as the pages and the
    feed are written."""
    first = _copy(synth("publish-short")[0], tmp_path / f"outage-first-{stop_at}.wav")
    second = _copy(synth("publish-short", gap=0.5)[0], tmp_path / f"outage-second-{stop_at}.wav")
    data = tmp_path / "data"
    bucket = f"e2e-outage-{stop_at}"
    env = _env(store, data, prefect_api, bucket)
    proc = _chorus("run", "--json", str(first), env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (one,) = results(proc)
    assert one["status"] == "published", one
    feed_url = one["feed_url"]

    poller = _Poller(feed_url, f"{store.endpoint_url}/{bucket}")
    poller.start()
    log = tmp_path / "second.stderr"
    figures: dict[str, float] = {}
    with open(log, "w") as err:
        run = subprocess.Popen([sys.executable, "-m", "chorus.cli", "run", "--json", str(second)],
                               stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=tmp_path)
    try:
        started = time.monotonic()
        trigger = None
        while trigger is None and time.monotonic() - started < RUN_TIMEOUT:
            publishing = {i: s for i, s in _statuses(data / "catalog.db").items()
                          if i != one["episode_id"] and s == stop_at}
            if publishing:
                trigger = publishing
            elif run.poll() is not None:
                pytest.fail(f"the run ended before {stop_at} was seen: {open(log).read()[-3000:]}")
            else:
                time.sleep(0.05)
        assert trigger, f"the second episode never reached {stop_at}"
        t_trigger = time.monotonic()
        store.stop()
        t_down = time.monotonic()
        time.sleep(max(0.0, OUTAGE_SECONDS - (t_down - t_trigger)))
        store.start(timeout=180)  # the same port and the same data directory
        t_up = time.monotonic()
        out, _ = run.communicate(timeout=RUN_TIMEOUT)
        t_end = time.monotonic()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(30)
        time.sleep(2)  # a few polls of the feed after the run
        poller.stop()
        if store.proc is None:  # failed during the outage: the module's other tests need the store
            store.start(timeout=180)
    figures = {"status at stop": str(trigger), "stop took": round(t_down - t_trigger, 1),
               "down for": round(t_up - t_trigger, 1), "published after restart": round(t_end - t_up, 1),
               "trigger to published": round(t_end - t_trigger, 1), "polls": poller.polls,
               "complete polls": poller.complete, "feed answers": dict(poller.feed_answers),
               "object answers": dict(poller.object_answers), "broken moments": len(poller.broken)}
    attempts = _task_attempts(prefect_api, f"publish {second.name}")
    figures["attempts"] = attempts
    print("outage figures:", json.dumps(figures))
    stderr = log.read_text()
    assert run.returncode == 0, stderr[-3000:]
    (two,) = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert two["status"] == "published", two
    assert not poller.broken, poller.broken[:5]
    assert poller.complete > 10 and poller.feed_answers[None] > 0, figures  # it polled, through the outage too
    assert t_end > t_up, "published only once the store was back"
    assert max(attempts.get("publish-objects", 0), attempts.get("feed", 0)) > 1, attempts
    failed = data / "failed"
    assert not failed.exists() or not any(failed.iterdir()), "an outage never quarantines a recording"
    assert (data / "archive" / second.name).exists()

    status, body = _http_status(feed_url, "GET")
    assert status == 200
    episodes = podcastparser.parse(feed_url, io.BytesIO(body))["episodes"]
    assert sorted(e["enclosures"][0]["url"] for e in episodes) == sorted([one["audio_url"], two["audio_url"]])
    assert len({e["guid"] for e in episodes}) == 2
