"""The bucket's private side against a real SeaweedFS: an anonymous crawler gets nothing under the private
prefix, purges leave no version or delete marker behind, Range reads return exact bytes, and
``check_private`` catches a store that lets anyone read the private prefix."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from chorus.settings import PublishSettings, Settings
from chorus.storage import RangeNotSatisfiable, StoreError

SHOW = "community-podcast"


def _anonymous(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    """(status, body) of a GET with no credentials, as a crawler or podcast app makes it."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _settings(bucket) -> Settings:
    return Settings(publish=PublishSettings(bucket=bucket.name))


def _versioned(bucket):
    bucket.client.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_an_anonymous_crawler_reads_the_public_folder_and_nothing_private(bucket):
    settings = _settings(bucket)
    secret = b"held episode audio: a client's name is in here"
    private = [settings.private_key(SHOW, 7, name) for name in ("1f3e9a0b2c4d5e6f.mp3", "1f3e9a0b2c4d5e6f.vtt")]
    for key in private:
        bucket.put_bytes(key, secret)
    public = bucket.put_bytes(f"{SHOW}/check-in/0a1b2c3d4e5f6a7b.mp3", b"ID3 public episode")
    assert _anonymous(public.url) == (200, b"ID3 public episode")
    base = bucket.public_base_url
    guesses = [bucket.url(k) for k in private] + [
        bucket.url(f"private/{SHOW}/7/"), bucket.url("private/"), bucket.url(f"private/{SHOW}/7/feed.xml"),
        f"{base}/{SHOW}/../private/{SHOW}/7/1f3e9a0b2c4d5e6f.mp3",        # path tricks a crawler tries
        f"{base}/{SHOW}/%2e%2e/private/{SHOW}/7/1f3e9a0b2c4d5e6f.mp3",
        f"{base}/{SHOW}%2F..%2Fprivate%2F{SHOW}%2F7%2F1f3e9a0b2c4d5e6f.mp3",
        f"{base}//private/{SHOW}/7/1f3e9a0b2c4d5e6f.mp3",
        base, base + "/", f"{base}?list-type=2&prefix=private/", f"{base}?versions", f"{base}?list-type=2",
        bucket.endpoint_url + "/",
    ]
    for url in guesses:
        status, body = _anonymous(url)
        assert status in (400, 403, 404), (url, status)
        assert secret not in body, url
        assert not any(tag in body for tag in (b"ListBucketResult", b"<Contents>", b"<Version>", b"ListAllMyBuckets")), url
    assert all(_anonymous(bucket.url(k), {"Range": "bytes=0-3"})[0] == 403 for k in private)


def test_versioning_state_is_read_from_the_store(bucket):
    assert bucket.versioning() == "Off"
    _versioned(bucket)
    assert bucket.versioning() == "Enabled"


def test_purge_removes_every_version_and_delete_marker_of_exactly_those_keys(bucket):
    key = f"{SHOW}/ep/abc.vtt"
    bucket.put_bytes(key, b"before versioning")       # a "null" version, from before versioning was on
    _versioned(bucket)
    for body in (b"one", b"two"):
        bucket.put_bytes(key, body)
    bucket.delete(key)                                  # only a delete marker: the bodies stay
    bucket.put_bytes(key, b"three")
    for other in (f"{SHOW}/ep/abc.vtt.bak", f"{SHOW}/ep/other.vtt"):
        bucket.put_bytes(other, b"keep me")
    before = [v for v in bucket.versions(key) if v.key == key]
    assert len(before) == 5 and sum(v.is_delete_marker for v in before) == 1
    assert bucket.purge([key]) == 5
    assert bucket.versions(key) == [v for v in bucket.versions(key) if v.key != key]   # none of key left
    assert bucket.head(key) is None
    assert bucket.get_bytes(f"{SHOW}/ep/abc.vtt.bak")[0] == b"keep me" == bucket.get_bytes(f"{SHOW}/ep/other.vtt")[0]
    assert bucket.purge([key]) == 0                     # idempotent


