#!/usr/bin/env python3
"""Start-up benchmark (issue #10): the fixed cost of ``chorus run``, and drop-to-published under ``chorus up``.

    .venv/bin/python bench/startup.py [--runs 3] [--no-ephemeral] [--work DIR] [--out docs/bench]

1. ``chorus run --json`` of an input that does no real work (a small text file named ``.wav``: the
   flow fails at once at its probe step), ``--runs`` times in each of two conditions:
   (a) no server running: a Prefect server and a SeaweedFS are started for the run (and die with it);
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

from bench.pipeline import machine  # noqa: E402
from chorus.services import free_port  # noqa: E402
from tests.support.synth import render  # noqa: E402
from bench._startup_report import (FLOW_START, GAPS, IMPORTS, LATENCY_PARTS, RUN_PHASES,  # noqa: E402
                                   _GROUPS, plot, write_docs)

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
