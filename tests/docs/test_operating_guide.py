"""The operator's guide (``docs/operating.md``) and its systemd units (``docs/systemd/``) against the code.

Fast and without services: each ``chorus`` command line of the guide's shell blocks and each unit's
``ExecStart`` goes through Chorus's real argument parser (typer's click command, parsed, never run); each
TOML block through ``chorus.settings.load_settings``; each relative link must point at a file; the unit
files must parse, carry what the guide says they carry, and appear in the guide verbatim. Where systemd is
installed (``make test`` installs it), ``systemd-analyze verify`` checks the units as systemd itself reads them.
"""
from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer

try:  # typer vendors its own click (typer._click) since 0.2x; older ones use click itself
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click

from chorus.cli import app
from chorus.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operating.md"
UNITS_DIR = ROOT / "docs" / "systemd"
UNITS = sorted(UNITS_DIR.glob("*.service"))
ENV_EXAMPLE = UNITS_DIR / "chorus.env.example"
INSTALLED = "/opt/chorus/.venv/bin/chorus"
"""Where the units expect Chorus (the guide installs its source tree in /opt/chorus)."""

_FENCE = re.compile(r"^[ \t]*```([\w-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)  # indented in lists too
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")"}
_SUDO_ARG = {"-u", "-g", "-C", "-D", "-h", "-p", "-U", "-r", "-t", "-T"}


def _blocks(text: str, *langs: str) -> list[tuple[int, str]]:
    """(first line number, body) of each fenced block in one of ``langs``."""
    out = []
    for m in _FENCE.finditer(text):
        if m.group(1) in langs:
            out.append((text.count("\n", 0, m.start(2)) + 1, m.group(2)))
    return out


def _logical_lines(body: str, first: int):
    """Lines of a shell block with backslash continuations joined, with their line numbers."""
    pending, start = "", first
    for n, line in enumerate(body.splitlines(), first):
        if not pending:
            start = n
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _simple_commands(line: str) -> list[list[str]]:
    """A shell line's simple commands, as words (comments dropped, ``&&``, ``;``, ``|`` split)."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    words, out = [], []
    for tok in lex:
        if tok in _SEPARATORS or set(tok) <= set(";&|()"):
            out.append(words)
            words = []
        else:
            words.append(tok)
    out.append(words)
    return [w for w in out if w]


def _chorus_argv(words: list[str]) -> list[str] | None:
    """The arguments after ``chorus`` when this simple command runs Chorus (plainly, through a path such as
    ``.venv/bin/chorus``, behind ``sudo -u chorus``, ``env`` or ``exec``, or after ``VAR=value``); else None."""
    i = 0
    while i < len(words):
        w = words[i]
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w) or w in ("env", "exec", "command"):
            i += 1
        elif w == "sudo":
            i += 1
            while i < len(words) and words[i].startswith("-"):
                i += 2 if words[i] in _SUDO_ARG else 1
        else:
            break
    if i < len(words) and Path(words[i]).name == "chorus":
        return words[i + 1:]
    return None


def _parse(argv: list[str]) -> None:
    """Parse ``chorus ARGV`` with Chorus's own parser, down to the sub-command, running nothing.

    Raises ``click.UsageError`` (or ``click.BadParameter``) for an unknown command or option, a missing
    argument, or a value of the wrong type."""
    cmd = typer.main.get_command(app)
    ctx = cmd.make_context("chorus", list(argv), resilient_parsing=False)
    while hasattr(cmd, "resolve_command"):  # a group (chorus, chorus db, chorus user): on to its sub-command
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = cmd.resolve_command(ctx, rest)
        cmd = sub
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=False)


def _guide_commands() -> list[tuple[str, int, list[str]]]:
    """(where, line, argv) of every ``chorus`` command in the guide's sh/console blocks."""
    text = GUIDE.read_text()
    found = []
    for first, body in _blocks(text, "sh", "bash", "shell", "console"):
        for n, line in _logical_lines(body, first):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("$ "):
                stripped = stripped[2:]
            if re.match(r"^[A-Za-z_][\w-]*\s*\(\)\s*\{", stripped):  # a shell function's definition
                continue
            for words in _simple_commands(stripped):
                argv = _chorus_argv(words)
                if argv is not None:
                    found.append((f"docs/operating.md:{n}", n, argv))
    return found


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(), source=str(path))
    return parser


