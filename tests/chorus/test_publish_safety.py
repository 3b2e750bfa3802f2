"""Concurrent publishers and failed uploads against the real SeaweedFS: the live feed is never clobbered
and never points at something missing."""
from __future__ import annotations

import io
import threading

import podcastparser
import pytest

from chorus.catalog import Catalog
from chorus.errors import ChorusError
from chorus.publishing import PublishOptions, publish_show
from chorus.showfeed import feed_key
from chorus.storage import Bucket
from tests.chorus.test_publish import http, publish_episode, show_env


def _titles(bucket, settings) -> list[str]:
    url = bucket.url(feed_key(settings, settings.default_show))
    status, _, body = http(url)
    assert status == 200, url
    return sorted(e["title"] for e in podcastparser.parse(url, io.BytesIO(body))["episodes"])


class _SlowFeedBucket(Bucket):
    """A real bucket whose first feed PUT waits at a gate: the slowest network, on purpose.

    It lets a test put a second publisher's whole run between this publisher's build and its write.
    """

    def __init__(self, like: Bucket, key: str, seaweed):
        access, secret = seaweed.credentials()
        super().__init__(like.name, like.endpoint_url, access_key=access, secret_key=secret, region="us-east-1")
        self.key, self.reached, self.release, self.gated = key, threading.Event(), threading.Event(), False

    def put_bytes(self, key, data, **kw):
        if key == self.key and not self.gated:
            self.gated = True
            self.reached.set()
            assert self.release.wait(120)
        return super().put_bytes(key, data, **kw)


def test_a_slow_publisher_cannot_clobber_a_faster_one(bucket, seaweed, synth, tmp_path):
    settings, catalog = show_env(bucket, tmp_path)
    publish_episode(bucket, settings, catalog, synth, tmp_path, "Already live")
    # Publisher A: its episode is in the catalog; it reads the feed's ETag, builds, then stalls before writing.
    publish_episode(bucket, settings, catalog, synth, tmp_path, "Slow publisher", gap=0.45, rebuild=False)
    slow = _SlowFeedBucket(bucket, feed_key(settings, settings.default_show), seaweed)
    result, errors = {}, []

    def run_a():
        try:
            result["a"] = publish_show(slow, settings, Catalog(settings.catalog), settings.default_show,
                                       PublishOptions(backoff=0.05))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    a = threading.Thread(target=run_a)
    a.start()
    assert slow.reached.wait(120), errors
    # Publisher B publishes a whole episode while A is stalled with its stale build (no B inside).
    publish_episode(bucket, settings, Catalog(settings.catalog), synth, tmp_path, "Fast publisher", gap=0.55)
    assert _titles(bucket, settings) == ["Already live", "Fast publisher", "Slow publisher"]
    slow.release.set()
    a.join(120)
    assert not errors, errors
    assert result["a"].attempts == 2  # A's If-Match lost, it rebuilt from the catalog
    assert _titles(bucket, settings) == ["Already live", "Fast publisher", "Slow publisher"]


def test_concurrent_first_publishers_all_end_up_in_the_feed(bucket, synth, tmp_path):
    settings, catalog = show_env(bucket, tmp_path)
    titles = ["Thread one", "Thread two", "Thread three"]
    for i, title in enumerate(titles):  # episodes ready; the show has no feed yet
        publish_episode(bucket, settings, catalog, synth, tmp_path, title, gap=0.4 + i / 20, rebuild=False)
    start, pubs, errors = threading.Barrier(len(titles)), [], []

    def run():
        start.wait()
        try:
            pubs.append(publish_show(bucket, settings, Catalog(settings.catalog), settings.default_show,
                                     PublishOptions(backoff=0.05)))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in titles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(p.feed.uploaded for p in pubs) >= 1
    assert _titles(bucket, settings) == sorted(titles)


def _live(bucket, settings):
    prefix = settings.show_prefix(settings.default_show)
    return {k: http(bucket.url(k))[2] for k in (f"{prefix}/feed.xml", f"{prefix}/index.html")}


def test_a_file_that_vanishes_fails_in_one_line_and_the_feed_stays(bucket, synth, tmp_path):
    settings, catalog = show_env(bucket, tmp_path)
    publish_episode(bucket, settings, catalog, synth, tmp_path, "Already live")
    before = _live(bucket, settings)
    with pytest.raises(ChorusError) as e:
        publish_episode(bucket, settings, catalog, synth, tmp_path, "Vanishing", gap=0.45,
                        before_upload=lambda files: files["mp3"].unlink())
    assert "cannot read the file to upload" in str(e.value) and "\n" not in str(e.value)
    assert _live(bucket, settings) == before  # byte for byte
    assert _titles(bucket, settings) == ["Already live"]


def test_a_store_that_refuses_the_upload_leaves_the_feed(bucket, synth, tmp_path):
    settings, catalog = show_env(bucket, tmp_path)
    publish_episode(bucket, settings, catalog, synth, tmp_path, "Already live")
    before = _live(bucket, settings)
    impostor = Bucket(bucket.name, bucket.endpoint_url, access_key="chorus-wrong", secret_key="not-the-secret",
                      region="us-east-1")  # the store itself refuses every write (real 403)
    with pytest.raises(ChorusError) as e:
        publish_episode(impostor, settings, catalog, synth, tmp_path, "Refused", gap=0.45)
    assert str(e.value).count("\n") == 0 and "S3 " in str(e.value)
    assert _live(bucket, settings) == before
    assert _titles(bucket, settings) == ["Already live"]


def test_a_missing_object_blocks_the_feed_and_pages(bucket, synth, tmp_path):
    settings, catalog = show_env(bucket, tmp_path)
    publish_episode(bucket, settings, catalog, synth, tmp_path, "Already live")
    before = _live(bucket, settings)
    _, stored = publish_episode(bucket, settings, catalog, synth, tmp_path, "Lost media", gap=0.45, rebuild=False)
    bucket.delete(stored["mp3"].key)  # the upload was lost after the catalog recorded it
    with pytest.raises(ChorusError, match="not visible") as e:
        publish_show(bucket, settings, catalog, settings.default_show, PublishOptions(visible_timeout=1.0))
    assert "\n" not in str(e.value) and "live feed was left unchanged" in str(e.value)
    assert _live(bucket, settings) == before
