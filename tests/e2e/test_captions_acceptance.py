"""Issue #11's "Done when", tried as a new user would: `chorus run --json` with no sidecar and default
settings, on held-out scripts written before any tuning (tests/data/scripts/captions-holdout-*.json).

One run publishes all six recordings into one fresh data directory (embedded SeaweedFS, a real Prefect
server). Each recording is then scored from what was published: the latest transcript revision in
the catalog and the VTT object in the bucket, against the script's ground truth moved onto the
mastered clock (mastering trims leading silence; the catalog keeps the source spans it kept).

Per recording and criterion (``CRITERIA``): coverage ≥ 99 %; the number of speakers found equals the
true number; ≥ 90 % of words on the right speaker after the best one-to-one mapping of labels;
0 caption problems (``transcripts.formats.caption_problems`` on the published cues, with the
transcript's words inside each cue); turn starts (true start to the nearest cue start) ≤ 0.25 s
median and ≤ 1.0 s worst. ``bench/captions_acceptance.py`` runs the same and writes the table.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import statistics
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS
from tests.support.measure import speaker_score, turn_start_errors

__all__ = ["HOLDOUT", "CRITERIA", "MISSES", "render_options", "inbox_name", "chorus_run", "read_published",
           "on_master_clock", "published_cues", "score", "verdicts"]

# Measured misses, (recording, criterion) -> the figure; every entry is a strict xfail. Re-measure with
# bench/captions_acceptance.py (it prints the entries a run needs) and keep docs/bench/captions-acceptance.md
# in step. Measured 2026-12-03 13:59 UTC on c2dbdbe (after the #11 speaker and timing work; the first run, on
# 4908a36 before it, also missed interview-long-pauses: 4 speakers found for 2, 80.7 %).
MISSES: dict[tuple[str, str], str] = {
    ("captions-holdout-panel-four", "speaker_count"): "3 speakers found for 4",
    ("captions-holdout-panel-four", "attribution"): "77.7 % of words attributed (≥ 90 %)",
    ("captions-holdout-quiet-guest", "speaker_count"): "2 speakers found for 3",
    ("captions-holdout-quiet-guest", "attribution"): "87.8 % of words attributed (≥ 90 %)",
    ("captions-holdout-quiet-guest", "turn_starts"):
        "turn starts 0.13 s median / 2.54 s worst (≤ 0.25 / 1.0 s): the co-host's question merged into the guest's cue",
    ("captions-holdout-trainee-qa", "speaker_count"): "2 speakers found for 3",
    ("captions-holdout-trainee-qa", "attribution"): "72.2 % of words attributed (≥ 90 %)",
    ("captions-holdout-panel-four", "turn_starts"):
        "turn starts 0.11 s median / 1.29 s worst (≤ 0.25 / 1.0 s), since the fresh install of 2026-12-04 (faster-whisper 1.2.1, ctranslate2 4.8.5, PyAV 18.1.0, onnxruntime 1.32.0, numpy 2.4.6); it passed in the environment of 2026-12-03",
}

HOLDOUT = sorted(p.stem for p in SCRIPTS.glob("captions-holdout-*.json"))
CRITERIA = ("coverage", "speaker_count", "attribution", "captions", "turn_starts")
COVERAGE, ATTRIBUTION, START_MEDIAN, START_WORST = 0.99, 0.90, 0.25, 1.0

pytestmark = pytest.mark.e2e


def render_options(name: str) -> dict:
    """How the recording is sent (the script's ``render`` block: format, noise, rate, channels)."""
    return json.loads((SCRIPTS / f"{name}.json").read_text())["render"]


def inbox_name(name: str) -> str:
    """The file name a member would send it under, e.g. ``supervision-group.mp3``."""
    return f"{name.removeprefix('captions-holdout-')}.{render_options(name).get('fmt', 'wav')}"


def chorus_run(files: list[Path], data: Path, env: dict, cwd: Path, timeout: float = 1800) -> list[dict]:
    """``chorus run --json FILES`` into the data directory ``data``; one result dict per input."""
    proc = subprocess.run([sys.executable, "-m", "chorus.cli", "run", "--json", "--data-dir", str(data),
                           *map(str, files)], capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(results) != len(files):
        raise RuntimeError(f"chorus run exit {proc.returncode}: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    return results


@contextmanager
def _environ(env: dict):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def read_published(results: list[dict], data: Path, env: dict) -> dict[str, dict]:
    """Source file name -> {status, transcript (latest revision), vtt (the published object's text),
    kept (the source spans mastering kept), duration}, read from the catalog and the bucket."""
    from chorus.catalog import Catalog, Episode, TranscriptRevision
    from chorus.runtime import open_bucket
    from chorus.settings import load_settings
    from transcripts import Transcript

    out = {}
    with _environ(env):  # the same settings the run had (the embedded store's port)
        settings = load_settings(None, data)
        catalog = Catalog(settings.catalog)
        with open_bucket(settings) as bucket:
            for res in results:
                row = {"status": res["status"], "error": res.get("error")}
                if res["episode_id"] is not None:
                    with catalog.session() as s:
                        ep = s.get_one(Episode, res["episode_id"])
                        objects, row["kept"], row["duration"] = ep.objects or {}, (ep.media or {}).get("kept"), ep.duration
                    rev = catalog.latest_revision(TranscriptRevision, res["episode_id"])
                    row["transcript"] = Transcript.from_dict(rev.data) if rev else None
                    got = bucket.get_bytes(objects["vtt"]["key"]) if "vtt" in objects else None
                    row["vtt"] = got[0].decode("utf-8") if got else None
                out[Path(res["source"]).name] = row
    return out


def on_master_clock(truth: dict, kept: list[list[float]] | None) -> dict:
    """The synth truth with every turn's times moved through the source spans mastering kept."""
    def move(t: float) -> float:
        done = 0.0
        for a, b in kept or [[0.0, float("inf")]]:
            if t <= b:
                return done + max(0.0, t - a)
            done += b - a
        return done
    return {**truth, "turns": [{**x, "start": move(x["start"]), "end": move(x["end"])} for x in truth["turns"]]}


def _seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def published_cues(vtt: str, words) -> list:
    """The published VTT as ``Cue``s (lines as a reader sees them, the voice tag's speaker), each with
    the transcript's words it shows, so the silence and speaker rules apply too. Words are matched in
    order by their text (a cue stretched to its minimum duration can outlast its last word); a cue
    whose text does not match takes the words whose middle falls inside it."""
    import webvtt

    from transcripts.formats import Cue

    cues, i = [], 0
    for c in webvtt.from_string(vtt).captions:
        start, end = _seconds(c.start), _seconds(c.end)
        lines = [html.unescape(x) for x in c.text.splitlines()]
        cue = Cue(start, end, lines, c.voice, named=bool(c.voice) and lines[0].startswith(f"{c.voice}: "))
        shown = cue.text.split()
        run = words[i:i + len(shown)]
        if " ".join(w.text for w in run).split() == shown:
            cue.words, i = run, i + len(shown)
        else:
            cue.words = [w for w in words if start <= (w.start + w.end) / 2 < end]
        cues.append(cue)
    return cues


def score(row: dict, truth: dict) -> dict:
    """The figures for one published recording against its (source-clock) synth truth."""
    from transcripts.formats import caption_problems

    t = row.get("transcript")
    if t is None or row.get("vtt") is None:
        return {"status": row["status"], "error": row.get("error")}
    truth = on_master_clock(truth, row.get("kept"))
    words = t.words()
    true_n, found, right = speaker_score(words, truth)
    cues = published_cues(row["vtt"], words)
    problems = caption_problems(cues)
    errors = turn_start_errors([c.start for c in cues], truth)
    return {"status": row["status"], "duration": row.get("duration"), "coverage": t.coverage, "gaps": len(t.gaps),
            "true_speakers": true_n, "found_speakers": found, "attribution": right, "cues": len(cues),
            "problems": [f"cue {p.cue}: {p.rule}: {p.detail}" for p in problems],
            "start_median": statistics.median(errors), "start_worst": max(errors), "words": len(words)}


def verdicts(s: dict) -> dict[str, tuple[bool, str]]:
    """Criterion -> (met, the figure as the report and the xfail reason state it)."""
    if "coverage" not in s:
        return {k: (False, f"not published: {s['status']} {s.get('error') or ''}".strip()) for k in CRITERIA}
    cov = s["coverage"]
    kinds = sorted({p.split(": ")[1] for p in s["problems"]})
    return {
        "coverage": (cov is not None and cov >= COVERAGE,
                     f"coverage {'none recorded' if cov is None else f'{100 * cov:.1f} %'} (≥ 99 %)"),
        "speaker_count": (s["found_speakers"] == s["true_speakers"],
                          f"{s['found_speakers']} speakers found for {s['true_speakers']}"),
        "attribution": (s["attribution"] >= ATTRIBUTION, f"{100 * s['attribution']:.1f} % of words attributed (≥ 90 %)"),
        "captions": (not s["problems"], f"{len(s['problems'])} caption problems"
                     + (f" ({', '.join(kinds)})" if kinds else "") + f" in {s['cues']} cues"),
        "turn_starts": (s["start_median"] <= START_MEDIAN and s["start_worst"] <= START_WORST,
                        f"turn starts {s['start_median']:.2f} s median / {s['start_worst']:.2f} s worst "
                        f"(≤ 0.25 / 1.0 s)"),
    }


@pytest.fixture(scope="module")
def acceptance(tmp_path_factory, synth, prefect_api):
    """One `chorus run --json` of all six recordings, no sidecar, default settings; name -> scores."""
    from chorus.services import free_port

    root = tmp_path_factory.mktemp("captions-acceptance")
    inbox = root / "inbox"
    inbox.mkdir()
    files, truths = [], {}
    for name in HOLDOUT:
        path, truth = synth(name, **render_options(name))
        files.append(inbox / inbox_name(name))
        shutil.copyfile(path, files[-1])
        truths[name] = truth
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "CHORUS_EMBEDDED__S3_PORT": str(free_port())}
    for key in [k for k in env if k.startswith("CHORUS_") and k != "CHORUS_EMBEDDED__S3_PORT"]:
        del env[key]  # a new user's defaults: no publish endpoint or show settings from the test session
    # captions are judged on what listeners get: published at once (holding for review is tests/e2e/test_privacy.py)
    env["CHORUS_SHOW__REVIEW"] = "after"
    data = root / "data"
    published = read_published(chorus_run(files, data, env, root), data, env)
    return {name: score(published[inbox_name(name)], truths[name]) for name in HOLDOUT}


def test_every_held_out_script_is_here():
    assert len(HOLDOUT) == 6, HOLDOUT
    assert {k for k, _ in MISSES} <= set(HOLDOUT) and {c for _, c in MISSES} <= set(CRITERIA), MISSES


@pytest.mark.parametrize("name,criterion", [
    pytest.param(n, c, marks=pytest.mark.xfail(strict=True, reason=MISSES[n, c])) if (n, c) in MISSES else (n, c)
    for n in HOLDOUT for c in CRITERIA])
def test_held_out_recording_meets_the_bar(acceptance, name, criterion):
    scores = acceptance[name]
    assert scores["status"] == "published", scores
    met, figure = verdicts(scores)[criterion]
    assert met, f"{name}: {figure}" + (f"; {scores['problems'][:3]}" if criterion == "captions" else "")
