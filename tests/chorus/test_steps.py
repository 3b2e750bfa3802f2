"""Plain steps without Prefect: claim (a copy, never the user's file), duplicates, resume after a
crash, the step cache, quarantine that never overwrites, and options from the show and sidecar."""
from dataclasses import dataclass
from pathlib import Path

import pytest

from chorus.catalog import Catalog
from chorus.settings import load_settings
from chorus.sidecar import load_sidecar
from chorus.steps import Context, cached_step, claim, quarantine, step_key, transcribe_options


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data")
    return Context(settings, Catalog(settings.catalog))


def test_claim_copies_refuses_duplicates_and_resumes_after_a_crash(ctx, tmp_path):
    rec = tmp_path / "talk.wav"
    rec.write_bytes(b"RIFF" + bytes(1000))
    first = claim(ctx, rec, None)
    assert not first.duplicate and first.show == ctx.settings.default_show
    assert first.source == ctx.settings.data_dir.resolve() / "claimed" / first.sha256 / "talk.wav"
    assert first.source.read_bytes() == rec.read_bytes() and rec.exists()  # copied, the user's file stays
    ctx.catalog.set_status(first.episode_id, "transcribing")  # ...then the machine crashed
    again = claim(ctx, rec, None)
    assert not again.duplicate and again.episode_id == first.episode_id  # resumed, not a second episode
    ctx.catalog.set_status(first.episode_id, "releasing")  # objects up, the feed not written: still not done
    assert not claim(ctx, rec, None).duplicate
    ctx.catalog.set_status(first.episode_id, "published")
    third = claim(ctx, rec, None)
    assert third.duplicate and third.episode_id == first.episode_id


def test_sidecar_show_must_be_a_configured_slug(ctx, tmp_path):
    rec = tmp_path / "talk.wav"
    rec.write_bytes(b"RIFF" + bytes(100))
    (tmp_path / "talk.yaml").write_text("show: ../../etc\n")
    with pytest.raises(ValueError, match="talk.yaml"):
        claim(ctx, rec, None)
    (tmp_path / "talk.yaml").write_text("show: trainees\n")
    with pytest.raises(ValueError, match="unknown show 'trainees'"):
        claim(ctx, rec, None)


@dataclass
class _Result:
    file: Path
    n: int


def test_cached_step_reuses_a_result_only_while_its_files_exist(tmp_path):
    calls = []

    def work():
        calls.append(1)
        out = tmp_path / "out.wav"
        out.write_bytes(b"x")
        return _Result(out, len(calls))

    key = step_key("sha", {"lufs": -16})
    assert cached_step(tmp_path, "master", key, work).n == 1
    assert cached_step(tmp_path, "master", key, work).n == 1  # reused after a "crash"
    assert cached_step(tmp_path, "master", step_key("sha", {"lufs": -19}), work).n == 2  # new options
    (tmp_path / "out.wav").unlink()
    assert cached_step(tmp_path, "master", step_key("sha", {"lufs": -19}), work).n == 3  # file gone


def test_quarantine_never_overwrites_an_earlier_failure(ctx, tmp_path):
    settings = ctx.settings
    for i in range(2):
        f = settings.data_dir / "claimed" / f"h{i}" / "bad.mp3"
        f.parent.mkdir(parents=True)
        f.write_bytes(b"not audio %d" % i)
        quarantine(settings, f, f"reason {i}")
    failed = settings.path("failed")
    assert (failed / "bad.mp3").read_bytes() == b"not audio 0"
    assert (failed / "bad.1.mp3").read_bytes() == b"not audio 1"
    assert "reason 1" in (failed / "bad.1.mp3.error.txt").read_text()
    outside = tmp_path / "mine.mp3"
    outside.write_bytes(b"x")
    quarantine(settings, outside, "bad")
    assert outside.exists() and (failed / "mine.mp3").exists()  # a user's own file is copied, not moved


def test_transcription_options_come_from_the_show_and_the_sidecar(ctx, tmp_path):
    _, show = ctx.settings.get_show()
    side = tmp_path / "t.yaml"
    side.write_text("host: [Ann Lee, Bo Chen]\nguests: [{name: Cy Dee, role: guest}]\n")
    people = load_sidecar(side)
    assert transcribe_options(show, people).language == "en"  # the show's
    assert transcribe_options(show, people).speakers == ["Ann Lee", "Bo Chen", "Cy Dee"]  # labels, not hotwords
    assert transcribe_options(show, people).glossary == show.glossary
    side.write_text("language: de\n")
    assert transcribe_options(show, load_sidecar(side)).language == "de"  # the episode's own
    side.write_text("language: auto\n")
    assert transcribe_options(show, load_sidecar(side)).language is None  # detected by the model
