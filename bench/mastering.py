#!/usr/bin/env python3
"""Benchmark the mastering stage against the floor (a plain MP3 encode) and the usual alternatives.

    .venv/bin/python bench/mastering.py [--minutes 32] [--long-hours 3] [--skip-long]

One run, side by side, on the same generated recording (espeak-ng speech, a host and a guest 10 dB
quieter, looped to a stereo 48 kHz WAV of --minutes):

* ``floor``: ``ffmpeg -i src -ac 1 -ar 44100 -c:a libmp3lame -b:a 96k`` (the same MP3 we deliver;
  nothing can be faster than encoding);
* ``chorus``: ``media.master()`` with the show defaults (analysis + clean-up + levelling pass,
  gain/limiter + MP3 + 16 kHz speech WAV pass, output metering);
* ``loudnorm 2-pass``: ffmpeg's ``loudnorm`` measure pass, then the linear normalise pass + MP3;
* ``pydub``: load, ``normalize()`` (peak, not loudness), export MP3;
* ``chorus, N h``: ``media.master()`` on an N-hour recording, for peak memory (a FLAC source).

Each runs as its own child process; reported are wall seconds, CPU seconds (user + system of the
whole process tree: the machine is shared by other jobs, so CPU is the steadier figure), ratios to
the floor, peak RSS of the whole process tree (sampled every 50 ms, all ffmpeg children summed), the
real-time factor, and the result's integrated loudness / true peak measured by ffmpeg's ebur128.
Writes docs/bench/mastering.md (table) and docs/bench/mastering.png (plot).
Targets (issue #3): chorus <= 1.5x the floor; peak RSS <= 300 MB for a 3-hour recording.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402

OUT = ROOT / "docs" / "bench"
PY = sys.executable
CACHE = Path(tempfile.gettempdir()) / "chorus-bench-mastering"


def _tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over PID and all its descendants."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def _run(cmd: list[str]) -> dict:
    """Run CMD; wall, CPU of the tree, sampled peak tree RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.05)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rss_mb": peak[0] / 1024, "stdout": out}


def _ff(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def _loudness(path: Path) -> tuple[float, float]:
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=framelog=verbose:peak=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    i = re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1]
    tp = re.findall(r"Peak:\s+(-?[\d.]+|-inf) dBFS", log)[-1]
    return float(i), float(tp)


def _source(minutes: float, fmt: str = "wav") -> Path:
    CACHE.mkdir(exist_ok=True)
    dest = CACHE / f"talk-{minutes:g}min.{fmt}"
    if dest.exists():
        return dest
    sys.path.insert(0, str(ROOT))
    from tests.support.synth import render
    seed, _ = render(ROOT / "tests/data/scripts/quiet-guest.json", CACHE / "seed", stereo=True, sample_rate=48000)
    codec = ["-c:a", "pcm_s16le", "-rf64", "auto"] if fmt == "wav" else ["-c:a", "flac"]
    _ff("-stream_loop", "-1", "-i", seed, "-t", f"{minutes * 60:.0f}", *codec, dest)
    return dest