def _exec_starts(text: str) -> list[str]:
    """Every non-empty ``ExecStart=`` value of a unit file or drop-in (``ExecStart=`` alone resets)."""
    return [m.group(1).strip() for m in re.finditer(r"^ExecStart=(.*)$", text, re.M) if m.group(1).strip()]


def _expand_specifiers(value: str) -> str:
    """systemd's specifiers in an ExecStart, as systemd would fill them for an instance ``w1``."""
    names = {"i": "w1", "I": "w1", "n": "chorus-worker@w1.service", "N": "chorus-worker@w1", "p": "chorus-worker",
             "H": "host", "h": "/var/lib/chorus", "u": "chorus", "%": "%"}
    return re.sub(r"%(.)", lambda m: names.get(m.group(1), m.group(0)), value)


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# (a) every command line parses ------------------------------------------------------------------------

def test_every_chorus_command_in_the_guide_parses():
    commands = _guide_commands()
    problems = []
    for where, _n, argv in commands:
        try:
            _parse(argv)
        except click.ClickException as e:
            problems.append(f"{where}: chorus {shlex.join(argv)}: {e.format_message()}")
    _fail_on(problems)
    # the guide's own commands, so that this test cannot pass on a guide that lost them
    seen = {tuple(a[:2]) for _w, _n, a in commands} | {(a[0],) for _w, _n, a in commands if a}
    for needed in [("up",), ("worker",), ("deploy",), ("db", "upgrade"), ("db", "backup"), ("rebuild",),
                   ("status",), ("user", "add")]:
        assert needed in seen, f"docs/operating.md no longer shows `chorus {' '.join(needed)}`"


def test_the_parser_check_catches_a_wrong_command():
    """The check above can fail: a misspelt option or a missing argument is an error of Chorus's parser."""
    for bad in (["worker", "--nmae", "w1"], ["up", "--on-worker"], ["db", "upgrad"], ["rebuild"],
                ["worker", "--limit", "0"]):
        with pytest.raises(click.ClickException):
            _parse(bad)
    _parse(["worker", "--name", "w1", "--limit", "2"])


def test_every_exec_start_parses():
    texts = {str(u.relative_to(ROOT)): u.read_text() for u in UNITS}
    # drop-ins and units shown in the guide's ini blocks too
    for first, body in _blocks(GUIDE.read_text(), "ini"):
        texts[f"docs/operating.md:{first}"] = body
    problems, checked = [], 0
    for where, text in texts.items():
        for value in _exec_starts(text):
            argv = shlex.split(_expand_specifiers(value))
            if argv[0] != INSTALLED:
                problems.append(f"{where}: ExecStart runs {argv[0]}, not {INSTALLED}")
                continue
            try:
                _parse(argv[1:])
                checked += 1
            except click.ClickException as e:
                problems.append(f"{where}: ExecStart={value}: {e.format_message()}")
    _fail_on(problems)
    assert checked >= len(UNITS) + 1  # each unit, and the --on-workers drop-in


# (b) the unit files ------------------------------------------------------------------------------------

def test_units_parse_and_carry_what_the_guide_says():
    assert {u.name for u in UNITS} >= {"chorus.service", "chorus-worker@.service", "chorus-editor.service"}
    stop_signal = {"chorus.service": "SIGTERM", "chorus-worker@.service": "SIGTERM", "chorus-editor.service": "SIGINT"}
    command = {"chorus.service": "up", "chorus-worker@.service": "worker", "chorus-editor.service": "editor"}
    for path in UNITS:
        unit = _unit(path)
        assert {"Unit", "Service", "Install"} <= set(unit.sections()), path.name
        service = unit["Service"]
        assert service.get("User") == "chorus", path.name
        assert service.get("EnvironmentFile") == "/etc/chorus/chorus.env", path.name
        assert service.get("WorkingDirectory") == "/var/lib/chorus", path.name
        assert service.get("Restart") == "on-failure", path.name
        assert service.get("KillSignal") == stop_signal[path.name], path.name
        assert unit["Install"].get("WantedBy") == "multi-user.target", path.name
        argv = shlex.split(service["ExecStart"])
        assert argv[1] == command[path.name], path.name
    worker = _unit(UNITS_DIR / "chorus-worker@.service")["Service"]["ExecStart"]
    assert "--name %i" in worker and "/workers/%i" in worker


