#!/usr/bin/env python3
"""Start-up benchmark (issue #10): the fixed cost of ``chorus run``, and drop-to-published under ``chorus up``.

    .venv/bin/python bench/startup.py [--runs 3] [--no-ephemeral] [--work DIR] [--out docs/bench]

1. ``chorus run --json`` of an input that does no real work (a small text file named ``.wav``: the
   flow fails at once at its probe step), ``--runs`` times in each of two conditions:
   (a) no server running: Prefect's ephemeral server and a SeaweedFS are started for the run;
   (b) beside a running ``chorus up`` for the same data directory, whose Prefect server
   (``<data>/prefect/server.json``) and SeaweedFS (``<data>/s3/endpoint.json``) the run finds.
   Overhead = wall seconds minus the seconds the flow's steps (tasks) ran. CPU seconds are the
   child's rusage (with the processes it waited for). One more run per condition, of the functions
   the CLI calls with a timestamp between each, splits the start-up; ``python -X importtime`` says
   which packages the imports spend it on.
2. A generated 1-minute recording (the panel script's first nine turns, tests/support/synth.py) is
   copied into the inbox of a running ``chorus up``, with the default stability window (15 s) and
   with 2 s; the feed URL ``chorus up`` prints is polled until the item is in it.

Step and flow-run times come from the Prefect server's own database, ``<data>/prefect/prefect.db``
(``chorus up``'s server and Prefect's ephemeral one both keep it there): the flow run's states
(Scheduled, Pending when a runner picked it up, Running, final) and each task's start and end.

Writes docs/bench/startup.md (tables, machine, date, load average) and docs/bench/startup.png.
Not a test: run it by hand (about 6-8 minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._plot import pyplot  # noqa: E402
from bench.pipeline import machine  # noqa: E402
from chorus.services import free_port  # noqa: E402
from tests.support.synth import render  # noqa: E402

TARGET_S = 3.0
RUN_TIMEOUT_S = 240
STOPWATCH = r"""
import json, sys, time
from pathlib import Path
t = {"start": time.time()}
import chorus.cli as cli
t["import chorus.cli"] = time.time()
settings = cli._settings(None, Path(sys.argv[1]))
t["settings (and finding a Prefect server)"] = time.time()
import flows.publish
t["import flows.publish (Prefect)"] = time.time()
first = []
flows.publish.STEP_LISTENERS.append(lambda name: first or first.append(time.time()))
with cli._with_store(settings):
    t["S3 store: find or start SeaweedFS, bucket ensure"] = time.time()
    result = cli._publish(Path(sys.argv[2]), settings, None, None, False)
    t["flow: steps and finish"] = time.time()
t["S3 store stop"] = time.time()
print(json.dumps({"marks": t, "first_step": first[0] if first else None, "status": result["status"]}), flush=True)
"""
NOTES_MODEL = r"""
import json, time
t0 = time.time()
from transcripts.notes._embed import embed
t1 = time.time()
embed(["a first sentence"])
t2 = time.time()
embed(["another sentence"] * 20)
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "next": time.time() - t2}), flush=True)
"""
FLOW_START = "flow: Prefect start (client or ephemeral server, flow run, context, bucket)"
RUN_PHASES = ("start-up, until the flow run exists", "Prefect around the steps", "steps (claim, probe)",
              "after the flow (store stop, exit)")


def _env(**extra: str) -> dict[str, str]:
    """This environment without Chorus, Prefect or AWS settings: embedded defaults, as a newcomer has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "PREFECT_", "AWS_"))}
    env.update(extra)
    return env