def test_purge_prefix_empties_an_episode_folder_and_leaves_its_neighbours(bucket):
    _versioned(bucket)
    settings = _settings(bucket)
    for n in range(3):
        bucket.put_bytes(settings.private_key(SHOW, 7, f"{n:016x}.txt"), b"v1")
        bucket.put_bytes(settings.private_key(SHOW, 7, f"{n:016x}.txt"), b"v2")
    bucket.put_bytes(settings.private_key(SHOW, 70, "0000000000000000.txt"), b"another episode")
    assert bucket.purge_prefix(f"private/{SHOW}/7/") == 6
    assert bucket.versions(f"private/{SHOW}/7/") == []
    assert [v.key for v in bucket.versions("private/")] == [settings.private_key(SHOW, 70, "0000000000000000.txt")]
    with pytest.raises(StoreError, match="whole bucket"):
        bucket.purge_prefix("/")


def test_purge_old_versions_keeps_only_the_latest_body(bucket):
    _versioned(bucket)
    feed = f"{SHOW}/feed.xml"
    for body in (b"<rss>1 with a name</rss>", b"<rss>2</rss>", b"<rss>3 redacted</rss>"):
        bucket.put_bytes(feed, body)
    assert bucket.purge_old_versions(feed) == 2
    (only,) = bucket.versions(feed)
    assert only.is_latest and not only.is_delete_marker
    assert bucket.get_bytes(feed)[0] == b"<rss>3 redacted</rss>"
    assert _anonymous(bucket.url(feed)) == (200, b"<rss>3 redacted</rss>")
    assert bucket.purge_old_versions(feed) == 0


def test_a_store_without_versions_is_purged_with_plain_deletes(bucket):
    key = f"{SHOW}/ep/plain.txt"
    bucket.put_bytes(key, b"x")
    assert bucket.purge([key]) == 1 and bucket.head(key) is None and bucket.purge([key]) == 0


def _read(answer) -> tuple[int, dict, bytes]:
    status, headers, chunks = answer
    return status, headers, b"".join(chunks)


def test_open_range_streams_exact_bytes(bucket):
    data = bytes(range(256)) * 4                       # 1,024 distinct-enough bytes
    key = f"private/{SHOW}/7/00112233aabbccdd.mp3"
    bucket.put_bytes(key, data, ctype="audio/mpeg")
    status, h, body = _read(bucket.open_range(key, "bytes=100-199"))
    assert (status, body, h["Content-Range"], h["Content-Length"]) == (206, data[100:200], "bytes 100-199/1024", "100")
    assert h["Content-Type"] == "audio/mpeg" and h["Accept-Ranges"] == "bytes" and h["ETag"]
    status, h, body = _read(bucket.open_range(key, "bytes=-50"))
    assert (status, body, h["Content-Range"]) == (206, data[-50:], "bytes 974-1023/1024")
    status, h, body = _read(bucket.open_range(key, "bytes=1000-"))
    assert (status, body, h["Content-Range"]) == (206, data[1000:], "bytes 1000-1023/1024")
    status, h, body = _read(bucket.open_range(key, None))
    assert (status, body, h["Content-Length"]) == (200, data, "1024") and "Content-Range" not in h
    assert _read(bucket.open_range(key, "bytes=0-1,5-6"))[0] == 200   # several ranges: the whole object
    big = f"private/{SHOW}/7/00112233aabbccee.mp3"
    bucket.put_bytes(big, data * 200)                  # 200 KiB: streamed in chunks, never read whole
    status, h, chunks = bucket.open_range(big, "bytes=0-")
    sizes = [len(c) for c in chunks]
    assert status == 206 and sum(sizes) == len(data) * 200 and len(sizes) > 1 and max(sizes) <= 64 << 10
    with pytest.raises(RangeNotSatisfiable) as e:
        bucket.open_range(key, "bytes=5000-")
    assert e.value.length == 1024 and "\n" not in str(e.value)
    with pytest.raises(StoreError) as e:
        bucket.open_range(f"private/{SHOW}/7/missing.mp3", "bytes=0-1")
    assert e.value.code == "NoSuchKey"


def test_check_private_passes_on_the_scoped_store_and_leaves_no_probe(bucket):
    _versioned(bucket)
    bucket.check_private("private")
    assert bucket.versions("private/") == []


def test_check_private_raises_when_anyone_can_read_the_private_prefix(seaweed, bucket):
    _versioned(bucket)
    seaweed.allow_public(f"{bucket.name}/private")    # the mistake: the anonymous identity reads it all
    with pytest.raises(StoreError) as e:
        bucket.check_private("private")
    text = str(e.value)
    assert "readable by anyone" in text and "bucket policy" in text and "\n" not in text
    assert bucket.versions("private/") == []           # the probe is purged even then
