"""chorus.storage against a real SeaweedFS: types, caching headers, skip-unchanged, conditional writes."""
import urllib.request

import pytest

from chorus.errors import ChorusError
from chorus.storage import IMMUTABLE, SHORT


def _get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
        return r.status, r.headers, r.read()


def test_put_file_serves_type_length_cache_and_ranges_anonymously(bucket, tmp_path):
    f = tmp_path / "a.vtt"
    f.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n")
    obj = bucket.put_file("show/ep/abc.vtt", f)
    status, headers, body = _get(obj.url)  # no credentials: what a podcast app does
    assert status == 200 and body == f.read_bytes()
    assert headers["Content-Type"] == "text/vtt"
    assert headers["Cache-Control"] == IMMUTABLE
    assert int(headers["Content-Length"]) == obj.length == f.stat().st_size
    status, headers, body = _get(obj.url, {"Range": "bytes=0-5"})
    assert status == 206 and body == b"WEBVTT"


def test_unchanged_objects_are_not_uploaded_again(bucket, tmp_path):
    f = tmp_path / "episode.mp3"
    f.write_bytes(b"ID3" + bytes(5000))
    first = bucket.put_file("s/e/x.mp3", f)
    sent = bucket.bytes_sent
    again = bucket.put_file("s/e/x.mp3", f)
    assert first.uploaded and not again.uploaded
    assert bucket.bytes_sent == sent
    page = bucket.put_bytes("s/index.html", b"<p>hi</p>", cache_control=SHORT)
    assert page.uploaded and not bucket.put_bytes("s/index.html", b"<p>hi</p>").uploaded


def test_conditional_feed_write_refuses_a_stale_etag(bucket):
    bucket.put_bytes("s/feed.xml", b"<rss>1</rss>")
    body, etag = bucket.get_bytes("s/feed.xml")
    bucket.put_bytes("s/feed.xml", b"<rss>2</rss>", if_match=etag)  # we win
    with pytest.raises(ChorusError, match="PreconditionFailed"):
        bucket.put_bytes("s/feed.xml", b"<rss>3</rss>", if_match=etag)  # a second writer with a stale view
    assert bucket.get_bytes("s/feed.xml")[0] == b"<rss>2</rss>"


def test_unreachable_endpoint_is_one_clear_line():
    from chorus.services import free_port
    from chorus.storage import Bucket

    b = Bucket("x", f"http://127.0.0.1:{free_port()}", access_key="a", secret_key="b", region="us-east-1")
    b.client.meta.config.retries["max_attempts"] = 1
    with pytest.raises(ChorusError) as e:
        b.head("k")
    assert "cannot reach the S3 endpoint" in str(e.value) and "\n" not in str(e.value)


def _counting(bucket):
    calls = []
    bucket.client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    return calls


def test_a_listing_answers_for_uploaded_objects_and_head_asks_about_the_rest(bucket):
    objs = [bucket.put_bytes(f"show/ep/{i}.json", b"{}" * (i + 1), cache_control=IMMUTABLE) for i in range(5)]
    listed = bucket.listing("show/")
    assert {k: v["length"] for k, v in listed.items()} == {o.key: o.length for o in objs}
    assert all(v["etag"] for v in listed.values())
    calls = _counting(bucket)
    bucket.wait_visible(objs)                      # one listing of show/ep/, no HEAD
    assert calls == ["ListObjectsV2"]
    late = bucket.put_bytes("show/ep/late.json", b"[1]", cache_control=IMMUTABLE)
    calls.clear()
    bucket.wait_visible(objs + [late], listed=listed)   # a listing from before the upload: HEAD for it alone
    assert calls == ["HeadObject"]


def test_an_object_listed_with_the_wrong_length_is_not_visible(bucket):
    obj = bucket.put_bytes("show/ep/a.vtt", b"WEBVTT\n")
    short = obj.__class__(obj.key, obj.url, obj.length + 1, obj.type, obj.sha256, obj.uploaded)
    with pytest.raises(ChorusError, match="not visible yet") as e:
        bucket.wait_visible([short], timeout=0.6)
    assert "\n" not in str(e.value)


def test_a_listing_spares_the_head_for_changed_pages_and_still_skips_unchanged_ones(bucket):
    bucket.put_bytes("show/index.html", b"<p>one</p>")
    listed = bucket.listing("show/")
    calls = _counting(bucket)
    same = bucket.put_bytes("show/index.html", b"<p>one</p>", listed=listed)
    assert not same.uploaded and calls == ["HeadObject"]        # ETag matched: HEAD confirms hash and type
    calls.clear()
    changed = bucket.put_bytes("show/index.html", b"<p>two</p>", listed=listed)
    new = bucket.put_bytes("show/ep/index.html", b"<p>new</p>", listed=listed)
    assert changed.uploaded and new.uploaded and calls == ["PutObject", "PutObject"]
    assert _get(changed.url)[2] == b"<p>two</p>"


def test_a_taken_s3_port_is_one_clear_line_naming_the_setting(tmp_path):
    """Another program on the embedded S3 port: said at once, not a 403 from whoever answers there."""
    import socket

    from chorus.errors import ChorusError
    from chorus.services import SeaweedFS

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(ChorusError) as e:
            SeaweedFS(tmp_path / "s3", s3_port=port).start()
    message = str(e.value)
    assert f"127.0.0.1:{port}" in message and "embedded.s3_port" in message and "\n" not in message
    assert not (tmp_path / "s3" / "endpoint.json").exists()



def test_a_store_stopped_a_moment_ago_can_start_again_on_its_port(tmp_path):
    """A store stopped while a client was connected leaves its side of the connection in TIME_WAIT; that
    is not 'another program on the port': starting again there works (as chorus run, then a reader, do)."""
    import socket
    import urllib.error
    import urllib.request

    from chorus.services import SeaweedFS, free_port

    port = free_port()
    with SeaweedFS(tmp_path / "s3", s3_port=port) as store:
        client = socket.create_connection(("127.0.0.1", port), timeout=5)  # open while the store stops
        try:
            urllib.request.urlopen(store.endpoint_url + "/", timeout=10).close()
        except urllib.error.HTTPError:
            pass
    client.close()
    with SeaweedFS(tmp_path / "s3", s3_port=port) as again:
        try:
            urllib.request.urlopen(again.endpoint_url + "/", timeout=10).close()
        except urllib.error.HTTPError as e:
            assert e.code in (403, 404), e  # an S3 answer: the store is up
