#!/usr/bin/env python3
"""Transcription benchmark: every engine configuration side by side on one generated recording.

    .venv/bin/python bench/transcription.py [--minutes 10] [--no-openai] [--configs a,b,...]
    .venv/bin/python bench/transcription.py --coverage [--minutes 3]   # re-decode: before, after, sequential

Renders a multi-speaker dialogue of about --minutes with the project's synth (known text), then
runs each configuration in its own process (so peak RSS is that configuration's own) and reports
real-time factor (processing seconds / audio seconds), peak RSS, WER and coverage (seconds of VAD
speech with words / seconds of VAD speech). Writes docs/bench/transcription.md (table) and
docs/bench/transcription.png (plot); --coverage writes docs/bench/transcription-coverage.md: the
three-voice discussion (coverage-trainees, one voice 10 dB quieter) as an m4a with a -45 dBFS noise
floor, decoded batched without the re-decode (before #11), batched with it (the default) and sequentially.
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
    from transcripts import TranscribeOptions, transcribe
    from transcripts.engines import get_engine
    opts = TranscribeOptions(**CONFIGS[name.split(" ")[0]])
    get_engine(opts)  # model load is not transcription time
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    t = transcribe(audio, opts)
    dt, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    wer = _wer(json.loads(Path(truth_path).read_text())["text"], t.text()) if truth_path != "-" else None
    print(json.dumps({"config": name, "seconds": dt, "duration": t.duration, "rtf": dt / t.duration,
                      "wer": wer, "words": len(t.words()), "peak_rss_mb": _peak_rss_mb(),
                      "coverage": t.coverage, "gaps": len(t.gaps),
                      "load1": os.getloadavg()[0], "cpu_rtf": cpu / t.duration}))


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
                    help="instead: the re-decode's effect on coverage, WER and speed (docs/bench/transcription-coverage.md)")
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
        return _coverage(a.minutes, work)
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


COVERAGE = ["fw-batched-beam5-words-noredecode", DEFAULT, "fw-seq-beam5-words"]


def _coverage(minutes: float, work: Path) -> None:
    from tests.support.synth import render
    audio, _ = render(_script(minutes, "coverage-trainees"), work / "discussion", fmt="m4a", noise_db=-45)
    rows = [r for r in (_run(["--one", n, str(audio), str(work / "discussion.truth.json")]) for n in COVERAGE) if r]
    base = next((r for r in rows if r["config"] == COVERAGE[0]), rows[0])
    loads = [r["load1"] for r in rows]
    lines = [f"Recording: coverage-trainees (three voices, one 10 dB quieter) looped to {rows[0]['duration'] / 60:.1f} "
             f"min, m4a with pink noise at -45 dBFS; tiny.en; 2-core CPU shared with other jobs (1-min load "
             f"{min(loads):.1f}-{max(loads):.1f}); one run, each configuration in its own process.", "",
             "| configuration | coverage | marked gaps | WER | words | RTF | × time of batched before #11 | CPU s per audio s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        label = {COVERAGE[0]: "batched, no re-decode (before #11)", DEFAULT: "batched + re-decode (default)",
                 "fw-seq-beam5-words": "sequential"}[r["config"]]
        lines.append(f"| {label} | {r['coverage']:.4f} | {r['gaps']} | {r['wer']:.3f} | {r['words']} | {r['rtf']:.3f} | "
                     f"{r['rtf'] / base['rtf']:.2f} | {r['cpu_rtf']:.3f} |")
    (ROOT / "docs/bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "docs/bench/transcription-coverage.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


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
             "CPU s per audio s | WER | peak RSS (MB) | load avg |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{ref['rtf'] / r['rtf']:.2f}" if ref else "n/a"
        label = r["config"] + (" (default)" if r["config"] == DEFAULT else "")
        cpu = f"{r['cpu_rtf']:.3f}" if "cpu_rtf" in r else "n/a"
        lines.append(f"| {label} | {r['rtf']:.3f} | {ratio} | {cpu} | {r['wer']:.3f} | {r['peak_rss_mb']:.0f} | "
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
