"""A real podcast client: Debian's gPodder (`gpo`) subscribes to a show served by the test SeaweedFS,
updates, downloads, and gets the enclosure's exact bytes."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from chorus.showfeed import feed_key
from tests.chorus.test_publish import http, make_bucket, publish_episode, show_env

pytestmark = pytest.mark.e2e


def _gpo(env, *args) -> str:
    proc = subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"gpo {' '.join(args)}: {proc.stdout[-1500:]} {proc.stderr[-1500:]}"
    return proc.stdout + proc.stderr


def test_gpodder_subscribes_updates_and_downloads_the_enclosure(seaweed, synth, tmp_path):
    if not shutil.which("gpo"):  # not a skip: the acceptance needs a real client
        pytest.fail("gpo (Debian package gpodder) is not installed: run .ci/run or apt-get install gpodder",
                    pytrace=False)
    bucket = make_bucket(seaweed, "gpodder-show")
    settings, catalog = show_env(bucket, tmp_path)
    _, first = publish_episode(bucket, settings, catalog, synth, tmp_path, "Gpodder first")
    _, second = publish_episode(bucket, settings, catalog, synth, tmp_path, "Gpodder second", gap=0.5)
    url = bucket.url(feed_key(settings, settings.default_show))
    env = {**os.environ, "GPODDER_HOME": str(tmp_path / "gpodder-home"),
           "GPODDER_DOWNLOAD_DIR": str(tmp_path / "downloads"), "HOME": str(tmp_path)}
    _gpo(env, "subscribe", url)
    _gpo(env, "update", url)
    listing = _gpo(env, "episodes", url)
    assert "Gpodder first" in listing and "Gpodder second" in listing, listing
    _gpo(env, "download", url)
    got = sorted((tmp_path / "downloads").rglob("*.mp3"))
    assert len(got) == 2, (got, listing)
    expected = sorted([http(first["mp3"].url)[2], http(second["mp3"].url)[2]])
    assert sorted(p.read_bytes() for p in got) == expected
    assert {p.stat().st_size for p in got} == {first["mp3"].length, second["mp3"].length}
