"""Confidentiality end to end (issue #13): `chorus run` on generated episodes with planted personal data.

A guest names a client and reads out her phone number; the organiser's title names her too. With the default review policy (``flagged``) the
episode is held: nothing about it is reachable anonymously (the feed, the pages, its objects, guessed
keys). A volunteer redacts both items, the check after redaction passes, an organiser approves, and then
every published and stored artefact, in every object version, is free of them, and the transcriber no
longer hears them in the published audio. A second recording under ``review = "before"`` is held too.

Real parts: ffmpeg, the bundled Whisper model, Presidio, a real Prefect server for `chorus run`, and the
embedded SeaweedFS with its anonymous identity scoped to the public part of the bucket.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import results

pytestmark = pytest.mark.e2e

HOST, GUEST = "Sam Rivers", "Alex Morgan"
PLANTED = ["margaret", "thompson"]
"""Lower-case words planted in the recording that must be gone after redaction (the phone number's
digits are checked as a digit string, see ``_digits``)."""
PHONE_DIGITS = "077"


def _anonymous(url: str) -> int:
    """HTTP status of an anonymous GET (no credentials), as a listener's app or a crawler sees it."""
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@pytest.fixture(scope="module")
def held(tmp_path_factory, synth, prefect_api):
    """`chorus run` of the client recording (review "flagged") and a clean one (review "before")."""
    from chorus.services import free_port

    root = tmp_path_factory.mktemp("privacy")
    data = root / "data"
    inbox = root / "in"
    inbox.mkdir()
    client = inbox / "between-sessions.wav"
    shutil.copyfile(synth("privacy-client")[0], client)
    (inbox / "between-sessions.json").write_text(json.dumps(
        {"title": "When Margaret calls between sessions", "host": {"name": HOST},  # an organiser's slip
         "guests": [{"name": GUEST}]}))
    clean = inbox / "check-in.wav"
    shutil.copyfile(synth("publish-short")[0], clean)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "AWS_"))}
    env.update({"CHORUS_DATA_DIR": str(data), "PREFECT_API_URL": prefect_api,
                "CHORUS_EMBEDDED__S3_PORT": str(free_port()), "CHORUS_PUBLISH__BUCKET": "privacy"})
    cmd = [sys.executable, "-m", "chorus.cli", "run", "--json"]
    first = subprocess.run([*cmd, str(client)], capture_output=True, text=True, env=env, timeout=900, cwd=root)
    second = subprocess.run([*cmd, str(clean)], capture_output=True, text=True, timeout=900, cwd=root,
                            env={**env, "CHORUS_SHOW__REVIEW": "before"})
    return {"root": root, "data": data, "env": env, "procs": (first, second),
            "client": results(first)[0] if first.stdout.strip() else {"stderr": first.stderr},
            "clean": results(second)[0] if second.stdout.strip() else {"stderr": second.stderr}}


@pytest.fixture(scope="module")
def store(held):
    """The data directory's settings, catalog and (embedded) bucket, started for the checks."""
    from chorus.catalog import Catalog
    from chorus.runtime import open_bucket
    from chorus.settings import load_settings

    os.environ["CHORUS_EMBEDDED__S3_PORT"] = held["env"]["CHORUS_EMBEDDED__S3_PORT"]
    os.environ["CHORUS_PUBLISH__BUCKET"] = "privacy"
    try:
        settings = load_settings(None, held["data"])
        with open_bucket(settings) as bucket:
            yield settings, Catalog(settings.catalog), bucket
    finally:
        os.environ.pop("CHORUS_EMBEDDED__S3_PORT", None)
        os.environ.pop("CHORUS_PUBLISH__BUCKET", None)


