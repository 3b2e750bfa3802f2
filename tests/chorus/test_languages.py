"""A show in several languages (``languages = ["sv", "en"]``): each episode's language is detected among the
listed ones only, an unsure vote holds the episode (nothing published, one line asking for its language), and a
sidecar ``language`` then lets ``chorus retry`` publish it. Real parts: espeak-ng speech, ffmpeg mastering,
the multilingual base model, a real SeaweedFS; the plain sequence, as ``chorus retry`` runs it without Prefect.
"""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import podcastparser
import pytest

from chorus import sequence
from chorus.catalog import Catalog, Episode, TranscriptRevision
from chorus.reporting import episode_rows
from chorus.retrying import take_back
from chorus.settings import PublishSettings, Settings, SettingsError, ShowSettings, load_settings
from chorus.showfeed import feed_key
from chorus.sidecar import Sidecar
from chorus.steps import Context, transcribe_options
from tests.chorus.test_publish import http

SCRIPTS = Path(__file__).parents[1] / "data" / "scripts"


@pytest.fixture(scope="module", autouse=True)
def model_cache(tmp_path_factory):
    """``whisper_model = "base"`` is assembled into a fresh cache for this module, never into ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


def _show(**kw) -> ShowSettings:
    # about languages: published once the language is known (personal data is flagged in English only; a show
    # whose review is "flagged" holds other languages for a person: tests/e2e/test_privacy.py)
    return ShowSettings(whisper_model="base", language="sv", review="after", **kw)


# --- the setting -------------------------------------------------------------------------------------

def test_languages_are_bcp47_tags_two_or_more_and_need_a_multilingual_model(tmp_path):
    assert _show(languages=["sv", "en-GB"]).languages == ["sv", "en-GB"]
    assert _show().languages == []  # the default: every episode is in `language`, as given
    with pytest.raises(ValueError, match="'Swedish' is not a BCP 47 tag"):
        _show(languages=["Swedish", "en"])
    with pytest.raises(ValueError, match="give two or more, or set language = 'sv'"):
        _show(languages=["sv"])
    with pytest.raises(ValueError, match="'sv' needs a multilingual Whisper model"):
        ShowSettings(language="en", languages=["en", "sv"])  # the bundled tiny.en is English-only
    cfg = tmp_path / "chorus.toml"
    cfg.write_text('[show]\nwhisper_model = "base"\nlanguages = ["sv", "<b>"]\n')
    with pytest.raises(SettingsError) as err:
        load_settings(cfg)
    assert "languages" in str(err.value) and "'<b>' is not a BCP 47 tag" in str(err.value)
    assert "\n" not in str(err.value)


def test_listed_languages_are_detected_among_unless_the_sidecar_names_one():
    show = _show(languages=["sv", "en"])
    opts = transcribe_options(show, Sidecar())
    assert opts.language is None and opts.languages == ["sv", "en"]  # detected, among these only
    assert transcribe_options(show, Sidecar(language="en")).language == "en"  # the episode's own, as given
    assert transcribe_options(show, Sidecar(language="auto")).language is None
    assert transcribe_options(_show(), Sidecar()).language == "sv" and transcribe_options(_show(), Sidecar()).languages == []


# --- held, then published after a person names the language -----------------------------------------

def _ctx(bucket, root: Path) -> Context:
    # review "after": this is about languages (a Swedish episode is held for a person under the default policy)
    show = {"title": "Samtal", "whisper_model": "base", "language": "sv", "languages": ["sv", "en"],
            "review": "after"}
    settings = Settings(data_dir=root / "data", publish=PublishSettings(bucket=bucket.name), show=show)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Context(settings, Catalog(settings.catalog), bucket)


@pytest.fixture(scope="module")
def swedish(synth):
    """Four turns (about 20 s) of the Swedish discussion: base hears Latin in espeak-ng's Swedish (sv gets
    about 0.01 of the vote, English 0.1), so detection among sv and en cannot tell."""
    script = json.loads((SCRIPTS / "lang-ten-sv.json").read_text())
    return synth({**script, "turns": script["turns"][:4]})


def test_an_unsure_episode_is_held_with_one_line_then_a_sidecar_language_publishes_it(swedish, bucket, tmp_path):
    ctx = _ctx(bucket, tmp_path)
    src = tmp_path / "inbox" / "samtal.wav"
    src.parent.mkdir()
    shutil.copyfile(swedish[0], src)
    out = sequence.publish_recording(ctx, src)
    assert out.status == "held", out
    side = ctx.settings.data_dir.resolve() / "claimed" / Path(out.kept_at).parent.name / "samtal.yaml"
    assert out.error.startswith("held: cannot tell whether this recording is in sv or en (sv 0.0")
    assert "\n" not in out.error and f"(`language: sv` or `language: en` in {side})" in out.error
    assert out.error.endswith(f"run `chorus retry {out.episode_id}`")
    assert bucket.keys("") == []  # nothing published: no audio, no transcript, no page, no feed
    assert ctx.catalog.current_revision(TranscriptRevision, out.episode_id) is None  # nothing transcribed
    assert Path(out.kept_at).is_file() and not (ctx.settings.path("failed") / "samtal.wav").exists()
    (row,) = episode_rows(ctx.settings)
    assert row["status"] == "held" and row["error"] == out.error  # `chorus status` says why

    side.write_text("language: sv\n")  # what the message asks for, then `chorus retry <id>`
    path, show = take_back(ctx.settings, str(out.episode_id))
    assert path == Path(out.kept_at)
    again = sequence.publish_recording(ctx, path, show)
    assert again.status == "published" and again.episode_id == out.episode_id, again
    rev = ctx.catalog.current_revision(TranscriptRevision, out.episode_id)
    assert rev.data["language"] == "sv" and len(rev.data["segments"]) >= 2
    url = bucket.url(feed_key(ctx.settings, ctx.settings.default_show))
    _, _, body = http(url)
    assert [e["title"] for e in podcastparser.parse(url, io.BytesIO(body))["episodes"]] == ["Samtal"]
    with ctx.catalog.session() as s:
        assert s.get_one(Episode, out.episode_id).error is None
