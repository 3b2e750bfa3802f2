#!/usr/bin/env python3
"""Acceptance run on recordings Chorus was never tuned on, tried the way a new user would.

    .venv/bin/python bench/unseen.py [--work DIR] [--out docs/bench] [--model base]

Issues #4 and #5 ask that their figures hold "on recordings it has never seen, tried as a new
user would through ``chorus run``". This script:

1. renders the scripts in ``bench/data/unseen/`` (written for this check and never used to tune
   anything: new texts, voices, levels, pause and tone patterns) with the project's synth, in the
   formats people actually send (MP3, M4A with background noise, WAV), each with an organiser's
   sidecar (title, host, guests);
2. runs ``chorus run --json`` once on all of them, in a fresh data directory with the example
   show settings (glossary ``#TherapistsConnect``, ``BACP``, ``SCoPEd``): embedded SeaweedFS, Prefect's
   ephemeral server, the real flow;
3. reads what was published from the catalog (the transcript and notes revisions) and scores it
   against the script's ground truth, with the truth's times mapped through the spans mastering
   kept (edge trimming moves the clock):

   * #4: WER; glossary terms spelled right; speaker labels (share of words with the right sidecar name);
     words inside silence or tone;
   * #11: coverage; speakers found against the truth; attribution (share of words on the right speaker after
     the best one-to-one mapping of labels); caption-rule problems of the cues the writers publish; turn start
     error (true turn start to the nearest cue start: median, worst);
   * #5: Pk; true topic boundaries with a chapter start within ±15 s; shortest chapter against the
     minimum; how many topics the summary sentences and the keywords come from.

Writes docs/bench/unseen.md (``--model NAME``: the show's ``whisper_model``, e.g. the multilingual
``base``; writes docs/bench/unseen-NAME.md). Not a test: it takes a few minutes (one Prefect start-up, three
recordings through the whole pipeline).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.measure import speaker_score, turn_at, turn_start_errors, wer  # noqa: E402
from tests.support.synth import render  # noqa: E402
from tests.transcripts.test_notes_support import keyword_topics, pk, topic_spans  # noqa: E402
from transcripts.notes._chapters import min_length  # noqa: E402
from transcripts.formats import caption_problems, make_cues  # noqa: E402

UNSEEN = ROOT / "bench" / "data" / "unseen"
GLOSSARY = ["#TherapistsConnect", "BACP", "SCoPEd"]
SPOKEN = {"B.A.C.P.": "BACP"}  # how a script spells a term for the voice -> how it must be written
TOL = 15.0
# script -> how the organiser sends it, and their sidecar (truth speaker -> published name)
RECORDINGS = {
    "supervision": dict(fmt="mp3", stereo=True, sample_rate=48000, noise_db=None,
                        names={"Host": "Morag Reid", "Guest": "Dana Cole"}),
    "trainees": dict(fmt="m4a", stereo=False, sample_rate=44100, noise_db=-42,
                     names={"Mentor": "Priya Shah", "Trainee": "Tom Ellis"}),
    "trap2": dict(fmt="wav", stereo=False, sample_rate=44100, noise_db=None, names={"Host": "Kemar Brown"}),
}


for _name, _how in RECORDINGS.items():  # the espeak voice of each speaker, for the report
    _how["voices"] = {k: v["voice"] for k, v in json.loads((UNSEEN / f"{_name}.json").read_text())["speakers"].items()}


def _sidecar(script: dict, names: dict[str, str]) -> dict:
    people = list(names.values())
    side = {"title": script["title"], "host": people[0]}
    if people[1:]:
        side["guests"] = people[1:]
    return side


def _config(path: Path, model: str | None) -> Path:
    path.write_text(
        '[show]\ntitle = "Network Podcast"\nauthor = "The Network"\nlanguage = "en"\n'
        f"glossary = {json.dumps(GLOSSARY)}\n" + (f"whisper_model = {json.dumps(model)}\n" if model else ""),
        encoding="utf-8")
    return path


def _to_master(t: float, kept: list[list[float]] | None) -> float:
    """Source time -> mastered time, through the source spans mastering kept."""
    if not kept:
        return t
    done = 0.0
    for a, b in kept:
        if t <= b:
            return done + max(0.0, t - a)
        done += b - a
    return done


def _mapped(truth: dict, kept) -> dict:
    """The truth with every time moved onto the mastered clock."""
    out = dict(truth)
    out["turns"] = [{**x, "start": _to_master(x["start"], kept), "end": _to_master(x["end"], kept)}
                    for x in truth["turns"]]
    out["topic_boundaries"] = [_to_master(b, kept) for b in truth.get("topic_boundaries", [])]
    out["duration"] = _to_master(truth["duration"], kept)
    return out


def score_transcript(t, truth: dict, names: dict[str, str]) -> dict:
    """#4's figures for one published transcript against its (mastered-clock) truth."""
    words = t.words()
    speech = [x for x in truth["turns"] if x["kind"] == "speech"]
    reference = truth["text"]
    for spoken, term in SPOKEN.items():
        reference = reference.replace(spoken, term)
    text = t.text()
    terms = {term: (reference.count(term), text.count(term)) for term in GLOSSARY if term in reference}
    cues = make_cues(words)  # the cues the VTT, SRT and JSON writers publish
    errors = turn_start_errors([c.start for c in cues], truth)  # issue #11: true turn start to nearest cue start
    true_n, found, attribution = speaker_score(words, truth)
    gaps = [x for x in truth["turns"] if x["kind"] in ("pause", "tone") and x["end"] - x["start"] >= 2.0]
    inside = [w.text for w in words for g in gaps if w.end > g["start"] + 0.3 and w.start < g["end"] - 0.3]
    row = {"wer": wer(reference, text), "words": len(words), "terms": terms,
           "start_median": statistics.median(errors), "start_worst": max(errors),
           "gap_seconds": sum(g["end"] - g["start"] for g in gaps), "words_in_gaps": inside,
           "coverage": t.coverage, "speakers_true": true_n, "speakers_found": found, "attribution": attribution,
           "caption_problems": len(caption_problems(cues))}
    by_voice = {}
    for who in dict.fromkeys(x["speaker"] for x in speech):
        ref = " ".join(x["text"] for x in speech if x["speaker"] == who)
        hyp = " ".join(w.text for w in words if turn_at((w.start + w.end) / 2, speech)["speaker"] == who)
        for spoken, term in SPOKEN.items():
            ref = ref.replace(spoken, term)
        by_voice[who] = wer(ref, hyp)
    row["wer_by_voice"] = by_voice
    if len(names) > 1:
        right = sum(w.speaker == names[turn_at((w.start + w.end) / 2, speech)["speaker"]] for w in words)
        row["speaker_accuracy"] = right / max(len(words), 1)
    return row


