"""The one sequence (``chorus.sequence``) with real steps: real ffmpeg mastering, the real bundled
Whisper model, a real SeaweedFS. No Prefect: the plain runner, as ``chorus regenerate`` and the
benchmarks use it.

A crash is simulated at every step boundary (the runner raises before a step starts, as a SIGKILL
there would leave things), then the same recording is offered again: it must end published exactly
once, listed in the feed once, and a transcription that had finished is never run again.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import podcastparser
import pytest

from chorus import sequence, steps
from chorus.catalog import Catalog, Episode
from chorus.settings import PublishSettings, Settings
from chorus.showfeed import feed_key
from chorus.steps import Context
from tests.chorus.test_publish import SCRIPT, http


class Crash(BaseException):
    """Stands for the process dying: not an error the sequence handles."""


def _ctx(bucket, root) -> Context:
    settings = Settings(data_dir=root / "data", publish=PublishSettings(bucket=bucket.name))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Context(settings, Catalog(settings.catalog), bucket)


def _crash_before(step: str):
    def run(name, fn, *args, **kwargs):
        if name == step:
            raise Crash(step)
        return fn(*args, **kwargs)
    return run


def _feed_titles(ctx: Context) -> list[str]:
    url = ctx.bucket.url(feed_key(ctx.settings, ctx.settings.default_show))
    status, _, body = http(url)
    assert status == 200
    return [e["title"] for e in podcastparser.parse(url, io.BytesIO(body))["episodes"]]


@pytest.fixture(scope="module")
def recording(synth):
    wav, _ = synth(SCRIPT)
    return wav


@pytest.mark.parametrize("boundary", ["transcribe", "notes", "publish-objects", "record", "feed", "finish"])
def test_a_crash_at_any_step_boundary_resumes_to_exactly_one_published_episode(
        boundary, recording, bucket, tmp_path, monkeypatch):
    ctx = _ctx(bucket, tmp_path)
    src = tmp_path / "inbox" / "check-in.wav"
    src.parent.mkdir()
    shutil.copyfile(recording, src)
    (tmp_path / "inbox" / "check-in.yaml").write_text("title: Weekly check-in\n")
    with pytest.raises(Crash):
        sequence.publish_recording(ctx, src, run=_crash_before(boundary))
    with ctx.catalog.session() as s:
        (ep,) = s.query(Episode).all()
        assert ep.status != "published"  # never published before its feed is written
    if boundary not in ("transcribe",):   # transcription had finished before the crash: never run again
        import transcripts

        def no_second_transcription(*a, **k):
            raise AssertionError("transcribed again after the crash")
        monkeypatch.setattr(transcripts, "transcribe", no_second_transcription)
    out = sequence.publish_recording(ctx, src)
    assert out.status == "published", out
    assert out.episode_id == ep.id
    assert _feed_titles(ctx) == ["Weekly check-in"]
    again = sequence.publish_recording(ctx, src)
    assert again.status == "duplicate" and again.episode_id == ep.id
    assert _feed_titles(ctx) == ["Weekly check-in"]
    assert src.exists(), "a file named by the user is copied, never moved"
    archived = list((ctx.settings.path("archive")).iterdir())
    assert sorted(p.name for p in archived) == ["check-in.wav", "check-in.yaml"]


def test_notes_follow_the_episode_language_not_english_defaults(recording, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    _, show = settings.get_show()
    from transcripts import Transcript

    assert steps.notes_options(show, Transcript(language="de", duration=1.0, segments=[])).language == "de"
    assert steps.notes_options(show, Transcript(language=None, duration=1.0, segments=[])).language == "en"


def test_a_bad_sidecar_fails_before_any_work_and_travels_with_its_recording(recording, bucket, tmp_path):
    ctx = _ctx(bucket, tmp_path)
    src = tmp_path / "talk.wav"
    shutil.copyfile(recording, src)
    (tmp_path / "talk.yaml").write_text("title: Talk\nguests: 3\n")
    out = sequence.publish_recording(ctx, src)
    assert out.status == "failed"
    assert "talk.yaml" in out.error and "guests" in out.error
    failed = ctx.settings.path("failed")
    assert (failed / "talk.wav").is_file() and (failed / "talk.yaml").is_file()
    assert "chorus retry" in (failed / "talk.wav.error.txt").read_text()
    assert not ctx.settings.path("work").exists(), "nothing was mastered for a bad sidecar"
    assert src.exists()


def test_scheduled_episode_is_released_only_at_its_time(recording, bucket, tmp_path):
    from datetime import timedelta

    from chorus.catalog import utcnow

    ctx = _ctx(bucket, tmp_path)
    src = tmp_path / "later.wav"
    shutil.copyfile(recording, src)
    when = utcnow() + timedelta(hours=2)
    (tmp_path / "later.yaml").write_text(f"title: Later\npublish_at: {when.isoformat()}\n")
    out = sequence.publish_recording(ctx, src)
    assert out.status == "scheduled", out
    status, _, body = http(out.feed_url)
    assert status == 404 or b"Later" not in body  # no feed item yet
    assert http(out.episode_url)[0] in (403, 404)  # no page yet
    assert sequence.rebuild_show(ctx, ctx.settings.default_show) == []  # not due: nothing released
    with ctx.catalog.session() as s:  # time passes
        s.get_one(Episode, out.episode_id).published_at = utcnow() - timedelta(seconds=1)
    assert sequence.rebuild_show(ctx, ctx.settings.default_show) == [out.episode_id]
    assert _feed_titles(ctx) == ["Later"]
    assert http(out.episode_url)[0] == 200
    with ctx.catalog.session() as s:
        assert s.get_one(Episode, out.episode_id).status == "published"


def test_a_failure_after_transcription_keeps_the_recording_claimed_for_retry(recording, bucket, tmp_path):
    """An invalid feed or refused credentials are not the recording's fault: it is never quarantined,
    and a retry after the fix reuses mastering and transcription."""
    from chorus.storage import StoreError

    ctx = _ctx(bucket, tmp_path)
    src = tmp_path / "good.wav"
    shutil.copyfile(recording, src)

    def refused(name, fn, *args, **kwargs):
        if name == "publish-objects":
            raise StoreError("S3 AccessDenied: check the [publish] settings and the credentials, then retry")
        return fn(*args, **kwargs)

    out = sequence.publish_recording(ctx, src, run=refused)
    assert out.status == "failed" and "AccessDenied" in out.error
    assert "/claimed/" in out.kept_at and Path(out.kept_at).is_file()
    assert not ctx.settings.path("failed").exists()
    again = sequence.publish_recording(ctx, Path(out.kept_at))
    assert again.status == "published" and again.episode_id == out.episode_id