_CHORUS = """
import json, sys
sys.path.insert(0, {root!r})
from media import master, MasterOptions
r = master({src!r}, {out!r}, MasterOptions())
print(json.dumps({{"mode": r.mode, "timings": r.timings, "output_lufs": r.output_lufs}}))
"""
_LOUDNORM = """
import json, re, subprocess, sys
src, out = {src!r}, {out!r}
log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", src, "-ac", "1", "-af",
                      "loudnorm=I=-19:TP=-1:LRA=11:print_format=json", "-f", "null", "-"],
                     capture_output=True, text=True, check=True).stderr
m = json.loads(log[log.rindex("{{"):log.rindex("}}") + 1])
f = ("loudnorm=I=-19:TP=-1:LRA=11:measured_I={{input_i}}:measured_TP={{input_tp}}:measured_LRA={{input_lra}}:"
     "measured_thresh={{input_thresh}}:offset={{target_offset}}:linear=true,aresample=44100").format(**m)
subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-ac", "1", "-af", f, "-c:a", "libmp3lame", "-b:a", "96k",
                out], check=True)
"""
_PYDUB = """
from pydub import AudioSegment, effects
seg = AudioSegment.from_file({src!r})
effects.normalize(seg.set_channels(1).set_frame_rate(44100), headroom=1.0).export({out!r}, format="mp3",
                                                                                  bitrate="96k")
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=32)
    ap.add_argument("--long-hours", type=float, default=3)
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--replot", action="store_true", help="redraw the plot from the last table, run nothing")
    a = ap.parse_args(argv)
    if a.replot:
        _replot(a)
        return 0
    a.load_before = os.getloadavg()[0]
    src = _source(a.minutes)
    work = Path(tempfile.mkdtemp(prefix="bench-mastering-"))
    dur = a.minutes * 60
    rows = []

    def add(name, res, out, duration, note=""):
        lufs, tp = _loudness(out)
        rows.append({"method": name, "wall": res["wall"], "cpu": res["cpu"], "rss_mb": res["rss_mb"],
                     "rtf": res["wall"] / duration, "lufs": lufs, "tp": tp, "note": note})
        _write(rows, a, src, final=False)  # partial results survive an interrupted run
        print(f"{name:22s} wall {res['wall']:7.1f} s  cpu {res['cpu']:7.1f} s  rss {res['rss_mb']:6.0f} MB  "
              f"{lufs:6.1f} LUFS {tp:5.1f} dBTP {note}", flush=True)

    floor_out = work / "floor.mp3"
    add("floor (plain encode)", _run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-ac", "1", "-ar", "44100",
                                     "-c:a", "libmp3lame", "-b:a", "96k", str(floor_out)]), floor_out, dur)
    res = _run([PY, "-c", _CHORUS.format(root=str(ROOT), src=str(src), out=str(work / "chorus"))])
    info = json.loads(res["stdout"].strip().splitlines()[-1])
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in info["timings"].items())
    add("chorus master()", res, work / "chorus" / "master.mp3", dur, f"{info['mode']}; {steps}")
    add("loudnorm 2-pass", _run([PY, "-c", _LOUDNORM.format(src=str(src), out=str(work / "ln.mp3"))]),
        work / "ln.mp3", dur)
    add("pydub normalize", _run([PY, "-c", _PYDUB.format(src=str(src), out=str(work / "pd.mp3"))]),
        work / "pd.mp3", dur, "peak normalised, not loudness")
    if not a.skip_long:
        long_src = _source(a.long_hours * 60, fmt="flac")
        res = _run([PY, "-c", _CHORUS.format(root=str(ROOT), src=str(long_src), out=str(work / "long"))])
        add(f"chorus, {a.long_hours:g} h", res, work / "long" / "master.mp3", a.long_hours * 3600,
            "FLAC source; memory check")
        rows[-1]["long"] = True
    _write(rows, a, src)
    subprocess.run(["rm", "-rf", str(work)])
    return 0


def _write(rows, a, src, final=True):
    a.out.mkdir(parents=True, exist_ok=True)
    floor = rows[0]
    lines = [f"Source: {a.minutes:g}-minute stereo 48 kHz WAV of generated speech (host + guest 10 dB quieter). "
             f"Target -19 LUFS (mono), -1 dBTP. Machine: {os.cpu_count()} cores, {platform.machine()}, "
             f"load average {a.load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after "
             "(the machine is shared).", "",
             "| method | wall s | × floor (wall) | CPU s | × floor (CPU) | peak RSS MB | real-time factor | LUFS | dBTP | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['wall']:.1f} | {r['wall'] / floor['wall']:.2f} | {r['cpu']:.1f} | "
                     f"{r['cpu'] / floor['cpu']:.2f} | {r['rss_mb']:.0f} | {r['rtf']:.3f} | {r['lufs']:.1f} | "
                     f"{r['tp']:.1f} | {r['note']} |")
    lines += ["", "Command: `.venv/bin/python bench/mastering.py" + (" --skip-long" if a.skip_long else "") + "`"]
    (a.out / "mastering.md").write_text("\n".join(lines) + "\n")
    if not final:
        return
    print("\n".join(lines))
    _plot(rows, a)


def _replot(a) -> None:
    """Redraw docs/bench/mastering.png from the table in docs/bench/mastering.md (no re-run)."""
    rows = []
    for line in (a.out / "mastering.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 10 and cells[1].replace(".", "").isdigit():
            rows.append({"method": cells[0], "wall": float(cells[1]), "cpu": float(cells[3]),
                         "rss_mb": float(cells[5]), "long": cells[0].endswith(" h")})
    _plot(rows, a)


def _plot(rows, a) -> None:
    floor = rows[0]
    plt = pyplot()
    if plt is None:
        return
    short = [r for r in rows if not r.get("long")]
    names = [r["method"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    xs = range(len(short))
    ax1.bar([x - 0.2 for x in xs], [r["wall"] / floor["wall"] for r in short], 0.4, label="wall")
    ax1.bar([x + 0.2 for x in xs], [r["cpu"] / floor["cpu"] for r in short], 0.4, label="CPU")
    ax1.axhline(1.5, color="red", ls="--", lw=1, label="target 1.5×")
    ax1.set_xticks(list(xs), [r["method"] for r in short], rotation=20, ha="right", fontsize=8)
    ax1.set_ylabel("time / plain MP3 encode")
    ax1.set_title(f"{a.minutes:g}-min recording")
    ax1.legend(fontsize=8)
    ax2.bar(range(len(rows)), [r["rss_mb"] for r in rows], color="tab:green")
    ax2.axhline(300, color="red", ls="--", lw=1, label="target 300 MB")
    ax2.set_xticks(range(len(rows)), names, rotation=20, ha="right", fontsize=8)
    ax2.set_ylabel("peak RSS of process tree (MB)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out / "mastering.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