def score_notes(notes, t, truth: dict) -> dict:
    """#5's figures for one published episode's notes against its (mastered-clock) truth."""
    spans = topic_spans(truth)
    if len(spans) < 2:
        return {}
    bounds = truth["topic_boundaries"]
    starts = [c.start for c in notes.chapters[1:]]
    k = max(1, round(statistics.mean(b - a for a, b, _ in spans) / 2))
    lengths = [c.end - c.start for c in notes.chapters]
    topics_of_summary = set()
    for sentence in notes.summary:
        seg = next((s for s in t.segments if sentence[:30] in s.text or s.text.strip()[:30] in sentence), None)
        if seg:
            mid = (seg.start + seg.end) / 2
            topics_of_summary.add(next((tp for a, b, tp in spans if mid <= b + 0.5), spans[-1][2]))
    covered, topics = keyword_topics(notes.keywords, truth)
    return {"pk": pk(bounds, starts, truth["duration"], k),
            "hits": sum(any(abs(s - b) <= TOL for s in starts) for b in bounds), "bounds": len(bounds),
            "chapters": len(notes.chapters), "shortest": min(lengths) if lengths else 0.0,
            "minimum": min_length(truth["duration"], notes.options), "summary_topics": len(topics_of_summary),
            "keyword_topics": len(covered), "topics": len(topics),
            "titles": [c.title for c in notes.chapters]}


def run(work: Path, model: str | None = None) -> list[dict]:
    inbox = work / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    truths, files = {}, []
    for name, how in RECORDINGS.items():
        script = json.loads((UNSEEN / f"{name}.json").read_text())
        path, truth = render(script, inbox / name, fmt=how["fmt"], stereo=how["stereo"],
                             sample_rate=how["sample_rate"], noise_db=how["noise_db"])
        (inbox / f"{name}.json").write_text(json.dumps(_sidecar(script, how["names"])), encoding="utf-8")
        # the truth stays outside the inbox (a user's folder holds only the recording and its sidecar)
        truths[Path(path).name] = truth
        files.append(str(path))
        (work / f"{name}.truth.json").write_text(json.dumps(truth))
        Path(f"{inbox / name}.truth.json").unlink(missing_ok=True)
    data = work / "data"
    cmd = [str(ROOT / ".venv" / "bin" / "chorus"), "run", "--json", "--data-dir", str(data),
           "--config", str(_config(work / "chorus.toml", model)), *files]
    env = {**os.environ, "PREFECT_API_URL": ""}
    env.pop("PREFECT_API_URL")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work)
    wall = time.perf_counter() - t0
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(results) != len(files):
        sys.exit(f"chorus run failed (exit {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    (work / "run.json").write_text(json.dumps({"results": results, "wall": wall, "model": model,
                                               "when": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}",
                                               "load": [load0, os.getloadavg()[0]]}))
    return rescore(work)


def rescore(work: Path) -> list[dict]:
    """Score what a finished run in ``work`` published (after a change to the scoring only)."""
    done = json.loads((work / "run.json").read_text())
    truths = {f"{name}.{how['fmt']}": json.loads((work / f"{name}.truth.json").read_text())
              for name, how in RECORDINGS.items()}
    rows = _score(done["results"], truths, work / "data", done["wall"])
    for r in rows:
        r.update(model=done.get("model"), when=done.get("when"), load=done.get("load"))
    return rows


