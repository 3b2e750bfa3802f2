#!/usr/bin/env python3
"""Transcription benchmark: every engine configuration side by side on one generated recording.

    .venv/bin/python bench/transcription.py [--minutes 10] [--no-openai] [--configs a,b,...]
    .venv/bin/python bench/transcription.py --coverage   # default vs batched without re-decode vs sequential

Renders a multi-speaker dialogue of about --minutes with the project's synth (known text), then
runs each configuration in its own process (so peak RSS is that configuration's own) and reports
real-time factor (processing seconds / audio seconds), CPU seconds per audio second, peak RSS, WER,
coverage (seconds of VAD speech with words / seconds of VAD speech), speakers found against the truth,
speaker attribution (share of words on the right speaker after the best one-to-one mapping of labels),
caption-rule problems (``caption_problems`` on the cues the writers produce) and turn-start error (true
turn start to the nearest cue start). Writes docs/bench/transcription.md (table) and
docs/bench/transcription.png (plot). --coverage writes docs/bench/transcription-coverage.md and
transcription-coverage.png: the default (``TranscribeOptions()``), batched without the re-decode
(``redecode=False``, the decode before #11) and sequential (``batched=False``) side by side in one run, on
the three-voice reproducer (coverage-trainees, one voice 10 dB quieter, m4a with a -45 dBFS noise floor)
and on the two-voice panel (a recording batching does not break), with the default's CPU time against
batched without the re-decode.
"""
from __future__ import annotations

import argparse
import os
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402

DEFAULT = "fw-batched-beam5-words"
CONFIGS = {  # run in this order (the comparisons the issue asks for first)
    "fw-batched-beam5-words": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=True),
    "fw-batched-beam5-words-noredecode": dict(engine="faster-whisper", batched=True, beam_size=5,
                                              word_timestamps=True, redecode=False),
    "ow-beam5-words": dict(engine="openai-whisper", batched=False, beam_size=5, word_timestamps=True),
    "ow-greedy": dict(engine="openai-whisper", batched=False, beam_size=1, word_timestamps=False),
    "fw-batched-greedy-words": dict(engine="faster-whisper", batched=True, beam_size=1, word_timestamps=True),
    "fw-seq-beam5-words": dict(engine="faster-whisper", batched=False, beam_size=5, word_timestamps=True),
    "fw-batched-greedy": dict(engine="faster-whisper", batched=True, beam_size=1, word_timestamps=False),
    "fw-batched-beam5": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=False),
    "fw-seq-beam5": dict(engine="faster-whisper", batched=False, beam_size=5, word_timestamps=False),
    "fw-batched-beam3-words": dict(engine="faster-whisper", batched=True, beam_size=3, word_timestamps=True),
    "fw-batched-beam5-words-bs4": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=True,
                                       batch_size=4),
    "fw-batched-beam5-words-bs16": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=True,
                                        batch_size=16),
    "fw-batched-greedy-words-bs4": dict(engine="faster-whisper", batched=True, beam_size=1, word_timestamps=True,
                                        batch_size=4),
    "fw-batched-greedy-words-bs16": dict(engine="faster-whisper", batched=True, beam_size=1, word_timestamps=True,
                                         batch_size=16),
}


COMPARE = {"default": {}, "batched, no re-decode": {"redecode": False}, "sequential": {"batched": False}}
"""--coverage: ``TranscribeOptions(**these)``, each in its own process, in this order."""


def _options(name: str):
    """The options a row's name stands for: ``"<COMPARE or CONFIGS key> [recording]"``, ``+nodiarise`` at the end
    turns diarisation off (to see the decoder's own cost)."""
    from transcripts import TranscribeOptions
    key = name.split(" [")[0]
    opts = TranscribeOptions(**(COMPARE[key] if key in COMPARE else CONFIGS[key.split(" ")[0]]))
    return replace(opts, diarise=False) if name.endswith("+nodiarise") else opts


