"""A title that named a client: its slug is in the episode's public keys and page address, so a redaction of
the name gives the episode a new slug, and the republish purges every version of the old keys.

Real parts: SeaweedFS (anonymous reads scoped to the show's folder as in production), a SQLite catalog, the
one sequence (``chorus.sequence.release_episode``: review with Presidio, render, publish, feed, purge, verify
with the bundled Whisper model). Mastering and transcription are skipped: the transcript is the panel
script's truth with the client's name added to its first turn (the audio never says it).
"""
from __future__ import annotations

import copy
import json
import subprocess
from types import SimpleNamespace

from chorus import privacy_review, publishing, sequence, steps
from chorus.catalog import Catalog, Episode
from chorus.settings import PublishSettings, Settings, ShowSettings
from chorus.showfeed import episode_page_key, feed_key
from chorus.steps import Context
from tests.chorus.test_private_store import _anonymous
from tests.chorus.test_publish import _transcript_and_notes, make_bucket
from transcripts import Transcript

SHOW = "community-podcast"


def _episode(catalog: Catalog, episode_id: int) -> Episode:
    with catalog.session() as s:
        ep = s.get_one(Episode, episode_id)
        s.expunge(ep)
        return ep


def _published_naming_the_client(seaweed, panel, tmp_path, name: str):
    """An episode titled "Jane Doe rang", published at once (review "after"), whose transcript names her; then a
    volunteer redacts the name. Returns (ctx, episode id, mastered files, the episode before the redaction)."""
    bucket = make_bucket(seaweed, name)
    settings = Settings(data_dir=tmp_path / "data", publish=PublishSettings(bucket=bucket.name),
                        show=ShowSettings(review="after"))  # public at once: the name reaches the bucket's keys
    settings.data_dir.mkdir(parents=True)
    catalog = Catalog(settings.catalog)
    ctx = Context(settings, catalog, bucket)
    wav, truth = panel
    truth = copy.deepcopy(truth)
    first = next(t for t in truth["turns"] if t.get("text"))
    first["text"] = "My client Jane Doe rang me. " + first["text"]
    src = tmp_path / "session.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", "48k", str(src)],
                   check=True)
    src.with_suffix(".json").write_text(json.dumps({"title": "Jane Doe rang"}), encoding="utf-8")
    claim = steps.claim(ctx, src)
    transcript, notes = _transcript_and_notes(truth, "Jane Doe rang")
    work = tmp_path / "work"  # the mastered files that a redaction bleeps in place (the original is left alone)
    work.mkdir()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(src), "-ac", "1", "-ar", "16000",
                    str(work / "speech.wav")], check=True)
    (work / "mastered.mp3").write_bytes(src.read_bytes())
    mastered = SimpleNamespace(mp3=work / "mastered.mp3", speech_wav=work / "speech.wav", duration=truth["duration"],
                               video=None, poster=None, kept=[(0.0, truth["duration"])])
    steps.draft(ctx, claim, mastered, transcript, notes)
    assert sequence.release_episode(ctx, claim.episode_id, mastered=mastered).status == "published"
    before = _episode(catalog, claim.episode_id)
    assert before.slug == "jane-doe-rang"
    assert _anonymous(bucket.url(episode_page_key(settings, SHOW, before.slug)))[0] == 200
    assert any("jane-doe" in v.key for v in bucket.versions(""))

    latest = catalog.latest_revision("transcript", claim.episode_id)
    words = [w.text for w in Transcript.from_dict(latest.data).words()]
    jane = words.index("Jane")
    privacy_review.redact(catalog, claim.episode_id, "olive", latest.number, jane, jane + 1, kind="person")
    renamed = _episode(catalog, claim.episode_id)
    assert renamed.slug == "redacted-rang" and renamed.title == "[redacted] rang"
    return ctx, claim.episode_id, mastered, before


def _no_key_names_her(bucket) -> None:
    keys = {v.key for v in bucket.versions("")}
    assert not [k for k in keys if "jane" in k.lower() or "doe" in k.lower()], sorted(keys)


def test_a_slug_that_named_the_client_is_replaced_and_its_old_keys_purged(seaweed, panel, tmp_path):
    ctx, episode_id, mastered, before = _published_naming_the_client(seaweed, panel, tmp_path, "slug-redaction")
    settings, bucket = ctx.settings, ctx.bucket
    out = sequence.release_episode(ctx, episode_id, mastered=mastered)
    assert out.status == "published", out

    done = privacy_review.redactions(ctx.catalog, episode_id)
    assert done and all(r["verified"] is True for r in done), done
    _no_key_names_her(bucket)
    assert _anonymous(bucket.url(episode_page_key(settings, SHOW, before.slug)))[0] in (403, 404)  # old address
    new_page = bucket.url(episode_page_key(settings, SHOW, "redacted-rang"))
    status, body = _anonymous(new_page)
    assert status == 200 and b"[redacted] rang" in body and b"Jane" not in body
    feed = bucket.get_bytes(feed_key(settings, SHOW))[0].decode()
    assert feed.count(before.guid) == 1 and "jane" not in feed.lower()  # the same item: apps show it once
    assert out.episode_url == new_page


def test_unpublished_instead_of_released_the_old_folder_goes_too(seaweed, panel, tmp_path):
    """An organiser unpublishes the episode after the redaction instead of approving it: its page under the old
    slug (which said the name) is purged, not left public because the catalog now knows another slug."""
    ctx, episode_id, _mastered, before = _published_naming_the_client(seaweed, panel, tmp_path, "slug-unpublish")
    result = publishing.unpublish(ctx.bucket, ctx.settings, ctx.catalog, episode_id)
    assert episode_page_key(ctx.settings, SHOW, before.slug) in result.deleted
    _no_key_names_her(ctx.bucket)
    assert _anonymous(ctx.bucket.url(episode_page_key(ctx.settings, SHOW, before.slug)))[0] in (403, 404)
    feed = ctx.bucket.get_bytes(feed_key(ctx.settings, SHOW))[0].decode()
    assert before.guid not in feed