def _utc(stamp: str) -> float:
    """Epoch seconds of a timestamp as Prefect's SQLite database stores it (UTC, no zone).

    >>> _utc("1970-01-01 00:01:00.250000")
    60.25
    """
    when = datetime.fromisoformat(stamp)
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def prefect_run(data: Path, name: str) -> dict:
    """Epoch seconds of the flow run named ``name``: created, first Pending and Running, final state,
    and its tasks as (step, start, end), from ``<data>/prefect/prefect.db``."""
    with closing(sqlite3.connect(f"file:{data / 'prefect' / 'prefect.db'}?mode=ro", uri=True)) as db:
        fid, created = db.execute("SELECT id, created FROM flow_run WHERE name = ? ORDER BY created DESC LIMIT 1",
                                  (name,)).fetchone()
        states = db.execute("SELECT type, timestamp FROM flow_run_state WHERE flow_run_id = ? ORDER BY timestamp",
                            (fid,)).fetchall()
        tasks = db.execute("SELECT name, start_time, end_time FROM task_run WHERE flow_run_id = ? AND start_time "
                           "IS NOT NULL ORDER BY start_time", (fid,)).fetchall()
    first: dict[str, float] = {}
    for kind, stamp in states:
        first.setdefault(kind, _utc(stamp))
    final = [_utc(s) for k, s in states if k in ("COMPLETED", "FAILED", "CRASHED")]
    return {"created": _utc(created), "pending": first.get("PENDING"), "running": first.get("RUNNING"),
            "final": max(final) if final else None,
            "tasks": [(n.rsplit("-", 1)[0], _utc(s), _utc(e or s)) for n, s, e in tasks]}


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Wait for ``proc`` (its own session); (exit code, CPU seconds of it and what it waited for)."""
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def chorus_run(src: Path, data: Path, cwd: Path) -> dict:
    """One ``chorus run --json SRC`` as a user types it; wall, CPU, steps, overhead and its phases."""
    spawn = time.time()
    stdout = cwd / f"run-{src.stem}.stdout"
    with open(stdout, "wb") as so, open(cwd / "run.stderr", "ab") as err:  # files: a full pipe would block it
        proc = subprocess.Popen([sys.executable, "-m", "chorus.cli", "run", "--json", "--data-dir", str(data),
                                 str(src)], cwd=cwd, env=_env(), stdout=so, stderr=err, start_new_session=True)
        rc, cpu = _wait(proc, RUN_TIMEOUT_S)
    end = time.time()
    lines = [json.loads(x) for x in stdout.read_text().splitlines() if x.startswith("{")]
    run = prefect_run(data, f"publish {src.name}")
    steps = sum(e - s for _, s, e in run["tasks"])
    phases = dict(zip(RUN_PHASES, (run["created"] - spawn, run["final"] - run["created"] - steps, steps,
                                   end - run["final"])))
    return {"wall": end - spawn, "cpu": cpu, "rc": rc, "status": lines[0]["status"] if lines else "no output",
            "steps": steps, "overhead": end - spawn - steps, "phases": phases}


def stopwatch(src: Path, data: Path, cwd: Path) -> dict:
    """The functions ``chorus run`` calls, in a fresh interpreter, with a timestamp between each."""
    spawn = time.time()
    proc = subprocess.Popen([sys.executable, "-c", STOPWATCH, str(data), str(src)], cwd=cwd, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    out, errs = proc.communicate(timeout=RUN_TIMEOUT_S)
    end = time.time()
    found = [json.loads(x) for x in out.decode().splitlines() if x.startswith("{")]
    if not found:
        return {"error": (errs.decode(errors="replace").strip().splitlines() or ["no output"])[-1]}
    marks, first = found[0]["marks"], found[0]["first_step"]
    names, times = list(marks), list(marks.values())
    parts = {"python start": times[0] - spawn}
    for i, name in enumerate(names[1:], 1):
        if name == "flow: steps and finish" and first:
            parts[FLOW_START] = first - times[i - 1]
            parts[name] = times[i] - first
        else:
            parts[name] = times[i] - times[i - 1]
    parts["exit"] = end - times[-1]
    return {"parts": parts, "total": end - spawn, "status": found[0]["status"]}


IMPORTS = ("import prefect, prefect.artifacts, prefect.cache_policies, prefect.concurrency.sync, prefect.states; "
           "import chorus.cli, flows.publish")
"""Prefect first (the parts of it flows/publish.py uses), then ours: the cumulative times split the two."""


def import_costs() -> dict:
    """``python -X importtime -c IMPORTS``: cumulative seconds of each top-level import (Prefect's summed) and
    of the modules right under ``chorus.cli`` and ``flows.publish``; self time by top-level package."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, check=True)
    top: dict[str, float] = {}
    under: dict[str, float] = {}
    pending: list[tuple[str, float]] = []
    by_pkg: dict[str, float] = {}
    for m in re.finditer(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$", proc.stderr, re.M):
        own, cum, depth, name = int(m.group(1)) / 1e6, int(m.group(2)) / 1e6, (len(m.group(3)) - 1) // 2, m.group(4)
        by_pkg[name.split(".")[0]] = by_pkg.get(name.split(".")[0], 0.0) + own
        if depth == 1:
            pending.append((name, cum))  # importtime prints children before their parent
        elif depth == 0 and name.startswith(("prefect", "chorus.cli", "flows.publish")):  # not the interpreter's own
            key = "prefect" if name.startswith("prefect") else name
            top[key] = top.get(key, 0.0) + cum
            if key in ("chorus.cli", "flows.publish"):
                under.update((f"{key} → {n}", c) for n, c in pending if c >= 0.05)
            pending = []
    return {"top": top, "under": dict(sorted(under.items(), key=lambda kv: -kv[1])),
            "packages": sorted(by_pkg.items(), key=lambda kv: -kv[1])}


def notes_model() -> dict:
    """Seconds to import the notes' sentence-embedding code, embed one sentence, then 20 more, in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", NOTES_MODEL], cwd=ROOT, env=_env(TQDM_DISABLE="1"),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    found = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    return found[0] if found else {}


class Up:
    """One ``chorus up`` in its own process group, as a terminal starts it; SIGINT stops it."""

    def __init__(self, root: Path, stable: float | None):
        self.root, self.data, self.inbox, self.log = root, root / "data", root / "inbox", root / "up.stderr"
        env = {"CHORUS_EMBEDDED__S3_PORT": str(free_port()), "CHORUS_EMBEDDED__PREFECT_PORT": str(free_port())}
        if stable is not None:
            env["CHORUS_INBOX__STABLE_SECONDS"] = str(stable)
        self.env = _env(**env)
        self.proc: subprocess.Popen | None = None
        self.feed_url = ""

    def start(self, timeout: float = 300) -> float:
        """Start it; seconds until it watches the inbox (Prefect server, SeaweedFS, deployments served)."""
        self.root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with open(self.log, "a") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chorus.cli", "up", "--no-example", "--data-dir", str(self.data),
                 "--inbox", str(self.inbox)], stdout=subprocess.PIPE, stderr=err, text=True, env=self.env,
                cwd=self.root, start_new_session=True)
        self.feed_url = self.proc.stdout.readline().strip()  # the first line is the default show's feed URL
        while "watching " not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.perf_counter() - t0 > timeout:
                raise SystemExit(f"chorus up did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        return time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        try:
            self.proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def items(self) -> int:
        try:
            with urllib.request.urlopen(self.feed_url, timeout=5) as r:
                return len(ET.fromstring(r.read()).findall("./channel/item"))
        except (OSError, ET.ParseError):
            return 0


_GROUPS = {"claim": "claim + probe", "probe": "claim + probe", "master": "master", "transcribe": "transcribe",
           "notes": "notes (chapters, keywords)", "draft": "draft + load + render", "load": "draft + load + render",
           "render": "draft + load + render", "publish-objects": "publish objects + record",
           "record": "publish objects + record", "feed": "feed (written last)"}
GAPS = "Prefect between steps"
LATENCY_PARTS = ("stability window (until it left the inbox)", "claim into data dir, run_deployment",
                 "runner pick-up (its poll)", "flow-run subprocess start (Python, imports)",
                 "flow start (settings, bucket)", *dict.fromkeys(_GROUPS.values()), GAPS,
                 "feed seen by the poller")


def drop(up: Up, recording: Path, timeout: float = 420) -> dict:
    """Copy ``recording`` into the inbox; time until the feed lists it, and each part on the way.

    The parts add up to the total: the feed is public when its task ends (``finish`` comes after).
    """
    target = up.inbox / recording.name
    before = up.items()
    shutil.copyfile(recording, target)
    t_drop = time.time()
    moved = seen = None
    while seen is None and time.time() - t_drop < timeout:
        if moved is None and not target.exists():
            moved = time.time()
        if up.items() > before:
            seen = time.time()
        time.sleep(0.1)
    if seen is None:
        raise SystemExit(f"{recording.name} never reached the feed:\n{up.log.read_text(errors='replace')[-2000:]}")
    run = prefect_run(up.data, f"publish {recording.name}")
    tasks = [t for t in run["tasks"] if t[0] in _GROUPS]
    parts = dict.fromkeys(LATENCY_PARTS, 0.0)
    cuts = [t_drop, moved, run["created"], run["pending"], run["running"], tasks[0][1]]
    for name, a, b in zip(LATENCY_PARTS, cuts, cuts[1:]):
        parts[name] = b - a
    for (step, start, end), after in zip(tasks, [*(t[1] for t in tasks[1:]), None]):
        parts[_GROUPS[step]] += end - start
        parts[GAPS] += (after - end) if after else 0.0
    parts["feed seen by the poller"] = seen - tasks[-1][2]
    return {"total": seen - t_drop, "parts": parts}


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}–{max(xs):.2f}"


LABELS = {"a": "(a) no server: ephemeral Prefect + own SeaweedFS", "b": "(b) beside a running `chorus up`"}


def write_docs(res: dict, out: Path, cmd: str) -> str:
    conds = res["conditions"]
    med = {k: {f: _med([r[f] for r in v["runs"]]) for f in ("wall", "overhead", "cpu", "steps")}
           for k, v in conds.items()}
    lines = [
        "# Start-up benchmark (issue #10): `chorus run` overhead, drop-to-published under `chorus up`", "",
        f"- machine: {res['machine']}", f"- date: {res['date']}",
        f"- load average (1/5/15 min) at start: {res['load_start']}; at end: {res['load_end']}",
        f"- command: `{cmd}`", "",
        "> **Shared CPU.** Other engineers' tests and benchmarks ran on the same 2 cores (see the load average), "
        "so wall seconds are pessimistic; CPU seconds are steadier.", "",
        "Times inside a flow run come from the Prefect server's own database (`<data>/prefect/prefect.db`): "
        "the flow run's states and each task's start and end.", "",
        "## 1. `chorus run --json` fixed overhead", "",
        "The input does no real work: a small text file named `.wav`, so the flow fails at its probe step "
        "(`failed`, exit 1). Overhead = wall seconds minus the seconds its steps (tasks) ran. CPU = the child's "
        "rusage, with the processes it waited for.", "",
        "| condition | runs | wall s, median (min–max) | steps s | **overhead s, median** (min–max) | CPU s, median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, v in conds.items():
        runs = v["runs"]
        lines.append(f"| {LABELS[k]} | {len(runs)} | {med[k]['wall']:.2f} ({_spread([r['wall'] for r in runs])}) | "
                     f"{med[k]['steps']:.2f} | **{med[k]['overhead']:.2f}** "
                     f"({_spread([r['overhead'] for r in runs])}) | {med[k]['cpu']:.2f} |")
    ok = med["b"]["overhead"] <= TARGET_S
    lines += ["", f"- target for (b), at most {TARGET_S:.0f} s: **{'met' if ok else 'not met'}** "
              f"({med['b']['overhead']:.2f} s, {med['b']['overhead'] / TARGET_S:.1f}× the target)."]
    if "a" in conds:
        lines.append(f"- ratio (a)/(b): wall {med['a']['wall'] / med['b']['wall']:.1f}×, overhead "
                     f"{med['a']['overhead'] / med['b']['overhead']:.1f}×, CPU {med['a']['cpu'] / med['b']['cpu']:.1f}×.")
    lines.append("- outcomes: " + ", ".join(sorted({f"{r['status']} (exit {r['rc']})" for v in conds.values()
                                                    for r in v["runs"]})) + ".")
    lines += ["", "Phases of the same runs (medians, s):", "", "| phase | " + " | ".join(k for k in conds) + " |",
              "|---|" + "---:|" * len(conds)]
    lines += [f"| {p} | " + " | ".join(f"{_med([r['phases'][p] for r in v['runs']]):.2f}" for v in conds.values())
              + " |" for p in RUN_PHASES]
    sw = {k: v["stopwatch"] for k, v in conds.items() if "parts" in v["stopwatch"]}
    if sw:
        keys = list(dict.fromkeys(p for s in sw.values() for p in s["parts"]))
        lines += ["", "### Where the start-up goes", "",
                  "One more run per condition of the functions the CLI calls (`chorus.cli._settings`, `_with_store`, "
                  "`_publish`) in a fresh interpreter, with a timestamp between each (s):", "",
                  "| phase | " + " | ".join(sw) + " |", "|---|" + "---:|" * len(sw)]
        lines += [f"| {p} | " + " | ".join(f"{sw[k]['parts'].get(p, float('nan')):.2f}" for k in sw) + " |"
                  for p in keys]
        lines.append("| **total** | " + " | ".join(f"**{sw[k]['total']:.2f}**" for k in sw) + " |")
    imp = res["imports"]
    lines += ["", f"`python -X importtime -c '{IMPORTS}'` (Prefect first, so what follows is ours), cumulative s:",
              "", "| import | s |", "|---|---:|"]
    lines += [f"| {name} | {sec:.2f} |" for name, sec in imp["top"].items() if sec >= 0.01]
    lines += [f"| &nbsp;&nbsp;{name} | {sec:.2f} |" for name, sec in imp["under"].items()]
    lines.append(f"| **all** | **{sum(imp['top'].values()):.2f}** |")
    pkgs = imp["packages"]
    lines += ["", "Self time by top-level package (s): " + ", ".join(f"{n} {sec:.2f}" for n, sec in pkgs[:8])
              + f", the other {len(pkgs) - 8} {sum(sec for _, sec in pkgs[8:]):.2f}."]
    lat = res["latency"]
    lines += ["", "## 2. Drop-to-published latency of a 1-minute recording under `chorus up`", "",
              f"A {res['audio']:.1f} s two-speaker WAV (the panel script's first nine turns, "
              "`tests/support/synth.py`) is copied into the inbox of a running `chorus up` (`--no-example`, "
              "otherwise default settings); the feed URL it prints is polled every 0.1 s until the item is in it. "
              "When the file left the inbox is seen by the same poll, so the part after it can read slightly "
              "negative. The parts add up to the total.", "",
              "| part | " + " | ".join(f"stable_seconds = {s:g}: s" for s in lat) + " |", "|---|" + "---:|" * len(lat)]
    lines += [f"| {p} | " + " | ".join(f"{v['parts'][p]:.2f}" for v in lat.values()) + " |" for p in LATENCY_PARTS]
    lines.append("| **drop to published in the feed** | " + " | ".join(f"**{v['total']:.1f}**" for v in lat.values())
                 + " |")
    lines.append("| (`chorus up` start, paid once: servers up, deployments served) | " +
                 " | ".join(f"{v['up_start']:.1f}" for v in lat.values()) + " |")
    nm = res.get("notes_model")
    if nm:
        lines += ["", f"The notes step drafts chapters with a sentence-embedding model. In a fresh Python process, as "
                  f"each flow run is, importing it takes {nm['import']:.1f} s and the first sentence "
                  f"{nm['first']:.1f} s (loading the model); 20 more sentences then take {nm['next']:.2f} s."]
    lines += ["", "## What would close the gaps (proposals; nothing was changed to win the target)", "",
              *proposals(res), "", "![overhead and latency](startup.png)", ""]
    text = "\n".join(lines)
    (out / "startup.md").write_text(text, encoding="utf-8")
    return text


def proposals(res: dict) -> list[str]:
    """Sentences from the figures: what the measured gaps are made of."""
    b, out = res["conditions"]["b"], []
    sw = b["stopwatch"].get("parts", {})
    if sw:
        imp = sw["import flows.publish (Prefect)"] + sw["import chorus.cli"]
        top = res["imports"]["top"]
        ours = top.get("chorus.cli", 0.0) + top.get("flows.publish", 0.0)
        out.append(f"- **(b) is imports, Prefect's flow start and exit.** Of {b['stopwatch']['total']:.1f} s in the "
                   f"split, imports take {imp:.1f} s, the flow's start (client, flow-run creation, settings and the "
                   f"bucket again inside the flow) {sw[FLOW_START]:.1f} s, the steps and Prefect's bookkeeping around "
                   f"them {sw['flow: steps and finish']:.1f} s and the exit {sw['exit']:.1f} s. In the import table "
                   f"Prefect is {top.get('prefect', 0.0):.1f} s and our modules {ours:.1f} s (mostly `chorus.sequence` "
                   "with `media`, `transcripts` and `feeds`, and `chorus.catalog` with SQLAlchemy), all needed by the "
                   "flow module at import. Prefect's import, flow-run creation and exit are a floor of roughly "
                   "3–4 s on this machine for any `chorus run` that runs a flow in its own process, so the 3 s "
                   "target needs our imports trimmed (lazy imports in `chorus.steps` for what a run that fails "
                   "early never touches; the house moved imports to module level for a readable dependency graph, "
                   "so that is a trade-off to weigh) and the bucket found and checked once instead of twice "
                   "(CLI and flow).")
    lat = res["latency"]
    pick = ", ".join(f"{v['parts']['runner pick-up (its poll)']:.1f}" for v in lat.values())
    spawn = ", ".join(f"{v['parts']['flow-run subprocess start (Python, imports)']:.1f}" for v in lat.values())
    out += [f"- **Runner pick-up.** `chorus up` serves the deployments with Prefect's `Runner`, which looks for "
            f"scheduled runs every `PREFECT_RUNNER_POLL_FREQUENCY` (default 10 s): the drops waited {pick} s to be "
            "picked up. A default of 1–2 s for that setting in `chorus up` (one environment default, next to where "
            "it sets `CHORUS_SERVED_BY`; no new process) would save about 5 s on average, up to 10 s, on every drop.",
            f"- **Flow-run subprocess start.** Each run is a fresh Python process that imports the flow module before "
            f"it reports Running: {spawn} s. The import trimming above helps here too; a warm process pool would "
            "be an extra protocol (DESIGN rule 14), so it is not proposed."]
    nm = res.get("notes_model")
    if nm:
        steps = "; ".join(f"{v['parts']['notes (chapters, keywords)']:.0f} s against "
                          f"{v['parts']['transcribe']:.0f} s" for v in res["latency"].values())
        out.append(f"- **Notes on a short recording.** Loading the embedding model ({nm['import'] + nm['first']:.0f} s "
                   "in a fresh process) is paid by every flow run, so on a 1-minute recording the notes step took "
                   f"{steps} for transcription. It is a fixed cost that long recordings amortise; keeping the model "
                   "loaded between runs would need a long-lived worker process (DESIGN rule 14), so measure before "
                   "deciding; a smaller model is the simple lever.")
    if 15.0 in lat:
        w = lat[15.0]["parts"][LATENCY_PARTS[0]]
        out.append(f"- **Stability window.** The default 15 s window is {w:.1f} s of the {lat[15.0]['total']:.0f} s "
                   "drop-to-published. It is what keeps slow and stalled copies whole (issue #10's hostile run), so "
                   "it stays; organisers who copy on a local disk can lower `[inbox] stable_seconds`.")
    if "a" in res["conditions"]:
        a = res["conditions"]["a"]
        out.append(f"- **(a) is Prefect's ephemeral server.** Without `chorus up`, each `chorus run` starts a "
                   f"temporary Prefect server and a SeaweedFS: {_med([r['overhead'] for r in a['runs']]):.0f} s median "
                   "overhead. Running `chorus up` (or pointing `PREFECT_API_URL` at a server) removes it; the docs "
                   "should say so where they introduce `chorus run`.")
    return out


def plot(res: dict, out: Path) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [2, 3]})
    conds = res["conditions"]
    colours = ("#8172B3", "#C44E52", "#55A868", "#937860")
    for i, (k, v) in enumerate(conds.items()):
        bottom = 0.0
        for c, p in zip(colours, RUN_PHASES):
            h = _med([r["phases"][p] for r in v["runs"]])
            left.bar(i, h, bottom=bottom, color=c, label=p if i == 0 else None)
            bottom += h
        ov = [r["overhead"] for r in v["runs"]]
        left.text(i, bottom, f"overhead {_med(ov):.1f} s\n({_spread(ov)})", ha="center", va="bottom", fontsize=8)
    left.axhline(TARGET_S, color="grey", ls="--", lw=1)
    left.text(-0.45, TARGET_S, f"target {TARGET_S:.0f} s", va="bottom", fontsize=8, color="grey")
    left.set_xticks(range(len(conds)), [LABELS[k].split(":")[0] for k in conds])
    left.set_ylabel("wall seconds (medians)")
    left.set_ylim(0, max(r["wall"] for v in conds.values() for r in v["runs"]) * 1.3)
    left.set_title(f"`chorus run` of a no-work input, {len(conds['b']['runs'])} runs each")
    left.legend(fontsize=7, loc="upper right")
    lat = res["latency"]
    cmap = plt.get_cmap("tab20")
    for y, v in enumerate(lat.values()):
        x = 0.0
        for j, p in enumerate(LATENCY_PARTS):
            right.barh(y, max(v["parts"][p], 0.0), left=x, color=cmap(j), label=p if y == 0 else None)
            x += max(v["parts"][p], 0.0)
        right.text(x, y, f" {v['total']:.0f} s", va="center", fontsize=9)
    right.set_yticks(range(len(lat)), [f"stable {s:g} s" for s in lat])
    right.set_xlabel("seconds from the drop")
    right.set_xlim(0, max(v["total"] for v in lat.values()) * 1.12)
    right.set_title(f"drop-to-published, {res['audio']:.0f} s recording, `chorus up`")
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    fig.tight_layout()
    fig.savefig(out / "startup.png", dpi=110)
    plt.close(fig)


def _junk(folder: Path, i: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"not-a-recording-{i}.wav"
    path.write_text(f"not a recording ({i}, {time.time_ns()})\n")  # distinct content: a new episode each run
    return path


def _condition(label: str, data: Path, work: Path, runs: int) -> dict:
    out: dict = {"runs": []}
    for i in range(runs):
        r = chorus_run(_junk(work / f"in-{label}", i), data, work)
        print(f"  ({label}) run {i + 1}: wall {r['wall']:.2f} s, steps {r['steps']:.2f} s, overhead "
              f"{r['overhead']:.2f} s, CPU {r['cpu']:.2f} s, {r['status']}", flush=True)
        out["runs"].append(r)
    out["stopwatch"] = stopwatch(_junk(work / f"in-{label}", runs), data, work)
    print(f"  ({label}) split: {json.dumps(out['stopwatch'], default=lambda x: round(x, 2))}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="`chorus run` repeats per condition")
    ap.add_argument("--no-ephemeral", action="store_true", help="skip condition (a), ~40 s a run")
    ap.add_argument("--work", type=Path, help="keep the data directories here (default: a temporary folder)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    a = ap.parse_args(argv)
    cmd = ("python bench/startup.py" + (f" --runs {a.runs}" if a.runs != 3 else "")
           + (" --no-ephemeral" if a.no_ephemeral else ""))
    work = (a.work or Path(tempfile.mkdtemp(prefix="chorus-startup-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "load_start": " / ".join(f"{x:.2f}" for x in os.getloadavg()), "conditions": {}, "latency": {}}
    ups: list[Up] = []
    try:
        panel = json.loads((ROOT / "tests" / "data" / "scripts" / "panel.json").read_text())
        wav, truth = render({**panel, "turns": panel["turns"][:9]}, work / "minute", fmt="wav")
        res["audio"] = float(truth["duration"])
        print(f"recording: {res['audio']:.1f} s; imports ...", flush=True)
        res["imports"] = import_costs()
        res["notes_model"] = notes_model()
        print(f"notes model in a fresh process: {res['notes_model']}", flush=True)
        if not a.no_ephemeral:
            print("(a) chorus run, no server ...", flush=True)
            res["conditions"]["a"] = _condition("a", work / "solo" / "data", work, a.runs)
        for stable in (None, 2.0):
            up = Up(work / f"up-{stable or 'default'}", stable)
            ups.append(up)
            took = up.start()
            print(f"chorus up (stable_seconds {stable or 'default'}) watching after {took:.1f} s", flush=True)
            if stable is None:
                print("(b) chorus run beside chorus up ...", flush=True)
                res["conditions"]["b"] = _condition("b", up.data, work, a.runs)
            rec = work / f"minute-{stable or 15:g}s.wav"
            shutil.copyfile(wav, rec)
            got = {**drop(up, rec), "up_start": took}
            res["latency"][stable or 15.0] = got
            print(f"  drop-to-published {got['total']:.1f} s: "
                  f"{json.dumps(got['parts'], default=lambda x: round(x, 2))}", flush=True)
            up.stop()
        res["conditions"] = dict(sorted(res["conditions"].items()))
        res["load_end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
        a.out.mkdir(parents=True, exist_ok=True)
        print(write_docs(res, a.out, cmd))
        plot(res, a.out)
        return 0
    finally:
        for up in ups:
            up.stop()
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
