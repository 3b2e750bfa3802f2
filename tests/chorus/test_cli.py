"""The CLI as a newcomer meets it: one-line errors printed as text (never read as markup), the layers
of the house (only the entry points import the flows), and the two commands in the README."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _chorus(tmp_path, *args, env=None):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "PREFECT_API"))}, **(env or {})}
    return subprocess.run([sys.executable, "-m", "chorus.cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_an_unknown_show_is_one_line_with_its_brackets_intact(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    proc = _chorus(tmp_path, "run", "--data-dir", "d", "--show", "nope", "x.wav")
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "[shows.nope]" in line, line  # rich markup would have eaten it


def test_a_show_that_is_not_a_slug_is_refused_before_anything_runs(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    proc = _chorus(tmp_path, "run", "--data-dir", "d", "--show", "../../etc", "x.wav")
    assert proc.returncode == 2 and "must be a slug" in proc.stderr
    assert not (tmp_path / "d" / "claimed").exists()


def test_a_misspelt_setting_names_the_file_and_the_key(tmp_path):
    (tmp_path / "chorus.toml").write_text("[publsh]\nbucket = 'x'\n")
    proc = _chorus(tmp_path, "status")
    assert proc.returncode == 2
    assert "chorus.toml" in proc.stderr and "publsh" in proc.stderr and "publish" in proc.stderr


def test_status_of_a_fresh_data_directory(tmp_path):
    proc = _chorus(tmp_path, "status", "--json", "--data-dir", "d")
    assert proc.returncode == 0 and proc.stdout == ""
    proc = _chorus(tmp_path, "status", "--data-dir", "d")
    assert proc.returncode == 0 and "Chorus episodes" in proc.stdout


def test_retry_of_something_unknown_is_one_line(tmp_path):
    proc = _chorus(tmp_path, "retry", "--data-dir", "d", "42")
    assert proc.returncode == 1 and "there is no episode 42" in proc.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_entry_points_import_the_flows_and_the_flows_never_import_them():
    """The layers: core (chorus.steps, chorus.sequence, ...) <- flows <- entry points (chorus.cli,
    chorus.service). No module of the core knows about Prefect's flows; no cycle between modules."""
    entry = {"cli.py", "service.py"}
    for path in (ROOT / "chorus").glob("*.py"):
        uses_flows = any(m == "flows" or m.startswith("flows.") for m in _imports(path))
        assert not uses_flows or path.name in entry, f"chorus/{path.name} imports flows"
    for path in (ROOT / "flows").glob("*.py"):
        mods = _imports(path)
        assert not {"chorus.cli", "chorus.service"} & mods, f"flows/{path.name} imports an entry point"


def test_ci_runs_only_the_readme_test_command():
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[-1].strip() == "exec make test"
    assert all(ln.startswith(("set ", "cd ", "exec make test")) for ln in lines), lines
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
