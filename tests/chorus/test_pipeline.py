"""Plain pipeline steps without Prefect: claim, duplicates, resume after a crash, quarantine."""
from dataclasses import dataclass
from pathlib import Path

import pytest

from chorus.catalog import Catalog
from chorus.errors import ChorusError
from chorus.pipeline import cached_step, claim, quarantine, read_sidecar, step_key
from chorus.settings import load_settings


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data")
    return settings, Catalog(settings.catalog), tmp_path


def test_claim_duplicate_and_resume_after_a_crash(env):
    settings, catalog, tmp = env
    rec = tmp / "talk.wav"
    rec.write_bytes(b"RIFF" + bytes(1000))
    first = claim(settings, catalog, rec, None)
    assert not first.duplicate and first.show == settings.default_show
    catalog.set_status(first.episode_id, "transcribing")  # ...then the machine crashed
    again = claim(settings, catalog, rec, None)
    assert not again.duplicate and again.episode_id == first.episode_id  # resumed, not a second episode
    catalog.set_status(first.episode_id, "published")
    third = claim(settings, catalog, rec, None)
    assert third.duplicate and third.episode_id == first.episode_id


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


def test_quarantine_never_overwrites_an_earlier_failure(env):
    settings, _, tmp = env
    for i in range(2):
        f = tmp / "bad.mp3"
        f.write_bytes(b"not audio %d" % i)
        quarantine(settings, f, f"reason {i}")
    failed = settings.path("failed")
    assert (failed / "bad.mp3").read_bytes() == b"not audio 0"
    assert (failed / "bad.1.mp3").read_bytes() == b"not audio 1"
    assert "reason 1" in (failed / "bad.1.mp3.error.txt").read_text()


def test_malformed_sidecar_is_a_clear_error(tmp_path):
    (tmp_path / "t.mp3").write_bytes(b"x")
    (tmp_path / "t.json").write_text("{not json")
    with pytest.raises(ChorusError, match="sidecar is not valid JSON"):
        read_sidecar(tmp_path / "t.mp3")


def test_transcription_language_comes_from_the_show_the_sidecar_or_detection(env):
    from chorus.pipeline import transcribe_options

    settings, _, _ = env
    _, show = settings.get_show()
    host_and_guest = {"host": "Ann Lee", "guests": [{"name": "Bo Chen"}]}
    assert transcribe_options(show, host_and_guest).language == "en"  # the show's
    assert transcribe_options(show, {"language": "de"}).language == "de"  # the episode's own
    assert transcribe_options(show, {"language": "auto"}).language is None  # detected by the model
    assert transcribe_options(show, host_and_guest).speakers == ["Ann Lee", "Bo Chen"]  # labels, not hotwords
    assert transcribe_options(show, host_and_guest).glossary == show.glossary
