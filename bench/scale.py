#!/usr/bin/env python3
"""Scale-out benchmark (issue #14): one `chorus worker` against two, and staging through the bucket.

    .venv/bin/python bench/scale.py [--recordings N] [--rounds 2|1] [--paths] [--quick] [--work DIR] [--out docs]

1. Throughput. N spoken recordings (default 6, 30-90 s each, rendered with tests/support/synth.py from
   committed scripts in tests/data/scripts) are staged in the bucket (``chorus.staging.stage``) and submitted
   at once to the ``publish-episode/publish-episode`` deployment (``chorus deploy``) with their manifest key
   as ``staged``, as ``chorus up --on-workers``'s watcher does, so each worker ``fetch``es its copy and
   ``drop-copy`` removes it after release (workers with no shared disk, as in production); run by
   (a) ONE ``chorus worker --limit 1`` pinned to core 0 (``taskset -c 0``), then
   (b) TWO, pinned to cores 0 and 1, each with its own ``--work-dir``.
   One Prefect server (chorus.services.PrefectServer on a free port, its own home), one SeaweedFS
   (chorus.services.SeaweedFS, anonymous reads only of each bucket's show folder), a SQLite catalog; each
   configuration gets a fresh catalog, bucket and work directories, so nothing is a duplicate or cached.
   ``CHORUS_SHOW__REVIEW=after`` (nothing held), ``CHORUS_PROCESSING__TRANSCRIPTIONS_AT_ONCE=2`` (the two
   pinned workers share this host's ``chorus-transcribe-<host>`` limit; with 1 slot they would wait for each other).
   A short recording goes through a worker first, untimed (model files, Python bytecode, server warm),
   and the configurations run twice, in the order 1, 2, 2, 1 (``--rounds 1``: once each); both are reported.
   From the Prefect API: each flow run's states (Scheduled, Pending = picked up by a worker, Running,
   Completed) and tasks. Queueing delay = ``start_time - expected_start_time``. Peak RSS (VmHWM from /proc,
   sampled every 0.5 s) of each worker and of its flow-run processes; CPU seconds of each worker with the
   flow runs it waited for (/proc/PID/stat, from submission to the last run's exit); the machine's busy cores
   from /proc/stat.
2. Staging overhead. ``chorus.staging`` stage + fetch + unstage of a 1-minute and a 60-minute WAV (the
   1-minute one repeated with sox; deleted afterwards) through the same SeaweedFS, against
   ``shutil.copy2`` of the same file; as seconds and as a share of the processing time of that much
   audio, extrapolated from the one-worker runs of part 1 (least-squares line, and plain rate per minute).
   ``--paths`` runs part 1 the old way instead: each flow run gets the recording's path on this machine's
   disk (``source``), nothing is staged (workers sharing a filesystem).

Writes OUT/scale.md and OUT/scale.png (``--quick``: into the work directory unless ``--out`` is given).
Not a test: run it by hand (about 15 minutes on 2 cores; ``--quick`` about 3).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._scale_report import plot, processing_model, write_docs  # noqa: E402
from bench.pipeline import machine  # noqa: E402
from bench.startup import _wait  # noqa: E402
from chorus.services import PrefectServer, SeaweedFS, free_port  # noqa: E402
from tests.support.synth import render  # noqa: E402

SCRIPTS = ROOT / "tests" / "data" / "scripts"
SET = ("edit-repeats", "edit-duo", "lang-ten-en", "quiet-guest", "coverage-holdout-allotment",
       "captions-holdout-solo-reflection", "speakers-holdout-trio-trainees", "speakers-holdout-quartet-roundtable")
"""English scripts of about 30-90 s each, in the order they are taken (``--recordings N``: the first N)."""
QUICK_SET = ("publish-short", "glossary")
WARMUP = "speakers-tune-solo"
SHOW = "community-podcast"  # the default show's folder: the only thing anonymous readers may GET
RUN_TIMEOUT_S = 1800


def _env(**extra: str) -> dict[str, str]:
    """This environment without Chorus, Prefect or AWS settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHORUS_", "PREFECT_", "AWS_"))}
    env.update(extra)
    return env


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    v = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]))
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def _cpu_s(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for (utime, stime, cutime, cstime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(map(int, fields[11:15])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int, timeout: float = 15) -> None:
    """Until ``pid`` has no child left (a flow-run process exits a moment after its final state)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            if not kids.read_text().split():
                return
        except OSError:
            return
        time.sleep(0.2)


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


class Peaks(threading.Thread):
    """Samples /proc every 0.5 s: VmHWM of each worker and of every process under it (flow runs, ffmpeg),
    and the largest sum of VmRSS over a worker's tree."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.roots: dict[int, str] = {}
        self.peak: dict[tuple[str, str], float] = {}  # (worker, role) -> MB
        self.tree: dict[str, float] = {}
        self.done = threading.Event()

    @staticmethod
    def _status(pid: int) -> dict[str, str]:
        try:
            return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                        if ":" in line)
        except OSError:
            return {}

    def sample(self) -> None:
        parents: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        for root, name in list(self.roots.items()):
            todo, tree = [root], []
            while todo:
                p = todo.pop()
                tree.append(p)
                todo += [c for c, pp in parents.items() if pp == p]
            total = 0.0
            for p in tree:
                st = self._status(p)
                if "VmHWM" not in st:
                    continue
                role = "worker" if p == root else ("flow run" if st["Name"].strip().startswith("python")
                                                   else st["Name"].strip())
                key = (name, role)
                self.peak[key] = max(self.peak.get(key, 0.0), int(st["VmHWM"].split()[0]) / 1024)
                total += int(st["VmRSS"].split()[0]) / 1024
            self.tree[name] = max(self.tree.get(name, 0.0), total)

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()


class Bench:
    """The shared services (one Prefect server, one SeaweedFS) and every process started; ``close`` stops all."""

    def __init__(self, work: Path):
        self.work = work
        self.procs: list[subprocess.Popen] = []
        self.store = SeaweedFS(work / "s3", s3_port=free_port(), public_prefixes=[])
        self.server = PrefectServer(work / "prefect-home", free_port())

    def start(self) -> None:
        self.store.start()
        self.server.start(timeout=240, advertise=False)
        key, secret = self.store.credentials()
        self.s3 = {"CHORUS_PUBLISH__ENDPOINT_URL": self.store.endpoint_url, "AWS_ACCESS_KEY_ID": key,
                   "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1"}
        self.env = _env(**self.s3, PREFECT_API_URL=self.server.api_url, PREFECT_HOME=str(self.work / "prefect-client"),
                        CHORUS_SHOW__REVIEW="after", CHORUS_PROCESSING__TRANSCRIPTIONS_AT_ONCE="2")
        done = subprocess.run([sys.executable, "-m", "chorus.cli", "deploy"], env={
            **self.env, "CHORUS_DATA_DIR": str(self.work / "deploy")}, cwd=self.work, capture_output=True, text=True,
            timeout=300)
        if done.returncode:
            raise SystemExit(f"chorus deploy failed:\n{done.stderr[-3000:]}")

    def worker(self, name: str, core: int, cfg: Path, env: dict[str, str]) -> subprocess.Popen:
        log = open(cfg / f"{name}.log", "wb")
        proc = subprocess.Popen(["taskset", "-c", str(core), sys.executable, "-m", "chorus.cli", "worker", "--name", name,
                                 "--work-dir", str(cfg / name), "--limit", "1"], env=env, cwd=cfg, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> float:
        """SIGINT (the worker leaves the pool), SIGKILL of its group after 30 s; CPU seconds of it and of the
        flow runs it waited for, over its life."""
        if proc.returncode is not None:
            return 0.0
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        _, cpu = _wait(proc, 30)
        _killpg(proc.pid)  # a flow-run process left behind in its group
        return cpu

    def close(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                _killpg(proc.pid)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        self.server.stop()
        self.store.stop()


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _online(api: str, names: set[str], timeout: float = 180) -> bool:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if names <= {w.name for w in await client.read_workers_for_work_pool("chorus", limit=50, offset=0)}:
                return True
            await asyncio.sleep(0.5)
    return False


def _t(when) -> float | None:
    return when.timestamp() if when is not None else None


async def _submit_and_wait(api: str, params: list[dict], timeout: float) -> tuple[float, list[dict]]:
    """One flow run of publish-episode per parameter set, all at once; when all are final, what the API says of each."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    async with PrefectClient(api) as client:
        dep = await client.read_deployment_by_name("publish-episode/publish-episode")
        t0 = time.time()
        runs = [await client.create_flow_run_from_deployment(dep.id, parameters=p) for p in params]
        deadline = time.monotonic() + timeout
        while True:
            runs = [await client.read_flow_run(r.id) for r in runs]
            if all(r.state is not None and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        out = []
        for p, r in zip(params, runs):
            states: dict[str, float] = {}
            for s in await client.read_flow_run_states(r.id):
                states.setdefault(s.type.value, s.timestamp.timestamp())
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[r.id])),
                                              sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=200)
            given = r.parameters or {}
            out.append({"source": Path(p["source"]).name, "state": r.state.type.value if r.state else "?",
                        "param_staged": given.get("staged"), "param_source": given.get("source"),
                        "worker": r.labels.get("prefect.worker.name"), "created": _t(r.created),
                        "expected": _t(r.expected_start_time), "start": _t(r.start_time), "end": _t(r.end_time),
                        "pending": states.get("PENDING"), "running": states.get("RUNNING"),
                        "tasks": {t.name.rsplit("-", 1)[0]: (_t(t.start_time), _t(t.end_time)) for t in tasks
                                  if t.start_time is not None}})
        return t0, out


def configuration(bench: Bench, label: str, cores: list[int], recordings: list[tuple[Path, float]],
                  staged: bool = False) -> dict:
    """Run ``recordings`` on one worker per core; wall time, flow runs, CPU, peak RSS, load. ``staged``: first
    stage each in the bucket (``chorus.staging.stage``, as the watcher does) and pass the workers its key."""
    from chorus.catalog import Catalog, Episode
    from chorus.storage import Bucket
    from sqlalchemy import func, select

    cfg = bench.work / label
    cfg.mkdir(parents=True)
    bucket = f"scale-{label}-{secrets.token_hex(3)}".lower()
    store = Bucket(bucket, bench.store.endpoint_url, None, "us-east-1", bench.s3["AWS_ACCESS_KEY_ID"],
                   bench.s3["AWS_SECRET_ACCESS_KEY"])
    store.ensure()
    bench.store.allow_public(f"{bucket}/{SHOW}")
    catalog = f"sqlite:///{cfg / 'catalog.db'}"
    Catalog(catalog)  # the schema first: two workers do not race to create it
    env = {**bench.env, "CHORUS_CATALOG_URL": catalog, "CHORUS_PUBLISH__BUCKET": bucket,
           "CHORUS_DATA_DIR": str(cfg / "data")}
    names = [f"{label}-core{c}" for c in cores]
    workers = {n: bench.worker(n, c, cfg, env) for n, c in zip(names, cores)}
    peaks = Peaks()
    peaks.roots = {p.pid: n for n, p in workers.items()}
    if not asyncio.run(_online(bench.server.api_url, set(names))):
        raise SystemExit(f"{label}: workers not online:\n" + "\n".join(
            (cfg / f"{n}.log").read_text(errors="replace")[-1500:] for n in names))
    affinity = {n: sorted(os.sched_getaffinity(p.pid)) for n, p in workers.items()}
    params, stage_s = [{"source": str(p)} for p, _ in recordings], {}
    if staged:
        from chorus import staging
        from chorus.settings import PublishSettings, Settings
        from chorus.steps import sha256_path

        watcher = Settings(data_dir=cfg / "watcher", publish=PublishSettings(
            bucket=bucket, endpoint_url=bench.store.endpoint_url, region="us-east-1"))
        for i, (p, _) in enumerate(recordings):
            t = time.perf_counter()
            params[i] = {"source": p.name, "staged": staging.stage(store, watcher, p, sha256_path(p))}
            stage_s[p.name] = time.perf_counter() - t
    load0, (b0, j0) = _load(), _busy_jiffies()
    stage_total = sum(stage_s.values())
    cpu0 = {n: _cpu_s(p.pid) for n, p in workers.items()}
    peaks.start()
    try:
        t0, runs = asyncio.run(_submit_and_wait(bench.server.api_url, params, RUN_TIMEOUT_S))
    finally:
        peaks.done.set()
        peaks.join()
    for p in workers.values():
        _settle(p.pid)
    b1, j1 = _busy_jiffies()
    load1 = _load()
    cpu = {n: _cpu_s(p.pid) - cpu0[n] for n, p in workers.items()}  # from submission to the last run's exit
    life = {n: bench.stop(p) for n, p in workers.items()}
    with Catalog(catalog).session() as s:
        published = s.scalar(select(func.count()).select_from(Episode).where(Episode.status == "published"))
    left = {n: sum(1 for sub in ("claimed", "work") for f in (cfg / n / sub).rglob("*") if f.is_file()
                   and "_shows" not in f.relative_to(cfg / n).parts)  # a show's artwork cache may stay
            for n in names}  # copies of recordings and episode work files that drop-copy did not remove
    seconds = dict((p.name, a) for p, a in recordings)
    for r in runs:
        r["audio"], r["stage"] = seconds[r["source"]], stage_s.get(r["source"])
    end = max((r["end"] or time.time()) for r in runs)
    wall = end - t0
    res = {"label": label, "cores": cores, "affinity": affinity, "t0": t0, "wall": wall, "runs": runs,
           "published": published, "cpu": cpu, "cpu_life": life, "peak_mb": {f"{w} {role}": v for (w, role), v in peaks.peak.items()},
           "tree_mb": peaks.tree, "load": (load0, load1), "busy_cores": (b1 - b0) / max(j1 - j0, 1) * os.cpu_count(),
           "episodes_per_hour": len(runs) / wall * 3600, "audio": sum(seconds.values()), "staged": staged,
           "stage_total": stage_total, "left_on_workers": left}
    bad = [r for r in runs if r["state"] != "COMPLETED"]
    print(f"  {label}: {len(runs)} runs in {wall:.1f} s = {res['episodes_per_hour']:.1f} episodes/h; published "
          f"{published}; by {sorted({r['worker'] for r in runs})}; CPU {sum(cpu.values()):.0f} s; "
          f"busy cores {res['busy_cores']:.2f}; load {load0} -> {load1}"
          + (f"; staged {sum(1 for r in runs if r['param_staged'])}/{len(runs)} (stage {stage_total:.1f} s), "
             f"left on workers {left}" if staged else "")
          + (f"; NOT COMPLETED: {[(r['source'], r['state']) for r in bad]}" if bad else ""), flush=True)
    if bad:
        for n in names:
            print((cfg / f"{n}.log").read_text(errors="replace")[-3000:], file=sys.stderr)
    return res


def staging_overhead(bench: Bench, files: list[tuple[str, Path, float]], reps: int) -> dict:
    """``chorus.staging`` stage, fetch and unstage of each file against ``shutil.copy2``; seconds, medians."""
    try:
        from chorus import staging
    except ImportError as e:
        return {"missing": f"chorus.staging cannot be imported ({e})"}
    from chorus.runtime import open_bucket
    from chorus.settings import PublishSettings, Settings
    from chorus.steps import sha256_path

    os.environ.update({k: v for k, v in bench.s3.items() if k.startswith("AWS_")})  # open_bucket: boto3's chain
    root = bench.work / "staging"
    settings = Settings(data_dir=root / "data", publish=PublishSettings(
        bucket=f"scale-staging-{secrets.token_hex(3)}", endpoint_url=bench.store.endpoint_url, region="us-east-1"))
    out: dict = {"files": []}
    with open_bucket(settings) as bucket:
        for label, path, audio in files:
            t = time.perf_counter()
            sha = sha256_path(path)
            row = {"label": label, "audio": audio, "mb": path.stat().st_size / 1e6, "sha256_s": time.perf_counter() - t,
                   "copy": [], "stage": [], "fetch": [], "unstage": [], "objects": None}
            for _ in range(reps):
                dst = root / "local" / sha
                dst.mkdir(parents=True, exist_ok=True)
                t = time.perf_counter()
                shutil.copy2(path, dst / path.name)
                row["copy"].append(time.perf_counter() - t)
                shutil.rmtree(dst)
                t = time.perf_counter()
                key = staging.stage(bucket, settings, path, sha)
                row["stage"].append(time.perf_counter() - t)
                t = time.perf_counter()
                got = staging.fetch(bucket, settings, key, root / "claimed")
                row["fetch"].append(time.perf_counter() - t)
                if Path(got).stat().st_size != path.stat().st_size:
                    raise SystemExit(f"staging.fetch returned {got}, not a copy of {path}")
                t = time.perf_counter()
                row["objects"] = staging.unstage(bucket, settings, sha)
                row["unstage"].append(time.perf_counter() - t)
                shutil.rmtree(root / "claimed", ignore_errors=True)
            print(f"  {label}: copy {min(row['copy']):.2f} s; stage {min(row['stage']):.2f} s, fetch "
                  f"{min(row['fetch']):.2f} s, unstage {min(row['unstage']):.2f} s ({row['objects']} objects)", flush=True)
            out["files"].append(row)
    shutil.rmtree(root, ignore_errors=True)
    return out


def _render(names: tuple[str, ...], folder: Path) -> list[tuple[Path, float]]:
    (folder / "render").mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        wav, truth = render(SCRIPTS / f"{name}.json", folder / "render" / name, fmt="wav")
        dst = folder / f"{name}.wav"
        shutil.move(wav, dst)
        out.append((dst, float(truth["duration"])))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recordings", type=int, default=6, help=f"how many of the set (at most {len(SET)})")
    ap.add_argument("--rounds", type=int, choices=(1, 2), default=2,
                    help="2 (default): 1 worker, 2, then 2, 1 again; 1: once each (--quick: always 1)")
    ap.add_argument("--paths", action="store_true",
                    help="submit each recording's path instead of staging it in the bucket (workers sharing a disk)")
    ap.add_argument("--quick", action="store_true", help="two short recordings, a 3-minute 'long' file: a smoke check")
    ap.add_argument("--work", type=Path, help="keep everything here (default: a temporary folder, removed)")
    ap.add_argument("--out", type=Path, help="where scale.md and scale.png go (default: docs/)")
    a = ap.parse_args(argv)
    cmd = "python bench/scale.py" + ("" if a.recordings == 6 else f" --recordings {a.recordings}") \
        + (" --rounds 1" if a.rounds == 1 and not a.quick else "") + (" --paths" if a.paths else "") \
        + (" --quick" if a.quick else "")
    work = (a.work or Path(tempfile.mkdtemp(prefix="chorus-scale-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    out = a.out or (work if a.quick else ROOT / "docs")
    os.environ["PREFECT_HOME"] = str(work / "prefect-client")  # this process's Prefect client: not ~/.prefect
    res: dict = {"machine": machine(), "cores": os.cpu_count(), "date": datetime.now(timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), "load_start": _load(), "configs": [], "quick": a.quick, "staged": not a.paths}
    bench = Bench(work)
    try:
        names = QUICK_SET if a.quick else SET[:max(1, min(a.recordings, len(SET)))]
        print(f"rendering {len(names)} recordings in {work} ...", flush=True)
        recs = _render(names, work / "recordings")
        res["recordings"] = [(p.name, s) for p, s in recs]
        print("  " + ", ".join(f"{p.name} {s:.0f} s" for p, s in recs), flush=True)
        print("SeaweedFS, Prefect server, chorus deploy ...", flush=True)
        bench.start()
        if not a.quick:
            print("warm-up (untimed): one short recording, one worker ...", flush=True)
            res["warmup"] = configuration(bench, "warmup", [0], _render((WARMUP,), work / "warmup-recording"),
                                          not a.paths)["wall"]
        order = [("1-worker", [0]), ("2-workers", [0, 1])]
        for rnd in range(1 if a.quick else a.rounds):
            for label, cores in (order if rnd == 0 else order[::-1]):
                print(f"{label} (round {rnd + 1}) ...", flush=True)
                res["configs"].append(configuration(bench, f"{label}-r{rnd + 1}", cores, recs, not a.paths))
        res["transcribe_limit"] = _limit(bench.server.api_url)
        one = [c for c in res["configs"] if len(c["cores"]) == 1]
        res["processing"] = processing_model([r for c in one for r in c["runs"] if r["state"] == "COMPLETED"])
        print("staging through the bucket ...", flush=True)
        minute = work / "minute.wav"
        long = work / "long.wav"
        panel = _render(("panel",), work / "panel")[0][0]
        subprocess.run(["sox", str(panel), str(minute), "trim", "0", "60"], check=True)
        subprocess.run(["sox", str(minute), str(long), "repeat", "2" if a.quick else "59"], check=True)
        long_s = 180.0 if a.quick else 3600.0
        try:
            res["staging"] = staging_overhead(bench, [("1-minute WAV", minute, 60.0),
                                                      (f"{long_s / 60:.0f}-minute WAV", long, long_s)],
                                              reps=2 if a.quick else 3)
        finally:
            long.unlink(missing_ok=True)
        res["load_end"] = _load()
        out.mkdir(parents=True, exist_ok=True)
        (work / "scale.json").write_text(json.dumps(res, indent=1, default=str))
        try:
            print(write_docs(res, out, cmd))
            plot(res, out)
        except Exception:
            keep = Path(tempfile.gettempdir()) / f"chorus-scale-{os.getpid()}.json"
            shutil.copy2(work / "scale.json", keep)
            print(f"the report failed; the measurements are kept in {keep}", file=sys.stderr)
            raise
        ok = all(c["published"] == len(c["runs"]) for c in res["configs"])
        return 0 if ok else 1
    finally:
        bench.close()
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)


def _limit(api: str) -> str:
    """The ``chorus-transcribe*`` global concurrency limits the flow runs created, as ``name = slots``."""
    from prefect.client.orchestration import PrefectClient

    async def read() -> str:
        async with PrefectClient(api) as client:
            found = await client.read_global_concurrency_limits(limit=200, offset=0)
            return ", ".join(f"`{x.name}` = {x.limit}" for x in found if x.name.startswith("chorus-transcribe"))

    try:
        return asyncio.run(read()) or "none found"
    except Exception as e:  # noqa: BLE001 - only a figure for the report
        return f"not read ({type(e).__name__}: {str(e)[:200]})"


if __name__ == "__main__":
    sys.exit(main())