def test_the_guide_shows_each_unit_and_the_environment_file_verbatim():
    shown = [body.strip("\n") for _n, body in _blocks(GUIDE.read_text(), "ini", "sh")]
    stale = [path.name for path in [*UNITS, ENV_EXAMPLE] if path.read_text().strip("\n") not in shown]
    assert not stale, f"docs/operating.md does not show these files as they are: {stale}"


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """systemd's own reading of the units (``make test`` installs Debian's systemd package for it). The units
    name /opt/chorus/.venv/bin/chorus, which systemd checks for: the copies verified here name this
    checkout's ``chorus`` instead, nothing else changed."""
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: run make test (it installs Debian's systemd package)", pytrace=False)
    here = Path(sys.executable).parent / "chorus"
    assert here.exists()
    paths = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED, str(here)))
        paths.append(str(copy))
    r = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60)
    # a misspelt key or value is only a warning on stderr (exit 0): any output is a failure
    assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), r.stderr or r.stdout


# (c) settings named in the guide exist ------------------------------------------------------------------

def test_every_toml_block_is_accepted_by_the_settings(tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.upper().startswith("CHORUS_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no ./chorus.toml but the ones written here
    blocks = _blocks(GUIDE.read_text(), "toml")
    problems, publish_keys = [], set()
    for n, body in blocks:
        config = tmp_path / f"block-{n}.toml"
        config.write_text(body)
        try:
            load_settings(config)
        except Exception as e:  # noqa: BLE001 - any refusal is the finding
            problems.append(f"docs/operating.md:{n}: {type(e).__name__}: {e}")
        publish_keys |= set(tomllib.loads(body).get("publish", {}))
    _fail_on(problems)
    assert len(blocks) >= 6
    assert publish_keys >= {"bucket", "prefix", "private_prefix", "endpoint_url", "region", "public_base_url"}


def test_a_misspelt_setting_in_a_block_would_fail(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "bad.toml"
    config.write_text('[publish]\naddressing_style = "path"\n')
    with pytest.raises(ValueError, match="addressing_style"):
        load_settings(config)


def test_the_environment_example_names_real_settings(tmp_path, monkeypatch):
    """Each CHORUS_ variable of chorus.env.example (commented or not) is a setting Chorus accepts."""
    for key in [k for k in os.environ if k.upper().startswith("CHORUS_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    found = re.findall(r"^#?(CHORUS_[A-Z0-9_]+)=(\S+)$", ENV_EXAMPLE.read_text(), re.M)
    assert {k for k, _v in found} >= {"CHORUS_DATA_DIR", "CHORUS_CATALOG_URL"}
    for key, value in found:
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert str(settings.data_dir) == "/var/lib/chorus/data"
    assert settings.catalog_url.startswith("postgresql+psycopg://")


# (d) links, and the JSON samples ---------------------------------------------------------------------

def test_every_relative_link_points_at_a_file():
    text = GUIDE.read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    problems, relative = [], 0
    for target in links:
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        relative += 1
        path = (GUIDE.parent / target.split("#")[0]).resolve()
        if not path.exists():
            problems.append(f"docs/operating.md links to {target}: no such file ({path})")
    _fail_on(problems)
    assert relative >= 5


def test_every_anchor_link_names_a_heading_of_the_guide():
    text = GUIDE.read_text()
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
             for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    missing = [a for a in re.findall(r"\]\(#([^)\s]+)\)", text) if a not in slugs]
    assert not missing, f"docs/operating.md links to sections it does not have: {missing}"


def test_json_samples_parse_and_never_open_the_private_prefix():
    blocks = _blocks(GUIDE.read_text(), "json")
    assert len(blocks) >= 2
    for n, body in blocks:
        doc = json.loads(body)
        for statement in doc.get("Statement", []):
            if statement.get("Principal") == "*":
                resources = statement["Resource"]
                for r in [resources] if isinstance(resources, str) else resources:
                    assert "/public/" in r and "private" not in r, f"docs/operating.md:{n}: {r}"