def _crawl(settings, catalog, bucket, episode_id: int) -> dict[str, int]:
    """Everything a listener or a crawler could try for a held episode: anonymous status by URL."""
    from chorus.catalog import Episode
    from chorus.review import private_folder
    from chorus.showfeed import episode_page_key, feed_key

    with catalog.session() as s:
        ep = s.get_one(Episode, episode_id)
        show, slug, objects = ep.show.slug, ep.slug, dict(ep.objects or {})
    urls = {bucket.url(o["key"]): 0 for o in objects.values()}
    urls[bucket.url(episode_page_key(settings, show, slug))] = 0
    urls[bucket.url(f"{settings.show_prefix(show)}/{slug}/")] = 0
    urls[bucket.url(private_folder(settings, show, episode_id))] = 0
    urls[f"{bucket.endpoint_url}/{bucket.name}?list-type=2"] = 0
    urls[f"{bucket.endpoint_url}/{bucket.name}?list-type=2&prefix={settings.publish.private_prefix}/"] = 0
    for url in urls:
        urls[url] = _anonymous(url)
    feed = bucket.get_bytes(feed_key(settings, show))
    urls["feed lists the episode"] = int(feed is not None and slug.encode() in feed[0])
    return urls


def test_flagged_episode_is_held_and_says_why(held, store):
    first, _ = held["procs"]
    out = held["client"]
    assert out.get("status") == "in_review", (out, first.stderr[-3000:])
    assert first.returncode == 0, first.stderr[-3000:]  # held for review is not a failure
    assert "Traceback" not in first.stderr
    assert "personal data flagged" in out["error"] and "person" in out["error"] and "phone" in out["error"]
    assert out["audio_url"] is None and "/episodes/" in out["episode_url"]
    for word in PLANTED:  # the reason names kinds, never the words
        assert word not in out["error"].lower()
    status = subprocess.run([sys.executable, "-m", "chorus.cli", "status", "--json"], capture_output=True,
                            text=True, env=held["env"], cwd=held["root"], timeout=120)
    row = next(r for r in map(json.loads, status.stdout.splitlines()) if r["id"] == out["episode_id"])
    assert row["status"] == "in_review" and "personal data flagged" in row["error"]


def test_flags_name_the_client_and_the_phone_number(held, store):
    from chorus import privacy_review

    _settings, catalog, _bucket = store
    flags = privacy_review.flags(catalog, held["client"]["episode_id"])
    kinds = {f["kind"]: f["text"] for f in flags}
    assert "person" in kinds and "margaret" in kinds["person"].lower(), flags
    assert "phone" in kinds and PHONE_DIGITS in _digits(kinds["phone"]), flags
    texts = " ".join(f["text"] for f in flags).lower()
    assert "sam rivers" not in texts and "alex morgan" not in texts  # the known host and guest


def test_nothing_of_a_held_episode_is_reachable_anonymously(held, store):
    settings, catalog, bucket = store
    for name in ("client", "clean"):
        out = held[name]
        assert out.get("status") == "in_review", out
        seen = _crawl(settings, catalog, bucket, out["episode_id"])
        assert seen.pop("feed lists the episode") == 0
        leaks = {u: code for u, code in seen.items() if code < 400}
        assert not leaks, leaks
    assert held["clean"]["error"].startswith("held for review: the show reviews every episode")


def test_private_objects_are_really_there_for_reviewers(held, store):
    from chorus.catalog import Episode

    _settings, catalog, bucket = store
    with catalog.session() as s:
        objects = dict(s.get_one(Episode, held["client"]["episode_id"]).objects)
    assert objects["mp3"]["private"] and objects["mp3"]["key"].startswith("private/")
    assert bucket.head(objects["mp3"]["key"])["length"] == objects["mp3"]["length"]


@pytest.fixture(scope="module")
def redacted(held, store):
    """A volunteer redacts the name and the number; an organiser approves; the episode is released."""
    from chorus import privacy_review, sequence
    from chorus.catalog import TranscriptRevision
    from chorus.steps import Context

    settings, catalog, bucket = store
    episode_id = held["client"]["episode_id"]
    ctx = Context(settings, catalog, bucket)
    for flag in privacy_review.flags(catalog, episode_id):
        if flag["state"] == "open" and flag["kind"] in ("person", "phone"):
            privacy_review.accept(catalog, episode_id, flag["id"], "volunteer")
    while_held = sequence.release_episode(ctx, episode_id)
    checks_held = privacy_review.redactions(catalog, episode_id)
    latest = catalog.latest_revision(TranscriptRevision, episode_id)
    catalog.approve(episode_id, "transcript", latest.number, "organiser")
    catalog.set_status(episode_id, "approved", detail="approved in the test")
    released = sequence.release_episode(ctx, episode_id)
    return {"while_held": while_held, "checks_held": checks_held, "released": released, "episode_id": episode_id}


