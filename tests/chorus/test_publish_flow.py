"""The ``publish-episode`` flow takes its show's Prefect concurrency slot around the feed rebuild, and an
episode is ``published`` only once the feed that lists it is written.

Real flow runs (real ffmpeg, real whisper, the test SeaweedFS) against a Prefect test server
(``prefect_test_harness``, a real API server on a temporary database): two runs for one show at
once wait while the slot is held, then both episodes end up in the feed.
"""
from __future__ import annotations

import io
import subprocess
import threading
import time

import podcastparser
import pytest

from chorus.catalog import Catalog, Episode
from chorus.settings import load_settings
from chorus.showfeed import feed_key
from tests.chorus.test_publish import SCRIPT, http, make_bucket


@pytest.fixture(scope="module")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _recording(synth, root, title: str, gap: float):
    wav, _ = synth(SCRIPT, gap=gap)
    src = root / f"{title.lower().replace(' ', '-')}.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", "64k", str(src)], check=True)
    src.with_suffix(".json").write_text(f'{{"title": "{title}"}}')
    return src


def _statuses(catalog: Catalog) -> list[str]:
    with catalog.session() as s:
        return [e.status for e in s.query(Episode).all()]


def test_two_runs_for_one_show_wait_for_its_feed_slot_and_both_land_in_the_feed(
        prefect_server, seaweed, s3_env, synth, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client

    from flows.publish import feed_lock_name, publish_episode, show_feed_slot

    bucket = make_bucket(seaweed, "flow-feed-slot")
    for k, v in {**s3_env, "CHORUS_PUBLISH__BUCKET": bucket.name}.items():
        monkeypatch.setenv(k, v)
    data = tmp_path / "data"
    settings = load_settings(None, data)
    slug = settings.default_show
    feed = bucket.url(feed_key(settings, slug))
    titles = ["Slot run one", "Slot run two"]
    sources = [_recording(synth, tmp_path, t, gap) for t, gap in zip(titles, (0.35, 0.5))]
    states, threads = {}, []

    def run(src):
        states[src.name] = publish_episode(source=str(src), data_dir=str(data), return_state=True)

    with show_feed_slot(slug) as held:       # this test holds the show's only slot
        assert held is True
        for src in sources:
            threads.append(threading.Thread(target=run, args=(src,)))
            threads[-1].start()
        catalog, deadline = Catalog(settings.catalog), time.monotonic() + 600
        while _statuses(catalog) != ["releasing", "releasing"]:   # objects up, feed next: not published yet
            assert all(t.is_alive() for t in threads), states
            assert time.monotonic() < deadline, _statuses(catalog)
            time.sleep(0.2)
        time.sleep(2.0)                      # time enough for a rebuild that did not wait
        assert all(t.is_alive() for t in threads)
        assert http(feed)[0] == 404          # neither run wrote the feed while the slot was held
    for t in threads:
        t.join(600)
    for src in sources:
        state = states[src.name]
        assert state.is_completed(), state
        assert state.result()["status"] == "published"
    status, _, body = http(feed)
    assert status == 200
    assert sorted(e["title"] for e in podcastparser.parse(feed, io.BytesIO(body))["episodes"]) == titles
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(feed_lock_name(slug))
    assert (limit.limit, limit.active_slots) == (1, 0)


def test_slots_a_killed_run_held_are_freed_when_chorus_up_starts_its_server(prefect_server):
    """Prefect keeps leases in the server's memory: after a restart, a slot a killed run held has no
    lease left to expire, and every later transcription would wait for it forever."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    from flows.publish import TRANSCRIBE_LIMIT, _ensure_limit, feed_lock_name, free_stale_slots

    _ensure_limit(TRANSCRIBE_LIMIT, 1)
    _ensure_limit(feed_lock_name("stale-show"), 1)
    _ensure_limit("someone-elses-limit", 1)
    with get_client(sync_client=True) as client:
        for name in (TRANSCRIBE_LIMIT, feed_lock_name("stale-show"), "someone-elses-limit"):
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=1))
        assert sorted(free_stale_slots()) == sorted([TRANSCRIBE_LIMIT, feed_lock_name("stale-show")])
        assert client.read_global_concurrency_limit_by_name(TRANSCRIBE_LIMIT).active_slots == 0
        assert client.read_global_concurrency_limit_by_name("someone-elses-limit").active_slots == 1
