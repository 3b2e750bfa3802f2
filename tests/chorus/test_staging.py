"""Staging claimed recordings in the bucket for workers with no shared filesystem (issue #14), against a
real SeaweedFS, and one claim per content hash when two machines race on the same recording (PostgreSQL)."""
from __future__ import annotations

import json
import threading

import pytest

from chorus import staging, steps
from chorus.catalog import Catalog, Episode
from chorus.errors import ChorusError
from chorus.settings import PublishSettings, Settings, load_settings
from chorus.steps import Context
from chorus.watcher import sha256_path
from tests.chorus.test_private_store import _anonymous


def _recording(folder, name="Session with Jane Doe.wav", size=200_000):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"RIFF" + bytes(range(256)) * (size // 256))
    return path


def test_a_staged_recording_reaches_a_worker_whole_and_leaves_no_version_behind(bucket, tmp_path):
    bucket.client.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    settings = Settings(publish=PublishSettings(bucket=bucket.name))
    rec = _recording(tmp_path / "organiser" / "claimed" / "x")
    (rec.parent / "Session with Jane Doe.yaml").write_text("title: Supervision\n")
    sha = sha256_path(rec)

    key = staging.stage(bucket, settings, rec, sha)
    staged = bucket.keys(staging.staging_prefix(settings, sha))
    assert key in staged and len(staged) == 3  # recording, sidecar, manifest
    # keys hold a hash and numbers only: a file name can be a client's name, and keys outlive redactions
    assert not any("jane" in k.lower() or "session" in k.lower() for k in staged), staged
    assert all(_anonymous(bucket.url(k))[0] == 403 for k in staged)  # never public
    assert staging.stage(bucket, settings, rec, sha) == key  # again: nothing new is sent
    assert len(bucket.versions(staging.staging_prefix(settings, sha))) == 3

    worker_claimed = tmp_path / "worker" / "claimed"
    got = staging.fetch(bucket, settings, key, worker_claimed)
    assert got == worker_claimed / sha / rec.name and got.read_bytes() == rec.read_bytes()
    assert (got.parent / "Session with Jane Doe.yaml").read_text() == "title: Supervision\n"
    assert staging.is_staged_copy(got) and not staging.is_staged_copy(rec)
    assert staging.fetch(bucket, settings, key, worker_claimed) == got  # a rerun finds its copy

    assert staging.unstage(bucket, settings, sha) >= 3
    assert bucket.versions(staging.staging_prefix(settings, sha)) == []
    with pytest.raises(ChorusError, match="not in the bucket"):
        staging.fetch(bucket, settings, key, tmp_path / "late-worker" / "claimed")


def test_a_track_folder_is_staged_file_by_file_and_a_tampered_copy_is_refused(bucket, tmp_path):
    settings = Settings(publish=PublishSettings(bucket=bucket.name))
    folder = tmp_path / "claimed" / "panel"
    _recording(folder, "host.wav", 10_000)
    _recording(folder / "guests", "guest.wav", 20_000)
    (folder / "episode.yaml").write_text("title: Panel\n")
    sha = sha256_path(folder)
    key = staging.stage(bucket, settings, folder, sha)
    got = staging.fetch(bucket, settings, key, tmp_path / "w1")
    assert got.is_dir() and sha256_path(got) == sha
    assert sorted(p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()) == [
        "episode.yaml", "guests/guest.wav", "host.wav"]

    manifest = json.loads(bucket.get_bytes(key)[0])
    bucket.put_bytes(manifest["files"][0]["key"], b"not the recording")
    with pytest.raises(ChorusError, match="does not match its hash"):
        staging.fetch(bucket, settings, key, tmp_path / "w2")
    assert not (tmp_path / "w2" / sha / "panel").exists()

    manifest["name"] = "../../outside"
    bucket.put_bytes(key, json.dumps(manifest).encode())
    with pytest.raises(ChorusError, match="unsafe"):
        staging.fetch(bucket, settings, key, tmp_path / "w3")
    with pytest.raises(ChorusError, match="not a staged recording"):
        staging.fetch(bucket, settings, "community-podcast/feed.xml", tmp_path / "w4")


def test_two_machines_racing_on_one_recording_make_one_episode(pg_url, tmp_path, monkeypatch):
    """Two watchers (each with its own data directory) claim the same bytes at the same moment against one
    PostgreSQL catalog: the unique index on the content hash lets one win; the other is told it is a duplicate
    of the winner's episode, and its copy is left alone."""
    monkeypatch.setenv("CHORUS_CATALOG_URL", pg_url)
    contexts = []
    for name in ("a", "b"):
        settings = load_settings(data_dir=tmp_path / name)
        contexts.append(Context(settings, Catalog(settings.catalog)))
    rec = _recording(tmp_path / "inbox", "check-in.wav")
    barrier, claims, errors = threading.Barrier(2), [], []

    def claim(ctx):
        barrier.wait()
        try:
            claims.append(steps.claim(ctx, rec))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    for _ in range(5):  # the race is a race: try it several times, with fresh bytes each time
        rec.write_bytes(rec.read_bytes() + b"\0")
        claims.clear()
        threads = [threading.Thread(target=claim, args=(ctx,)) for ctx in contexts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(c.duplicate for c in claims) == [False, True]
        assert claims[0].episode_id == claims[1].episode_id
    with contexts[0].catalog.session() as s:
        shas = [ep.source_sha256 for ep in s.query(Episode)]
    assert len(shas) == len(set(shas)) == 5
