"""`chorus up` as a newcomer meets it: empty data dir, embedded SeaweedFS and Prefect server,
the bundled sample published into a real feed, then Ctrl+C stops everything it started."""
from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import podcastparser
import pytest

from chorus.services import free_port

pytestmark = pytest.mark.e2e


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers, r.read()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_up_publishes_the_sample_and_stops_cleanly(tmp_path):
    s3_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PREFECT_API", "CHORUS_"))}
    env.update(CHORUS_EMBEDDED__S3_PORT=str(s3_port), CHORUS_EMBEDDED__PREFECT_PORT=str(prefect_port),
               CHORUS_POLL_SECONDS="1")
    log = tmp_path / "up.stderr"  # a file, not a pipe: an unread pipe that fills up would block chorus
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "chorus.cli", "up", "--data-dir", str(tmp_path / "data"),
                                 "--inbox", str(tmp_path / "inbox")], stdout=subprocess.PIPE, stderr=err,
                                text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        feed_url = proc.stdout.readline().strip()  # the first line is the public feed URL
        assert re.fullmatch(rf"http://127\.0\.0\.1:{s3_port}/podcasts/community-podcast/feed\.xml", feed_url)
        deadline, episodes = time.monotonic() + 600, []
        while time.monotonic() < deadline and not episodes:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                headers, body = _fetch(feed_url)
                episodes = podcastparser.parse(feed_url, io.BytesIO(body))["episodes"]
            except OSError:
                time.sleep(3)
        assert episodes, "the sample episode never appeared in the feed"
        assert episodes[0]["title"] == "Finding your people in private practice"  # from the sample's sidecar
        vtt = re.search(rb'<podcast:transcript url="([^"]+)" type="text/vtt"', body)
        headers, captions = _fetch(vtt.group(1).decode())
        assert headers["Content-Type"].startswith("text/vtt") and captions.startswith(b"WEBVTT")
        enc = episodes[0]["enclosures"][0]
        headers, audio = _fetch(enc["url"])
        assert len(audio) == enc["file_size"] and headers["Content-Type"] == "audio/mpeg"
        assert (tmp_path / "data" / "prefect").is_dir()  # Prefect's home is inside the data dir
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"chorus up did not stop within 60 s of Ctrl+C:\n{log.read_text()[-3000:]}")
    assert proc.returncode == 0
    time.sleep(1)
    assert not _port_open(s3_port), "SeaweedFS still listening after Ctrl+C"
    assert not _port_open(prefect_port), "Prefect server still listening after Ctrl+C"
