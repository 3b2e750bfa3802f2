"""`chorus up` as organisers meet it: real processes, the embedded SeaweedFS and Prefect server, the
three deployments served by Prefect's runner, and a drop folder where nothing is lost.

- a newcomer's first start publishes the bundled sample through the ``publish-episode`` deployment,
  and Ctrl+C stops everything it started;
- the torture drop: twenty items at once (good recordings in several formats, an exact duplicate,
  a slow copy, a copy that stalls longer than the stability window, a ``.part`` renamed at the end,
  zero bytes, text named ``.wav``, a truncated mp3, a malformed sidecar, a sidecar with a wrong
  field type, a hidden file, a multitrack folder with a YAML sidecar, a scheduled episode);
- ``chorus run`` beside a running ``chorus up`` uses its Prefect server;
- SIGKILL of ``chorus up`` in the middle of an episode, then a restart: the episode completes once,
  its transcription is not run again, and nothing the killed process started keeps running.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import podcastparser
import pytest

from chorus.services import free_port

pytestmark = pytest.mark.e2e
SHORT = Path(__file__).parents[1] / "data" / "scripts" / "publish-short.json"


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers, r.read()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _feed_episodes(url: str) -> list[dict]:
    try:
        _, body = _fetch(url)
    except OSError:
        return []
    return podcastparser.parse(url, io.BytesIO(body))["episodes"]


@dataclass
class Up:
    """One `chorus up` process, started as a user starts it (its own process group, like a terminal)."""

    root: Path
    s3_port: int
    prefect_port: int
    proc: subprocess.Popen | None = None
    feed_url: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def log(self) -> Path:
        return self.root / "up.stderr"

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PREFECT_API", "CHORUS_"))}
        env.update(CHORUS_EMBEDDED__S3_PORT=str(self.s3_port), CHORUS_EMBEDDED__PREFECT_PORT=str(self.prefect_port),
                   CHORUS_INBOX__POLL_SECONDS="1", **extra)
        return env

    def start(self, *args: str, **extra) -> "Up":
        with open(self.log, "a") as err:  # a file, not a pipe: an unread pipe that fills up would block chorus
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chorus.cli", "up", "--data-dir", str(self.data), "--inbox", str(self.inbox),
                 *args], stdout=subprocess.PIPE, stderr=err, text=True, env=self.env(**extra), cwd=self.root,
                start_new_session=True)
        self.feed_url = self.proc.stdout.readline().strip()  # the first line is the public feed URL
        return self

    def alive(self) -> None:
        assert self.proc.poll() is None, self.log.read_text()[-3000:]

    def interrupt(self, timeout: float = 90) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            pytest.fail(f"chorus up did not stop within {timeout} s of Ctrl+C:\n{self.log.read_text()[-3000:]}")

    def catalog_rows(self) -> list[dict]:
        proc = subprocess.run([sys.executable, "-m", "chorus.cli", "status", "--json", "--data-dir", str(self.data)],
                              capture_output=True, text=True, env=self.env(), cwd=self.root, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def flow_runs(self) -> list:
        from prefect.client.orchestration import SyncPrefectClient
        from prefect.client.schemas.sorting import FlowRunSort

        with SyncPrefectClient(f"http://127.0.0.1:{self.prefect_port}/api") as client:
            return client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC)


def _new_up(tmp_path) -> Up:
    return Up(tmp_path, free_port(), free_port())


def test_up_publishes_the_sample_through_its_deployment_and_stops_cleanly(tmp_path):
    up = _new_up(tmp_path).start()
    try:
        assert re.fullmatch(rf"http://127\.0\.0\.1:{up.s3_port}/podcasts/community-podcast/feed\.xml", up.feed_url)
        deadline, episodes = time.monotonic() + 600, []
        while time.monotonic() < deadline and not episodes:
            up.alive()
            episodes = _feed_episodes(up.feed_url) or time.sleep(2) or []
        assert episodes, "the sample episode never appeared in the feed"
        assert episodes[0]["title"] == "Finding your people in private practice"  # from the sample's sidecar
        headers, body = _fetch(up.feed_url)
        vtt = re.search(rb'<podcast:transcript url="([^"]+)" type="text/vtt"', body)
        headers, captions = _fetch(vtt.group(1).decode())
        assert headers["Content-Type"].startswith("text/vtt") and captions.startswith(b"WEBVTT")
        enc = episodes[0]["enclosures"][0]
        headers, audio = _fetch(enc["url"])
        assert len(audio) == enc["file_size"] and headers["Content-Type"] == "audio/mpeg"
        assert (up.data / "prefect").is_dir()  # Prefect's home is inside the data dir
        # the feed is written before the run's last step (archiving, its artifact): wait for the run to end
        deadline = time.monotonic() + 120
        while True:
            runs = [r for r in up.flow_runs() if r.name == "publish finding-your-people.mp3"]
            if time.monotonic() > deadline or (runs and runs[0].state.is_final()):
                break
            time.sleep(1)
        assert len(runs) == 1 and runs[0].deployment_id is not None and runs[0].state.is_completed(), runs
        assert not any(up.inbox.iterdir()), "the sample left the inbox: claimed, then archived"
        assert (up.data / "archive" / "finding-your-people.mp3").is_file()
    finally:
        code = up.interrupt()
    assert code == 0
    time.sleep(1)
    assert not _port_open(up.s3_port), "SeaweedFS still listening after Ctrl+C"
    assert not _port_open(up.prefect_port), "Prefect server still listening after Ctrl+C"


# -- the torture drop --------------------------------------------------------------------------------

def _mp3(wav: Path, out: Path, seconds: float | None = None) -> Path:
    cut = ["-t", str(seconds)] if seconds else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *cut, "-ac", "1", "-b:a", "64k", str(out)],
                   check=True)
    return out


def _m4a(wav: Path, out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "64k", str(out)], check=True)
    return out


def _slow_copy(src: Path, dst: Path, seconds: float, chunks: int) -> None:
    data = src.read_bytes()
    step = len(data) // chunks + 1
    with open(dst, "wb") as f:
        for i in range(0, len(data), step):
            f.write(data[i:i + step])
            f.flush()
            time.sleep(seconds / chunks)


def _stalled_copy(src: Path, dst: Path, pause: float) -> None:
    """Half the bytes, a pause longer than the stability window (the file is closed meanwhile, as a
    sync client that lost its connection leaves it), then the rest."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    time.sleep(pause)
    with open(dst, "ab") as f:
        f.write(data[len(data) // 2:])


@pytest.fixture(scope="module")
def torture(synth, tmp_path_factory):
    """Twenty items dropped at once into a running `chorus up`; returns what the test needs to check."""
    root = tmp_path_factory.mktemp("torture")
    up = Up(root, free_port(), free_port())
    up.inbox.mkdir(parents=True)
    # about the drop folder: published at once (holding for review is tests/e2e/test_privacy_up.py)
    up.start("--no-example", CHORUS_INBOX__STABLE_SECONDS="3", CHORUS_INBOX__MAX_WAIT_SECONDS="25",
             CHORUS_SHOW__REVIEW="after")
    src = root / "src"
    src.mkdir()
    clips = {gap: synth(SHORT, gap=gap)[0] for gap in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)}
    wav = lambda gap: clips[gap]  # noqa: E731 - distinct recordings (distinct hashes) from one short script
    inbox = up.inbox
    good = {  # file in the inbox -> the title its feed item must have
        "alpha.wav": "Alpha", "beta.mp3": "Beta", "gamma.m4a": "Gamma", "slow.wav": "Slow", "stalled.wav": "Stalled",
        "renamed.mp3": "Renamed", "zoom": "Zoom call", "later.wav": "Later"}
    shutil.copyfile(wav(0.3), inbox / "alpha.wav")
    _mp3(wav(0.4), inbox / "beta.mp3")
    _m4a(wav(0.5), inbox / "gamma.m4a")
    _mp3(wav(0.6), root / "renamed.mp3")
    shutil.copyfile(root / "renamed.mp3", inbox / "renamed.mp3.part")
    (inbox / "zoom").mkdir()
    shutil.copyfile(wav(0.7), inbox / "zoom" / "zoom.Host.wav")
    shutil.copyfile(wav(0.8), inbox / "zoom" / "zoom.Guest.wav")
    (inbox / "zoom.yaml").write_text("title: Zoom call\nhosts: [Ann Lee]\nguests:\n  - name: Bo Chen\n")
    from chorus.catalog import utcnow

    publish_at = utcnow() + timedelta(seconds=300)  # the drop takes 2-3 min on 2 busy cores
    shutil.copyfile(wav(0.9), inbox / "later.wav")
    (inbox / "later.yaml").write_text(f"title: Later\npublish_at: '{publish_at.isoformat()}'\n")
    for name, title in good.items():
        if name.endswith((".wav", ".mp3", ".m4a")) and name not in ("later.wav",):
            (inbox / Path(name).with_suffix(".yaml")).write_text(f"title: {title}\n")
    (inbox / "zero.mp3").write_bytes(b"")
    (inbox / "text.wav").write_text("this is a text file, not a recording\n" * 40)
    _mp3(wav(1.0), root / "full.mp3")
    (inbox / "truncated.mp3").write_bytes((root / "full.mp3").read_bytes()[:700])
    shutil.copyfile(wav(0.4), inbox / "badyaml.wav")
    (inbox / "badyaml.yaml").write_text("title: [unclosed\n")
    shutil.copyfile(wav(0.5), inbox / "badtype.wav")
    (inbox / "badtype.yaml").write_text("title: Bad type\nguests: 3\n")
    (inbox / ".hidden.wav").write_bytes(wav(0.6).read_bytes())
    (inbox / "notes.txt").write_text("an organiser's note, not a recording")
    # the slow writers: a steady copy over 15 s, and one that stalls for longer than the window
    slow_src = root / "slow-src.wav"
    stalled_src = root / "stalled-src.wav"
    _concat(wav(1.0), wav(0.3), slow_src)
    _concat(wav(0.9), wav(0.4), stalled_src)
    writers = [threading.Thread(target=_slow_copy, args=(slow_src, inbox / "slow.wav", 15, 30)),
               threading.Thread(target=_stalled_copy, args=(stalled_src, inbox / "stalled.wav", 8))]
    (inbox / "slow.yaml").write_text("title: Slow\n")
    (inbox / "stalled.yaml").write_text("title: Stalled\n")
    for w in writers:
        w.start()
    time.sleep(2)
    while not (up.data / "claimed").exists() or (inbox / "alpha.wav").exists():
        time.sleep(0.5)
    shutil.copyfile(wav(0.3), inbox / "alpha-copy.wav")  # an exact duplicate under another name, dropped later
    (inbox / "renamed.yaml").write_text("title: Renamed\n")
    (inbox / "renamed.mp3.part").rename(inbox / "renamed.mp3")  # the browser finished the download
    for w in writers:
        w.join()
    deadline = time.monotonic() + 900
    final = ("published", "scheduled", "failed")
    while time.monotonic() < deadline:
        up.alive()
        rows = up.catalog_rows()
        failed_files = {p.name for p in (up.data / "failed").glob("*.error.txt")} if (up.data / "failed").exists() else set()
        done = [r for r in rows if r["status"] in final]
        if len(done) >= 8 and {"zero.mp3.error.txt", "text.wav.error.txt", "truncated.mp3.error.txt",
                                "badyaml.wav.error.txt", "badtype.wav.error.txt"} <= failed_files:
            break
        time.sleep(3)
    yield {"up": up, "good": good, "rows": up.catalog_rows(), "publish_at": publish_at, "root": root,
           "sources": {"slow.wav": slow_src, "stalled.wav": stalled_src}}
    up.interrupt()


def _concat(a: Path, b: Path, out: Path) -> None:
    subprocess.run(["sox", a, b, out], check=True)


def test_every_valid_recording_is_published_exactly_once(torture):
    up, rows = torture["up"], torture["rows"]
    by_title = {}
    for r in rows:
        by_title.setdefault(r["title"], []).append(r)
    for name, title in torture["good"].items():
        assert len(by_title.get(title, [])) == 1, (name, [r["title"] for r in rows], up.log.read_text()[-3000:])
        assert by_title[title][0]["status"] in ("published", "scheduled"), by_title[title]
    feed = [e["title"] for e in _feed_episodes(up.feed_url)]
    assert sorted(feed) == sorted(t for t in torture["good"].values() if t != "Later"), feed
    assert len(feed) == len(set(feed))


def test_slow_and_stalled_copies_are_published_whole(torture):
    from chorus.storage import sha256_file
    from media import probe

    up = torture["up"]
    for name, source in torture["sources"].items():
        archived = up.data / "archive" / name
        assert archived.is_file(), name
        assert sha256_file(archived) == sha256_file(source), f"{name} was claimed before its copy finished"
        row = next(r for r in torture["rows"] if r["source"] == name)
        assert row["duration"] >= 0.9 * probe(source).duration, (row, probe(source).duration)


@pytest.mark.parametrize("name,reason", [
    ("zero.mp3", "empty"), ("text.wav", "cannot read"), ("truncated.mp3", "never completed"),
    ("badyaml.wav", "badyaml.yaml"), ("badtype.wav", "guests")])
def test_every_invalid_input_is_quarantined_with_its_reason(torture, name, reason):
    failed = torture["up"].data / "failed"
    assert (failed / name).exists()
    note = (failed / f"{name}.error.txt").read_text()
    assert reason in note.lower() or reason in note, note
    if name.startswith("bad"):
        assert (failed / f"{Path(name).stem}.yaml").exists(), "the sidecar travels with its recording"


def test_nothing_is_lost_and_the_inbox_shows_what_waits(torture):
    up = torture["up"]
    left = sorted(p.name for p in up.inbox.iterdir())
    assert left == [".hidden.wav", "notes.txt"], left  # hidden files and non-recordings are never touched
    kept = {p.name for p in up.data.rglob("*") if p.is_file()}
    for name in ("alpha.wav", "alpha-copy.wav", "beta.mp3", "gamma.m4a", "renamed.mp3", "slow.wav", "stalled.wav",
                 "later.wav", "zoom.Host.wav", "zoom.Guest.wav", "zoom.yaml", "zero.mp3", "text.wav",
                 "truncated.mp3", "badyaml.wav", "badtype.wav"):
        assert name in kept, f"{name} is nowhere under the data directory"
    assert (up.data / "archive" / "alpha-copy.wav").is_file(), "the duplicate is kept, beside its original"
    assert not list((up.data / "claimed").iterdir()), "claimed/ is empty once everything is done"


def test_every_run_shows_in_prefect_named_after_its_recording(torture):
    names = {r.name for r in torture["up"].flow_runs()}
    for name in torture["good"]:
        assert f"publish {name}" in names, names


def test_every_published_episode_leaves_an_artifact_with_its_figures(torture):
    up = torture["up"]
    # Prefect's REST API as its UI calls it (its Python client sends null filters, which this server refuses,
    # and an empty task-run filter would leave out artifacts made by a flow rather than a task)
    req = urllib.request.Request(f"http://127.0.0.1:{up.prefect_port}/api/artifacts/filter", method="POST",
                                 data=json.dumps({"limit": 200, "offset": 0, "sort": "KEY_ASC"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        artifacts = {a["key"]: a["data"] for a in json.loads(r.read())}
    for row in torture["rows"]:
        if row["status"] in ("published", "scheduled"):
            md = artifacts[f"episode-{row['id']}"]
            assert row["title"] in md and "LUFS" in md and "words" in md and "chapters" in md, md
            assert "speech with words" in md and row["coverage"] is not None and row["coverage"] >= 0.95, row
            header, _, values = [[c.strip() for c in line.split("|")] for line in md.strip().splitlines()[-3:]]
            assert dict(zip(header, values))["caption problems"] == "0", md  # every caption keeps the rules
            assert "/feed.xml" in md


def test_the_multitrack_folder_keeps_its_sidecar_people(torture):
    up = torture["up"]
    ep = next(e for e in _feed_episodes(up.feed_url) if e["title"] == "Zoom call")
    assert ep["enclosures"][0]["mime_type"] == "audio/mpeg"
    _, body = _fetch(up.feed_url)
    assert b"Ann Lee" in body and b"Bo Chen" in body


def test_the_scheduled_episode_appears_at_its_time_and_not_before(torture):
    up, when = torture["up"], torture["publish_at"]
    from chorus.catalog import utcnow

    assert utcnow() < when, "the drop took longer than the schedule: raise publish_at in the fixture"
    assert "Later" not in [e["title"] for e in _feed_episodes(up.feed_url)]
    row = next(r for r in up.catalog_rows() if r["title"] == "Later")
    assert row["status"] == "scheduled"
    deadline = (when - utcnow()).total_seconds() + 60
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline:
        up.alive()
        titles = [e["title"] for e in _feed_episodes(up.feed_url)]
        if "Later" in titles:
            break
        time.sleep(1)
    assert "Later" in titles, up.log.read_text()[-2000:]
    assert utcnow() >= when, "released before its time"
    assert next(r for r in up.catalog_rows() if r["title"] == "Later")["status"] == "published"


def test_chorus_run_beside_chorus_up_uses_its_prefect_server(torture, synth):
    up = torture["up"]
    wav, _ = synth(SHORT, gap=1.1)
    rec = torture["root"] / "beside.wav"
    shutil.copyfile(wav, rec)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "run", "--json", "--data-dir", str(up.data), str(rec)],
                          capture_output=True, text=True, env=up.env(), cwd=up.root, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (out,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert out["status"] == "published"
    assert "publish beside.wav" in {r.name for r in up.flow_runs()}, "the run is on chorus up's server"
    assert time.monotonic() - t0 < 300
    assert rec.exists(), "a file named on the command line stays where it is"


# -- SIGKILL and restart -----------------------------------------------------------------------------

def test_sigkill_of_chorus_up_then_restart_completes_the_episode_once(synth, tmp_path):
    up = _new_up(tmp_path)
    up.inbox.mkdir(parents=True)
    wav, _ = synth("panel")
    shutil.copyfile(wav, up.inbox / "killed.wav")
    (up.inbox / "killed.yaml").write_text("title: Survives a crash\n")
    up.start("--no-example", CHORUS_INBOX__STABLE_SECONDS="1", CHORUS_SHOW__REVIEW="after")
    deadline = time.monotonic() + 600
    cache = None
    while time.monotonic() < deadline:   # wait until the transcription has finished, then kill in the next step
        up.alive()
        found = list((up.data / "work").glob("*/.steps/transcribe.pickle")) if (up.data / "work").exists() else []
        if found:
            cache = found[0]
            break
        time.sleep(0.2)
    assert cache is not None, up.log.read_text()[-3000:]
    stamp = cache.stat().st_mtime_ns
    os.kill(up.proc.pid, signal.SIGKILL)  # the main process only: what it started must die with it
    up.proc.wait(10)
    time.sleep(3)
    assert not _port_open(up.s3_port), "SeaweedFS outlived the killed chorus up"
    assert not _port_open(up.prefect_port), "the Prefect server outlived the killed chorus up"
    leftover = subprocess.run(["pgrep", "-f", str(up.data)], capture_output=True, text=True).stdout.split()
    assert not leftover, f"processes of the killed service still run: {leftover}"
    rows = up.catalog_rows()
    assert [r["status"] for r in rows] != ["published"], "killed before its feed was written"
    up.start("--no-example", CHORUS_INBOX__STABLE_SECONDS="1", CHORUS_SHOW__REVIEW="after")
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            up.alive()
            rows = up.catalog_rows()
            if rows and rows[0]["status"] in ("published", "failed"):
                break
            time.sleep(1)
        assert [r["status"] for r in rows] == ["published"], (rows, up.log.read_text()[-3000:])
        assert cache.stat().st_mtime_ns == stamp, "the finished transcription was run again"
        assert [e["title"] for e in _feed_episodes(up.feed_url)] == ["Survives a crash"]
        assert (up.data / "archive" / "killed.wav").is_file()
    finally:
        up.interrupt()
