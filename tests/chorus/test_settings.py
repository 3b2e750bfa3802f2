"""Settings: TOML + CHORUS_ env vars, defaults, and the rule that every setting is documented."""
import re
from pathlib import Path

import pytest

from chorus.settings import (
    EditorSettings,
    EmbeddedSettings,
    FundingSettings,
    InboxSettings,
    ProcessingSettings,
    PublishSettings,
    Settings,
    SettingsError,
    ShowSettings,
    load_settings,
    validate_slug,
)

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


MODELS = [(Settings, ""), (InboxSettings, "inbox"), (ProcessingSettings, "processing"), (ShowSettings, "show"),
          (FundingSettings, "show.funding"), (PublishSettings, "publish"), (EmbeddedSettings, "embedded"),
          (EditorSettings, "editor")]
TABLES = ("inbox", "processing", "show", "shows", "publish", "embedded", "editor")


@pytest.mark.parametrize("model,table", MODELS)
def test_every_setting_is_documented_in_the_example(model, table):
    """DESIGN rule 8: a setting missing from chorus.example.toml fails here, and so does one documented
    under another table (each key is looked for only in its own table's part of the file)."""
    section = _example_section((ROOT / "chorus.example.toml").read_text(), table)
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no help text"
        if name in TABLES or (table == "show" and name == "funding"):
            continue  # a table of its own ([[show.funding]]): checked as its own model
        assert re.search(rf"^#? ?{name} = ", section, re.M), \
            f"{table or 'top-level'} setting {name!r} is not in the [{table}] part of chorus.example.toml"


def _example_section(text: str, table: str) -> str:
    r"""The lines of chorus.example.toml under ``[table]`` (or ``# [[table]]``), up to the next table header.

    >>> _example_section("a = 1\n[x]\nb = 2\n# [[x.y]]\n# c = 3\n[z]\n", "x.y")
    '# c = 3'
    >>> _example_section("a = 1\n[x]\nb = 2\n", "")
    'a = 1'
    """
    header = re.compile(r"^#? ?\[\[?([a-z_.]+)\]\]?\s*$")
    current, lines = "", []
    for line in text.splitlines():
        m = header.match(line)
        if m:
            current = m.group(1)
            continue
        if current == table:
            lines.append(line)
    return "\n".join(lines).strip()


def test_the_example_check_can_fail():
    """A key documented under the wrong table is not found: the check above is not satisfied by any match."""
    text = "[publish]\nbucket = 'x'\n[show]\ntitle = 'y'\n"
    assert re.search(r"^#? ?bucket = ", _example_section(text, "publish"), re.M)
    assert not re.search(r"^#? ?bucket = ", _example_section(text, "show"), re.M)