def test_redaction_is_checked_while_held_then_released(redacted, store):
    from chorus import privacy_review

    _settings, catalog, _bucket = store
    assert redacted["while_held"].status == "in_review", redacted["while_held"]
    assert redacted["checks_held"] and all(r["verified"] is True for r in redacted["checks_held"]), \
        redacted["checks_held"]
    assert redacted["released"].status == "published", redacted["released"]
    done = privacy_review.redactions(catalog, redacted["episode_id"])
    assert {r["kind"] for r in done} >= {"person", "phone"} and all(r["verified"] for r in done)


def test_every_stored_version_is_free_of_the_planted_items(redacted, store):
    from chorus.catalog import Episode
    from chorus.review import TEXT_SUFFIXES, _id3_text, private_folder

    settings, catalog, bucket = store
    with catalog.session() as s:
        ep = s.get_one(Episode, redacted["episode_id"])
        folder, private = f"{settings.show_prefix(ep.show.slug)}/{ep.slug}/", private_folder(
            settings, ep.show.slug, ep.id)
        slug = ep.slug
    versions = bucket.versions("")
    assert not [v.key for v in versions if any(w in v.key.lower() for w in PLANTED)]  # the title's slug too
    assert slug.startswith("when-redacted-calls"), slug
    texts = 0
    for v in versions:
        if v.is_delete_marker:
            continue
        args = {"Bucket": bucket.name, "Key": v.key}
        if v.version_id and v.version_id != "null":
            args["VersionId"] = v.version_id
        body = bucket.client.get_object(**args)["Body"].read()
        if Path(v.key).suffix.lower() in TEXT_SUFFIXES:
            text = body.decode("utf-8", "replace").lower()
        elif v.key.endswith(".mp3"):
            text = _id3_text(body).lower()
        else:
            continue
        texts += 1
        for word in PLANTED:
            assert word not in text, (word, v.key, v.version_id)
        assert "0770090" not in _digits(text), v.key
        if v.key.startswith(folder) and v.key.endswith((".vtt", ".txt", ".srt")):
            assert "[redacted]" in text, v.key
    assert texts >= 8  # the transcript formats, pages, the feed, the tagged MP3
    assert not any(k.key.startswith(private) for k in versions)  # released: nothing of it left private


def test_the_transcriber_no_longer_hears_them(redacted, store):
    import transcripts
    from chorus.catalog import Episode

    settings, catalog, bucket = store
    with catalog.session() as s:
        key = s.get_one(Episode, redacted["episode_id"]).objects["mp3"]["key"]
    assert _anonymous(bucket.url(key)) == 200  # approved: public now
    mp3 = settings.data_dir / "heard.mp3"
    mp3.write_bytes(bucket.get_bytes(key)[0])
    t = transcripts.transcribe(mp3, transcripts.TranscribeOptions(diarise=False))
    heard = " ".join(w.text for w in t.words()).lower()
    assert "supervision" in heard  # the rest of the episode is still there
    for word in PLANTED:
        assert word not in heard, heard
    assert PHONE_DIGITS not in _digits(heard), heard


def test_the_catalog_and_the_work_files_keep_no_removed_words(redacted, store, held):
    settings, catalog, _bucket = store
    db = Path(settings.catalog.removeprefix("sqlite:///"))
    dump = "\n".join(sqlite3.connect(db).iterdump()).lower()
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")).lower()  # free pages and the WAL too
    for word in PLANTED:
        assert word not in dump
        assert word.encode() not in raw
    for path in (settings.path("work")).rglob("*"):
        if path.is_file() and path.suffix in (".json", ".vtt", ".srt", ".txt", ".html", ".pickle"):
            data = path.read_bytes().lower()
            for word in PLANTED:
                assert word.encode() not in data, path
