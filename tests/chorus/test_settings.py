"""Settings: TOML + CHORUS_ env vars, defaults, and the rule that every setting is documented."""
import re
from pathlib import Path

import pytest

from chorus.settings import EmbeddedSettings, PublishSettings, Settings, ShowSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_toml_and_env_nesting(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[show]\ntitle = "Therapists Connect"\n[shows.trainees]\nlanguage = "de"\nwhisper_model = "base"\n'
                   '[publish]\nbucket = "from-toml"\nprefix = "p"\n')
    monkeypatch.setenv("CHORUS_PUBLISH__BUCKET", "from-env")
    s = load_settings(cfg)
    assert s.publish.bucket == "from-env" and s.publish.prefix == "p"  # env beats the file
    assert s.get_show()[1].title == "Therapists Connect"
    assert s.get_show("trainees")[1].language == "de"
    assert s.show_prefix("trainees") == "p/trainees"
    with pytest.raises(ValueError, match="unknown show 'nope'"):
        s.get_show("nope")


def test_defaults_work_with_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.default_show in s.shows and s.catalog.startswith("sqlite:///")


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_non_ascii_show_slug_is_refused(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[shows."Thérapie"]\ntitle = "x"\n')
    with pytest.raises(ValueError, match="lowercase ASCII"):
        load_settings(cfg)


@pytest.mark.parametrize("model,table", [(Settings, ""), (ShowSettings, "show"), (PublishSettings, "publish"),
                                         (EmbeddedSettings, "embedded")])
def test_every_setting_is_documented_in_the_example(model, table):
    """DESIGN rule 8: a setting missing from chorus.example.toml fails here."""
    text = (ROOT / "chorus.example.toml").read_text()
    for name, field in model.model_fields.items():
        if name in ("show", "shows", "publish", "embedded"):
            assert f"[{name}" in text or f"[{name}." in text or name == "shows"
            continue
        assert field.description, f"{model.__name__}.{name} has no help text"
        assert re.search(rf"^#? ?{name} = ", text, re.M), f"{table or 'top-level'} setting {name!r} is not in chorus.example.toml"


def test_example_config_loads(tmp_path):
    s = load_settings(ROOT / "chorus.example.toml")
    assert s.get_show()[1].glossary == ["#TherapistsConnect", "BACP", "SCoPEd"]


def test_a_show_in_another_language_needs_the_multilingual_model(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[shows.kapitel]\ntitle = "Kapitel"\nlanguage = "de"\n')
    with pytest.raises(ValueError, match='language \'de\' needs a multilingual .* whisper_model = "base"'):
        load_settings(cfg)
    cfg.write_text('[shows.kapitel]\ntitle = "Kapitel"\nlanguage = "de"\nwhisper_model = "base"\n')
    assert load_settings(cfg).shows["kapitel"].language == "de"