def _wer(ref: str, hyp: str) -> float:
    import jiwer

    def norm(s):
        return " ".join(re.sub(r"[^0-9a-z' ]", " ", s.lower().replace("-", " ")).split())
    return jiwer.wer(norm(ref), norm(hyp))


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would carry the parent's over the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one(name: str, audio: str, truth_path: str) -> None:
    from transcripts import transcribe
    from transcripts.engines import get_engine
    opts = _options(name)
    get_engine(opts)  # model load is not transcription time
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    t = transcribe(audio, opts)
    dt, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    row = {"config": name, "seconds": dt, "duration": t.duration, "rtf": dt / t.duration, "wer": None,
           "words": len(t.words()), "peak_rss_mb": _peak_rss_mb(), "coverage": t.coverage, "gaps": len(t.gaps),
           "load1": os.getloadavg()[0], "cpu_rtf": cpu / t.duration, "cpu_seconds": cpu}
    if truth_path != "-":
        row.update(_captions_scores(t, json.loads(Path(truth_path).read_text())))
    print(json.dumps(row))


def _captions_scores(t, truth: dict) -> dict:
    """WER, speakers (true, found), attribution, caption-rule problems and turn-start error of one transcript."""
    import statistics

    from tests.support.measure import speaker_score, turn_start_errors
    from transcripts.formats import caption_problems, make_cues
    cues = make_cues(t.words())  # the cues every caption writer (VTT, SRT, JSON) is made from
    true_n, found, right = speaker_score(t.words(), truth)
    errors = turn_start_errors([c.start for c in cues], truth)
    return {"wer": _wer(truth["text"], t.text()), "speakers_true": true_n, "speakers_found": found,
            "attribution": right, "caption_problems": len(caption_problems(cues)),
            "start_median": statistics.median(errors), "start_worst": max(errors)}


def _whole(audio: str) -> None:
    """The old way, for comparison: the whole recording decoded to one array, then VAD over it."""
    from faster_whisper.audio import decode_audio
    from transcripts import TranscribeOptions
    from transcripts.audio import vad_regions
    t0 = time.perf_counter()
    a = decode_audio(audio, sampling_rate=16000)
    vad_regions(a, TranscribeOptions())
    print(json.dumps({"config": "whole-array decode + VAD only (before)", "seconds": time.perf_counter() - t0,
                      "duration": len(a) / 16000, "rtf": (time.perf_counter() - t0) / (len(a) / 16000),
                      "wer": None, "words": 0, "peak_rss_mb": _peak_rss_mb(), "load1": os.getloadavg()[0]}))


def _script(minutes: float, name: str = "panel") -> dict:
    base = json.loads((ROOT / f"tests/data/scripts/{name}.json").read_text())
    length = sum(len(x.get("text", "").split()) / 2.7 + x.get("pause", 0) for x in base["turns"])
    turns, reps = [], max(1, round(minutes * 60 / length))
    for _ in range(reps):
        turns += base["turns"]
    return {**base, "turns": turns}