def _score(results: list[dict], truths: dict, data: Path, wall: float) -> list[dict]:
    from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
    from chorus.settings import load_settings
    from transcripts import Transcript
    from transcripts.notes import ShowNotes

    settings = load_settings(None, data)
    catalog = Catalog(settings.catalog)
    rows = []
    for res in results:
        name = Path(res["source"]).name
        stem = Path(name).stem
        with catalog.session() as s:
            ep = s.get_one(Episode, res["episode_id"])
            kept, duration, status = (ep.media or {}).get("kept"), ep.duration, ep.status
        t = Transcript.from_dict(catalog.latest_revision(TranscriptRevision, res["episode_id"]).data)
        notes = ShowNotes.from_dict(catalog.latest_revision(NotesRevision, res["episode_id"]).data)
        truth = _mapped(truths[name], kept)
        row = {"recording": stem, "format": RECORDINGS[stem]["fmt"], "status": status, "duration": duration,
               **score_transcript(t, truth, RECORDINGS[stem]["names"]), **score_notes(notes, t, truth)}
        rows.append(row)
    audio = sum(r["duration"] for r in rows)
    for r in rows:
        r["run_wall"], r["run_rtf"] = wall, wall / audio
    return rows


def report(rows: list[dict], out: Path) -> str:
    model, load = rows[0]["model"], rows[0]["load"]
    lines = [
        "# Acceptance on unseen recordings, through `chorus run`",
        "",
        f"`.venv/bin/python bench/unseen.py{' --model ' + model if model else ''}` — {rows[0]['when']} UTC, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {load[0]:.1f} at start, "
        f"{load[1]:.1f} at the end. One `chorus run --json` of all three recordings (fresh data directory, "
        f"embedded SeaweedFS, Prefect ephemeral server, Whisper model {model or 'tiny.en (bundled)'}, "
        f"show glossary {', '.join(GLOSSARY)}): "
        f"{rows[0]['run_wall']:.0f} s for {sum(r['duration'] for r in rows) / 60:.1f} min of audio "
        f"(RTF {rows[0]['run_rtf']:.2f} including start-up). Scripts: `bench/data/unseen/`, never used for tuning.",
        "",
        "## Transcripts (issue #4)",
        "",
        "| recording | sent as | length | status | WER (≤ 0.15) | WER by voice | glossary terms right | turn start to nearest cue start, median / worst (≤ 0.25 / 1.0 s) | speaker labels right (≥ 90 %) | words inside silence/tone |",
        "|---|---|---:|---|---:|---|---|---:|---:|---|",
    ]
    for r in rows:
        terms = ", ".join(f"{k} {got}/{want}" for k, (want, got) in r["terms"].items()) or "—"
        spk = f"{100 * r['speaker_accuracy']:.1f} %" if "speaker_accuracy" in r else "— (one voice)"
        voices = ", ".join(f"{RECORDINGS[r['recording']]['voices'][k]} {v:.2f}" for k, v in r["wer_by_voice"].items())
        gaps = f"{len(r['words_in_gaps'])} in {r['gap_seconds']:.0f} s" if r["gap_seconds"] else "—"
        lines.append(f"| {r['recording']} | {r['format']} | {r['duration'] / 60:.1f} min | {r['status']} | "
                     f"{r['wer']:.3f} | {voices} | {terms} | {r['start_median']:.2f} / {r['start_worst']:.2f} s | {spk} | {gaps} |")
    lines += ["", "## Captions (issue #11)", "",
              "| recording | coverage (≥ 0.99) | speakers found / true | attribution, best one-to-one mapping (≥ 90 %) | "
              "caption problems (0) |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        cov = f"{r['coverage']:.4f}" if r.get("coverage") is not None else "n/a"
        lines.append(f"| {r['recording']} | {cov} | {r['speakers_found']} / {r['speakers_true']} | "
                     f"{100 * r['attribution']:.1f} % | {r['caption_problems']} |")
    lines += ["", "## Chapters and notes (issue #5)", "",
              "| recording | Pk (≤ 0.35) | boundaries hit ±15 s (≥ 2/3) | chapters | shortest / minimum | "
              "summary topics (≥ 2) | keyword topics (all) | chapter titles |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if "pk" not in r:
            continue
        lines.append(f"| {r['recording']} | {r['pk']:.3f} | {r['hits']}/{r['bounds']} | {r['chapters']} | "
                     f"{r['shortest']:.0f} s / {r['minimum']:.0f} s | {r['summary_topics']} | "
                     f"{r['keyword_topics']}/{r['topics']} | {'; '.join(r['titles'])} |")
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / (f"unseen-{model}.md" if model else "unseen.md")).write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, help="working folder (default: a new temporary one)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    ap.add_argument("--rescore", action="store_true", help="score the run already in --work again")
    ap.add_argument("--model", help="the show's whisper_model (default: the bundled tiny.en)")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="chorus-unseen-"))
    rows = rescore(work) if a.rescore else run(work, a.model)
    print(report(rows, a.out))
    (work / "scores.json").write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
