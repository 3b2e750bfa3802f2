#!/usr/bin/env python3
"""Transcription benchmark: every engine configuration side by side on one generated recording.

    .venv/bin/python bench/transcription.py [--minutes 10] [--no-openai] [--configs a,b,...]

Renders a multi-speaker dialogue of about --minutes with the project's synth (known text), then
runs each configuration in its own process (so peak RSS is that configuration's own) and reports
real-time factor (processing seconds / audio seconds), peak RSS and WER. Writes
docs/bench/transcription.md (table) and docs/bench/transcription.png (plot).
"""
from __future__ import annotations

import argparse
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

CONFIGS = {
    "fw-seq-beam5-words": dict(engine="faster-whisper", batched=False, beam_size=5, word_timestamps=True),
    "fw-batched-greedy-words": dict(engine="faster-whisper", batched=True, beam_size=1,
                                              word_timestamps=True),
    "fw-batched-greedy": dict(engine="faster-whisper", batched=True, beam_size=1, word_timestamps=False),
    "fw-batched-beam5-words (default)": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=True),
    "fw-batched-beam5": dict(engine="faster-whisper", batched=True, beam_size=5, word_timestamps=False),
    "ow-greedy": dict(engine="openai-whisper", batched=False, beam_size=1, word_timestamps=False),
    "ow-beam5-words": dict(engine="openai-whisper", batched=False, beam_size=5, word_timestamps=True),
}


def _wer(ref: str, hyp: str) -> float:
    import jiwer

    def norm(s):
        return " ".join(re.sub(r"[^0-9a-z' ]", " ", s.lower().replace("-", " ")).split())
    return jiwer.wer(norm(ref), norm(hyp))


def _one(name: str, audio: str, truth_path: str) -> None:
    from transcripts import TranscribeOptions, transcribe
    from transcripts.engines import get_engine
    opts = TranscribeOptions(**CONFIGS[name])
    get_engine(opts)  # model load is not transcription time
    t0 = time.perf_counter()
    t = transcribe(audio, opts)
    dt = time.perf_counter() - t0
    truth = json.loads(Path(truth_path).read_text())
    print(json.dumps({"config": name, "seconds": dt, "duration": t.duration, "rtf": dt / t.duration,
                      "wer": _wer(truth["text"], t.text()), "words": len(t.words()),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _script(minutes: float) -> dict:
    base = json.loads((ROOT / "tests/data/scripts/panel.json").read_text())
    turns, reps = [], max(1, round(minutes * 60 / 96))
    for _ in range(reps):
        turns += base["turns"]
    return {**base, "turns": turns}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--no-openai", action="store_true")
    ap.add_argument("--configs", default="")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return _one(*a.one)
    from tests.support.synth import render
    work = Path(tempfile.mkdtemp(prefix="bench-tr-"))
    audio, _ = render(_script(a.minutes), work / "dialogue")
    names = [n for n in (a.configs.split(",") if a.configs else CONFIGS) if n]
    if a.no_openai:
        names = [n for n in names if not n.startswith("ow-")]
    rows = []
    for n in names:
        out = subprocess.run([sys.executable, __file__, "--one", n, str(audio), str(work / "dialogue.truth.json")],
                             capture_output=True, text=True)
        line = [x for x in out.stdout.splitlines() if x.startswith("{")]
        if not line:
            print(f"{n}: failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
            continue
        rows.append(json.loads(line[-1]))
        print(rows[-1], flush=True)
    _report(rows, a.minutes)


def _report(rows: list[dict], minutes: float) -> None:
    out = ROOT / "docs/bench"
    out.mkdir(parents=True, exist_ok=True)
    dur = rows[0]["duration"] if rows else 0
    ref = next((r for r in rows if r["config"].startswith("ow-beam5-words")), None) or \
        next((r for r in rows if r["config"].startswith("ow-")), None)
    lines = [f"Recording: generated two-speaker dialogue, {dur / 60:.1f} min; tiny.en (bundled); "
             f"2-core CPU shared with other jobs; one run.", "",
             f"| configuration | RTF | × faster than {ref['config'] if ref else 'openai-whisper'} | WER | peak RSS (MB) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{ref['rtf'] / r['rtf']:.2f}" if ref else "n/a"
        lines.append(f"| {r['config']} | {r['rtf']:.3f} | {ratio} | {r['wer']:.3f} | {r['peak_rss_mb']:.0f} |")
    (out / "transcription.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install 'chorus-podcast[bench]'): no plot", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in rows:
        ax.scatter(r["rtf"], r["wer"], s=r["peak_rss_mb"] / 4, alpha=0.6)
        ax.annotate(r["config"], (r["rtf"], r["wer"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("real-time factor (lower is faster)")
    ax.set_ylabel("WER")
    ax.set_title("Transcription on 2 cores, tiny.en (marker area ~ peak RSS)")
    fig.tight_layout()
    fig.savefig(out / "transcription.png", dpi=110)


if __name__ == "__main__":
    main()
