"""``chorus flags``, ``chorus dismiss`` and ``chorus redact`` as an organiser meets them, on a catalog built
here: a table of flags, one-line messages and errors, and the republish step saying what happens next."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chorus import privacy_review as review
from chorus.catalog import Catalog
from chorus.cli_privacy import app
from chorus.services import free_port
from tests.chorus.test_privacy_review import NAME, build_episode, index, transcript
from transcripts import Transcript

ROOT = Path(__file__).parents[2]


@pytest.fixture
def data(tmp_path) -> tuple[Path, Catalog, int]:
    d = tmp_path / "data"
    catalog = Catalog(f"sqlite:///{(d / 'catalog.db').resolve()}")
    return d, catalog, build_episode(catalog)


def _offline() -> dict[str, str]:
    """An S3 endpoint nobody listens on: the store cannot be reached."""
    return {"CHORUS_PUBLISH__ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"}


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, [*args], env=env, catch_exceptions=False)


def test_flags_lists_kind_time_state_and_words(data):
    d, _catalog, ep = data
    r = _run("flags", str(ep), "--data-dir", str(d))
    assert r.exit_code == 0, r.output
    assert "3 flag(s)" in r.stdout and "Jane Doe" in r.stdout and "phone" in r.stdout
    assert re.search(r"\b0:05-0:06\b", r.stdout) and "open" in r.stdout


def test_flags_of_an_unknown_episode_is_one_line(data):
    d, _catalog, _ep = data
    r = _run("flags", "99", "--data-dir", str(d))
    assert r.exit_code == 1 and "there is no episode 99" in r.stderr and r.stderr.count("\n") == 1


def test_dismiss_records_who_and_why_and_the_table_shows_it(data):
    d, catalog, ep = data
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Welcome")
    r = _run("dismiss", str(ep), str(flag["id"]), "--reason", "a greeting [not] a name", "--by", "org",
             "--data-dir", str(d))
    assert r.exit_code == 0 and f"flag {flag['id']} (person) dismissed by org" in r.stderr
    r = _run("flags", str(ep), "--data-dir", str(d))
    assert "(dismissed by org: a greeting [not] a name)" in r.stdout  # brackets intact: never read as markup
    r = _run("dismiss", str(ep), str(flag["id"]), "--reason", " ", "--data-dir", str(d))
    assert r.exit_code == 1 and "a reason is required" in r.stderr and r.stderr.count("\n") == 1


def test_redact_words_without_a_reachable_store_says_what_republishes_it(data):
    d, catalog, ep = data
    t = transcript()
    jane = index(t, "Jane")
    r = _run("redact", str(ep), "--words", f"{jane}-{jane + 1}", "--by", "org", "--data-dir", str(d), env=_offline())
    assert f"episode {ep}: redacted 3 occurrence(s); transcript revision 3" in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert r.exit_code == 1 and "not republished yet" in line and "`chorus up`" in line and "cannot reach" in line
    new = Transcript.from_dict(catalog.latest_revision("transcript", ep).data)
    assert "Jane" not in new.text() and "[redacted]" in new.text()
    assert review.redactions(catalog, ep)[0]["by"] == "org"
    raw = b"".join(p.read_bytes() for p in d.glob("catalog.db*"))
    assert not NAME.search(raw)


def test_redact_refuses_unclear_or_impossible_requests_in_one_line(data):
    d, catalog, ep = data
    r = _run("redact", str(ep), "--data-dir", str(d))
    assert r.exit_code == 2 and "one of --flag ID, --words FIRST-LAST or --all-flags" in r.stderr
    r = _run("redact", str(ep), "--words", "9-3", "--data-dir", str(d))
    assert r.exit_code == 1 and "words 9-3 are not in transcript revision 2" in r.stderr
    assert r.stderr.count("\n") == 1
    r = _run("redact", str(ep), "--words", "a-b", "--data-dir", str(d))
    assert r.exit_code == 1 and "FIRST-LAST" in r.stderr
    assert catalog.latest_revision("transcript", ep).number == 2


def test_redact_all_flags_through_the_chorus_command(data):
    d, catalog, ep = data
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "PREFECT_API"))}, **_offline()}
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "redact", str(ep), "--all-flags", "--by", "org",
                           "--data-dir", str(d)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert f"episode {ep}: redacted 5 occurrence(s)" in proc.stderr, proc.stderr
    assert proc.returncode == 1 and "not republished yet" in proc.stderr and "Traceback" not in proc.stderr
    assert [f["state"] for f in review.flags(catalog, ep)] == ["redacted"] * 3
    assert Transcript.from_dict(catalog.latest_revision("transcript", ep).data).segments[0].text == \
        "[redacted] back. Today Bo Park joins us."


def _pitch(path: Path, start: float, end: float) -> float:
    """The strongest frequency (Hz) of the audio between two times, decoded with ffmpeg."""
    import numpy as np

    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(start), "-t", str(end - start), "-i", str(path),
                          "-ac", "1", "-ar", "16000", "-f", "s16le", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, dtype=np.int16).astype(float)
    return float(np.argmax(np.abs(np.fft.rfft(x))) * 16000 / len(x))


def test_purge_original_replaces_the_archived_recording_with_the_bleeped_master(data):
    d, catalog, ep = data
    original = d / "archive" / "ep1.wav"
    original.parent.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=24", "-ac", "2",
                    str(original)], check=True)
    before = original.read_bytes()
    from chorus.catalog import Episode

    with catalog.session() as s:
        s.get(Episode, ep).source_path = str(original)
    flag = next(f for f in review.flags(catalog, ep) if f["text"] == "Jane Doe")
    r = _run("redact", str(ep), "--flag", str(flag["id"]), "--purge-original", "--by", "org", "--data-dir", str(d),
             env=_offline())
    assert "the original ep1.wav now holds the redacted master" in r.stderr, r.stderr
    assert r.exit_code == 1 and "not republished yet" in r.stderr  # the store is offline; the original is done
    assert original.exists() and original.read_bytes() != before
    assert [p.name for p in original.parent.iterdir()] == ["ep1.wav"]  # no temporary file left beside it
    assert review.redactions(catalog, ep)[0]["check"]["original"] == "replaced"
    assert abs(_pitch(original, 5.6, 6.3) - 1000) < 20  # "Jane Doe" is bleeped
    assert abs(_pitch(original, 2.0, 4.0) - 440) < 20  # the rest is the recording