@pytest.mark.parametrize("model,table", MODELS)
def test_every_setting_is_documented_in_the_guide(model, table):
    """docs/configuration.md has a table row for every setting, under its table's heading."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    heading = f"`[{table}]`" if table else "Top level"
    assert heading in text, f"docs/configuration.md has no section {heading}"
    section = text.split(heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    for name in model.model_fields:
        assert f"| `{name}` |" in section, f"{table or 'top-level'} setting {name!r} is not in docs/configuration.md"


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


def _error(tmp_path, toml: str) -> str:
    cfg = tmp_path / "chorus.toml"
    cfg.write_text(toml)
    with pytest.raises(SettingsError) as e:
        load_settings(cfg)
    text = str(e.value)
    assert "\n" not in text and isinstance(e.value, ValueError)
    return text.replace(str(cfg), "chorus.toml")


@pytest.mark.parametrize("toml,expected", [
    ("poll_second = 1\n", "chorus.toml: unknown setting 'poll_second' (did you mean 'inbox.poll_seconds'?)"),
    ("[publsh]\nbucket = 'x'\n", "chorus.toml: unknown setting 'publsh' (did you mean 'publish'?)"),
    ("[show]\ntitel = 'x'\n", "chorus.toml: unknown setting 'show.titel' (did you mean 'show.title'?)"),
    ("[publish]\nbuckt = 'x'\n", "chorus.toml: unknown setting 'publish.buckt' (did you mean 'publish.bucket'?)"),
    ("[shows.trainees]\ntitel = 'x'\n",
     "chorus.toml: unknown setting 'shows.trainees.titel' (did you mean 'shows.trainees.title'?)"),
    ("[inbox]\nstable_second = 3\n",
     "chorus.toml: unknown setting 'inbox.stable_second' (did you mean 'inbox.stable_seconds'?)"),
    ("frobnicate = 1\n", "chorus.toml: unknown setting 'frobnicate'"),
])
def test_unknown_settings_name_the_file_the_key_and_a_suggestion(tmp_path, toml, expected):
    assert _error(tmp_path, toml) == expected


@pytest.mark.parametrize("toml,expected", [
    ("[inbox]\npoll_seconds = 'soon'\n", "chorus.toml: inbox.poll_seconds: input should be a valid number"),
    ("[processing]\nmax_parallel_episodes = 0\n",
     "chorus.toml: processing.max_parallel_episodes: input should be greater than or equal to 1 (got 0)"),
    ("[show]\nexplicit = 'maybe'\n", "chorus.toml: show.explicit: input should be a valid boolean"),
    ("[show]\nchannels = 3\n", "chorus.toml: show.channels: input should be 1 or 2 (got 3)"),
    ("[show]\nlanguage = 'English'\n", "chorus.toml: show.language: 'English' is not a BCP 47 tag"),
    ("[[show.funding]]\nurl = 'javascript:alert(1)'\n",
     "chorus.toml: show.funding.0.url: 'javascript:alert(1)' must be a plain http:// or https:// address"),
    ("[inbox]\nstable_seconds = 30\nmax_wait_seconds = 10\n",
     "chorus.toml: inbox: max_wait_seconds (10) must be at least stable_seconds (30)"),
    ("[publish\nbucket = 1\n", "chorus.toml: not valid TOML: "),
])
def test_wrong_values_are_one_line_naming_file_and_key(tmp_path, toml, expected):
    assert _error(tmp_path, toml).startswith(expected)


@pytest.mark.parametrize("value", ["../../etc", "/srv/shows", "Trainees", "a b", "", "a--b", "x" * 81])
def test_default_show_must_be_a_slug_from_the_file_or_the_environment(tmp_path, monkeypatch, value):
    assert _error(tmp_path, f"default_show = {value!r}\n").startswith(f"chorus.toml: default_show: {value!r} must be a slug")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    monkeypatch.setenv("CHORUS_DEFAULT_SHOW", value)
    with pytest.raises(SettingsError, match=r"^CHORUS_DEFAULT_SHOW: default_show: .* must be a slug"):
        load_settings(None)


def test_environment_typos_are_errors_that_name_the_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHORUS_HOME", str(tmp_path))  # prefect.yaml's own variable: not a setting, not an error
    monkeypatch.setenv("CHORUS_POLL_SECONDS", "1")
    with pytest.raises(SettingsError, match=r"^CHORUS_POLL_SECONDS: unknown setting 'poll_seconds' "
                                            r"\(did you mean CHORUS_INBOX__POLL_SECONDS\?\)$"):
        load_settings()
    monkeypatch.delenv("CHORUS_POLL_SECONDS")
    monkeypatch.setenv("CHORUS_PUBLISH__BUCKT", "x")
    with pytest.raises(SettingsError, match=r"^CHORUS_PUBLISH__BUCKT: unknown setting 'publish.buckt' "
                                            r"\(did you mean 'publish.bucket'\?\)$"):
        load_settings()
    monkeypatch.delenv("CHORUS_PUBLISH__BUCKT")
    monkeypatch.setenv("CHORUS_INBOX__POLL_SECONDS", "soon")
    with pytest.raises(SettingsError, match=r"^CHORUS_INBOX__POLL_SECONDS: inbox.poll_seconds: input should be"):
        load_settings()


@pytest.mark.parametrize("prefix", ["../up", "a/../b", "/abs", "a\\b", "a//b", "sp ace", "./a"])
def test_publish_prefix_is_safe_key_segments(tmp_path, prefix):
    toml = f"[publish]\nprefix = '{prefix}'\n"
    assert _error(tmp_path, toml).startswith(f"chorus.toml: publish.prefix: prefix {prefix!r} must be key segments")


def test_publish_prefix_keeps_plain_segments(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[publish]\nprefix = 'public/v1.2_x/'\n")
    s = load_settings(cfg)
    assert s.publish.prefix == "public/v1.2_x" and s.show_prefix("a") == "public/v1.2_x/a"


def test_inbox_table_and_its_path_shorthand(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert (s.inbox.path, s.inbox.poll_seconds, s.inbox.stable_seconds, s.inbox.max_wait_seconds) == \
        (Path("inbox"), 5.0, 15.0, 600.0)
    assert (s.processing.max_parallel_episodes, s.processing.transcriptions_at_once,
            s.processing.store_retry_minutes) == (2, 1, 10.0)
    cfg = tmp_path / "c.toml"
    cfg.write_text('inbox = "drop"\n')
    assert load_settings(cfg).inbox.path == Path("drop")
    cfg.write_text('[inbox]\npath = "drop2"\nstable_seconds = 3\n[processing]\nstore_retry_minutes = 0.5\n')
    s = load_settings(cfg)
    assert (s.inbox.path, s.inbox.stable_seconds, s.processing.store_retry_minutes) == (Path("drop2"), 3.0, 0.5)
    monkeypatch.setenv("CHORUS_INBOX", "/srv/drop")
    assert load_settings().inbox.path == Path("/srv/drop")


def test_jingles_and_artwork_are_read_from_the_config_folder(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    (conf / "jingles").mkdir(parents=True)
    (conf / "jingles" / "in.wav").write_bytes(b"RIFF")
    cfg = conf / "chorus.toml"
    cfg.write_text('[show]\nintro = "jingles/in.wav"\ndenoise = true\nshorten_pauses_over = 1.5\n'
                   '[[show.funding]]\nurl = "https://example.org/give"\n')
    monkeypatch.chdir(tmp_path)  # not the config's folder
    show = load_settings(cfg).get_show()[1]
    assert show.intro == (conf / "jingles" / "in.wav").resolve() and show.outro is None
    assert show.denoise and show.shorten_pauses_over == 1.5
    assert [(f.url, f.text) for f in show.funding] == [("https://example.org/give", "Support the show")]
    cfg.write_text('[shows.trainees]\noutro = "jingles/missing.wav"\n')
    with pytest.raises(SettingsError, match=r"chorus.toml: shows.trainees.outro: no such file 'jingles/missing.wav'"):
        load_settings(cfg)


def test_validate_slug_and_get_show_refuse_paths():
    assert validate_slug("trainees-2", "show") == "trainees-2"
    with pytest.raises(SettingsError, match=r"^show '\.\./x' must be a slug"):
        validate_slug("../x", "show")
    with pytest.raises(ValueError, match=r"must be a slug"):
        Settings().get_show("../x")


def test_funding_links_reach_the_feed(bucket, tmp_path):
    """[[show.funding]] becomes podcast:funding in the show's feed (text escaped once, read back with lxml)."""
    from lxml import etree

    from chorus.catalog import Catalog
    from chorus.showfeed import build_show_outputs

    cfg = tmp_path / "chorus.toml"
    cfg.write_text(f'[publish]\nbucket = "{bucket.name}"\n[[show.funding]]\nurl = "https://example.org/give"\n'
                   'text = "Buy us a <tea>"\n')
    settings = load_settings(cfg, tmp_path / "data")
    settings.data_dir.mkdir()
    out = build_show_outputs(bucket, settings, Catalog(settings.catalog), settings.default_show)
    found = etree.fromstring(out.feed).findall("channel/{https://podcastindex.org/namespace/1.0}funding")
    assert [(f.get("url"), f.text) for f in found] == [("https://example.org/give", "Buy us a <tea>")]


def test_trusted_proxies_are_addresses_or_networks(tmp_path):
    text = _error(tmp_path, '[editor]\ntrusted_proxies = ["nginx"]\n')
    assert "editor.trusted_proxies" in text and "'nginx' is not an IP address or network" in text, text
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[editor]\ntrusted_proxies = ["127.0.0.1", "::1", "10.0.0.7/8"]\n')
    assert load_settings(cfg).editor.trusted_proxies == ["127.0.0.1", "::1", "10.0.0.0/8"]