def _run(args: list[str]) -> dict | None:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    line = [x for x in out.stdout.splitlines() if x.startswith("{")]
    if not line:
        print(f"{args[1]}: failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
        return None
    row = json.loads(line[-1])
    print(row, flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--no-openai", action="store_true")
    ap.add_argument("--configs", default="")
    ap.add_argument("--long-hours", type=float, default=0,
                    help="instead: loop a generated dialogue to this many hours and measure the default's "
                         "peak RSS and time (docs/bench/transcription-long.md)")
    ap.add_argument("--coverage", action="store_true",
                    help="instead: the default, batched without the re-decode and sequential side by side "
                         "(docs/bench/transcription-coverage.md)")
    ap.add_argument("--no-diarise", action="store_true",
                    help="with --coverage: diarisation off, the decoder's own cost (docs/bench/transcription-coverage-decode.md)")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--whole", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return _one(*a.one)
    if a.whole:
        return _whole(a.whole)
    from tests.support.synth import render
    work = Path(tempfile.mkdtemp(prefix="bench-tr-"))
    if a.long_hours:
        return _long(a.long_hours, work)
    if a.coverage:
        return _coverage(work, diarise=not a.no_diarise)
    audio, _ = render(_script(a.minutes), work / "dialogue")
    names = [n for n in (a.configs.split(",") if a.configs else CONFIGS) if n]
    if a.no_openai:
        names = [n for n in names if not n.startswith("ow-")]
    rows = []
    for n in names:
        row = _run(["--one", n, str(audio), str(work / "dialogue.truth.json")])
        if row:
            rows.append(row)
            _report(rows)  # after each configuration, so a cut-short run still leaves its table


def _long(hours: float, work: Path) -> None:
    from tests.support.synth import render
    clip, _ = render(_script(1.6), work / "clip")
    audio = work / "long.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(clip), "-t", str(hours * 3600),
                    "-c", "copy", str(audio)], check=True)
    rows = [r for r in (_run(["--whole", str(audio)]), _run(["--one", DEFAULT, str(audio), "-"])) if r]
    lines = [f"Recording: the generated dialogue looped to {hours:g} h (44.1 kHz mono WAV); tiny.en; "
             f"default options; each row in its own process; 2-core CPU shared with other jobs; one run.", "",
             "| run | seconds | RTF | words | peak RSS (MB) | load avg (1 min) |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['config']} | {r['seconds']:.0f} | {r['rtf']:.3f} | {r['words']} | {r['peak_rss_mb']:.0f} | "
              f"{r['load1']:.1f} |" for r in rows]
    lines += ["", "The default's peak RSS must not grow with length: compare with the 10-minute table."]
    (ROOT / "docs/bench/transcription-long.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


RECORDINGS = {"coverage-trainees": dict(fmt="m4a", noise_db=-45), "panel": dict(fmt="wav")}
"""--coverage: the reproducer batching broke (as the issue's recordings arrived) and a recording it does not."""
RENDERS = Path(tempfile.gettempdir()) / "chorus-bench-renders"


def _render_cached(name: str, how: dict) -> tuple[Path, Path]:
    """The script rendered once per machine (kept under the temporary folder): (audio, truth)."""
    from tests.support.synth import render
    RENDERS.mkdir(exist_ok=True)
    stem = RENDERS / f"{name}{how.get('noise_db') or ''}"
    audio, truth = Path(f"{stem}.{how['fmt']}"), Path(f"{stem}.truth.json")
    if not (audio.exists() and truth.exists()):
        render(_script(0, name), stem, **how)
    return audio, truth


def _coverage(work: Path, diarise: bool = True) -> None:
    rows = []
    for rec, how in RECORDINGS.items():
        audio, truth = _render_cached(rec, how)
        for cfg in COMPARE:
            row = _run(["--one", f"{cfg} [{rec}]" + ("" if diarise else "+nodiarise"), str(audio), str(truth)])
            if row:
                rows.append({**row, "recording": rec, "label": cfg})
    _coverage_report(rows, diarise)


def _coverage_report(rows: list[dict], diarise: bool = True) -> None:
    loads = [r["load1"] for r in rows]
    base = {r["recording"]: r for r in rows if r["label"] == "batched, no re-decode"}
    lines = [f"`.venv/bin/python bench/transcription.py --coverage{'' if diarise else ' --no-diarise'}`: one run, each configuration in its own process; "
             f"tiny.en (bundled), diarisation {'on (the default)' if diarise else 'off (the decoder alone)'} in every row; 2-core CPU shared with other jobs (1-min "
             f"load {min(loads):.1f}-{max(loads):.1f}), so compare CPU seconds rather than wall time. Recordings: "
             "coverage-trainees (three voices, one 10 dB quieter; m4a with pink noise at -45 dBFS) and panel (two "
             "voices, WAV).", "",
             "| recording | configuration | coverage | marked gaps | WER | speakers found / true | attribution | "
             "caption problems | turn start median / worst (s) | RTF | CPU s per audio s | × CPU of batched, no re-decode |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = base.get(r["recording"])
        ratio = f"{r['cpu_seconds'] / b['cpu_seconds']:.2f}" if b else "n/a"
        lines.append(f"| {r['recording']} ({r['duration']:.0f} s) | {r['label']} | {r['coverage']:.4f} | {r['gaps']} | "
                     f"{r['wer']:.3f} | {r['speakers_found']} / {r['speakers_true']} | {100 * r['attribution']:.1f} % | "
                     f"{r['caption_problems']} | {r['start_median']:.2f} / {r['start_worst']:.2f} | {r['rtf']:.3f} | "
                     f"{r['cpu_rtf']:.3f} | {ratio} |")
    total = {lab: sum(r["cpu_seconds"] for r in rows if r["label"] == lab) for lab in COMPARE}
    if total.get("batched, no re-decode"):
        lines += ["", "CPU time over both recordings, against batched without the re-decode (target for the default: "
                  "≤ 1.3×): " + ", ".join(f"{lab} {total[lab] / total['batched, no re-decode']:.2f}×"
                                          for lab in COMPARE if total[lab])]
    out = ROOT / "docs/bench"
    out.mkdir(parents=True, exist_ok=True)
    stem = "transcription-coverage" + ("" if diarise else "-decode")
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    plt = pyplot()
    if plt is None or not rows:
        return
    recs = list(dict.fromkeys(r["recording"] for r in rows))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(COMPARE)
    for k, lab in enumerate(COMPARE):
        mine = {r["recording"]: r for r in rows if r["label"] == lab}
        xs = [i + k * width for i, rec in enumerate(recs) if rec in mine]
        ys = [mine[rec]["cpu_rtf"] for rec in recs if rec in mine]
        bars = ax.bar(xs, ys, width, label=lab)
        for bar, rec in zip(bars, [rec for rec in recs if rec in mine]):
            ax.annotate(f"cov {mine[rec]['coverage']:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", fontsize=8, xytext=(0, 3), textcoords="offset points")
    ax.set_xticks([i + width * (len(COMPARE) - 1) / 2 for i in range(len(recs))], recs)
    ax.set_ylabel("CPU seconds per audio second (lower is faster)")
    ax.set_title(f"Re-decode: CPU cost and coverage (tiny.en, {'diarised' if diarise else 'no diarisation'}, "
                 "2 shared cores)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / f"{stem}.png", dpi=110)
    plt.close(fig)


def _report(rows: list[dict]) -> None:
    out = ROOT / "docs/bench"
    out.mkdir(parents=True, exist_ok=True)
    dur = rows[0]["duration"] if rows else 0
    ref = next((r for r in rows if r["config"] == "ow-beam5-words"), None) or \
        next((r for r in rows if r["config"].startswith("ow-")), None)
    loads = [r["load1"] for r in rows]
    lines = [f"Recording: generated two-speaker dialogue, {dur / 60:.1f} min; tiny.en (bundled); "
             f"2-core CPU shared with other jobs (1-min load average {min(loads):.1f}–{max(loads):.1f} "
             f"during the run); one run, each configuration in its own process.", "",
             f"| configuration | RTF | × faster than {ref['config'] if ref else 'openai-whisper'} | "
             "CPU s per audio s | WER | coverage | speakers found / true | attribution | caption problems | "
             "peak RSS (MB) | load avg |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{ref['rtf'] / r['rtf']:.2f}" if ref else "n/a"
        label = r["config"] + (" (default)" if r["config"] == DEFAULT else "")
        lines.append(f"| {label} | {r['rtf']:.3f} | {ratio} | {r['cpu_rtf']:.3f} | {r['wer']:.3f} | "
                     f"{r['coverage']:.3f} | {r['speakers_found']} / {r['speakers_true']} | "
                     f"{100 * r['attribution']:.1f} % | {r['caption_problems']} | {r['peak_rss_mb']:.0f} | "
                     f"{r['load1']:.1f} |")
    (out / "transcription.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for r in rows:
        ax.scatter(r["rtf"], r["wer"], s=r["peak_rss_mb"] / 4, alpha=0.6,
                   color="tab:orange" if r["config"].startswith("ow-") else "tab:blue")
        ax.annotate(r["config"], (r["rtf"], r["wer"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.axvline(0.10, ls=":", color="grey")
    ax.axhline(0.15, ls=":", color="grey")
    ax.set_xscale("log")
    ax.set_xlabel("real-time factor (log; lower is faster; dotted: target 0.10)")
    ax.set_ylabel("WER (dotted: target 0.15)")
    ax.set_title(f"Transcription of {dur / 60:.0f} min on 2 shared cores, tiny.en (marker area ~ peak RSS)")
    fig.tight_layout()
    fig.savefig(out / "transcription.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
