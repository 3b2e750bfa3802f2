"""The report half of ``bench/scale.py``: the processing-time model, the markdown and the plot.

Split out so that each file stays under about 400 lines (DESIGN.md rule 1).
"""
from __future__ import annotations

import statistics
from pathlib import Path

from bench._plot import pyplot

TARGET = 1.8
"""Two workers against one: the throughput ratio issue #14 asks for."""

EARLIER = (
    "**Earlier run (10 s polling, by path):** 2026-12-04 15:35 UTC, load 2.31 / 1.73 / 0.88 at start, other "
    "people's tests on the same cores; each flow run got the recording's path, nothing staged, and the workers "
    "polled every 10 s (`PREFECT_WORKER_QUERY_SECONDS` was set after Prefect had read its settings). One worker "
    "121.4 and 118.6 episodes/h, two 209.8 and 191.1: **1.67×** (rounds 1.73×, 1.61×); queueing delay median "
    "90.0 / 88.3 s (one worker), 45.9 / 45.2 s (two); a worker idle 9.3 s (median) between two runs; RTF median "
    "0.307 / 0.333 (one), 0.408 / 0.391 (two); peak 1.33 GB per worker tree (flow run 1.19 GB); staging "
    "overhead 0.89-0.97% of the processing time of a 1-minute WAV, 0.51-3.08% of a 60-minute one.")
"""Figures of the run before chorus.workers' 2 s poll took effect and before the bench staged by default."""

BEFORE_AFFINITY = (
    "**Run before transcription threads followed the CPU affinity:** 2026-12-04 16:28 UTC, staged, 2 s poll; "
    "each pinned flow run transcribed with `os.cpu_count()` = 2 threads on its one core. One worker 134.4 and "
    "128.5 episodes/h, two 223.4 and 234.9: **1.74×** (rounds 1.66×, 1.83×). Since threads follow the affinity "
    "(one thread per pinned core), both configurations are faster, one worker the most (it no longer runs two "
    "threads on one core), so the ratio fell while the throughput rose.")
"""Figures of the run before transcripts.engines._decoding.threads_for followed the process's CPU affinity."""


def _on_worker(r: dict) -> float:
    """Seconds a flow run spent on its worker: from its pick-up (Pending) to its end."""
    return r["end"] - (r["start"] if r["pending"] is None else r["pending"])


def processing_model(runs: list[dict]) -> dict:
    """Worker seconds against audio minutes over the one-worker runs, two ways: a least-squares line
    ``a + b * minutes`` (with fewer than three runs, or a slope that is not positive, ``b`` is the plain
    ratio and ``a`` is 0), and ``ratio``, the plain seconds per audio minute (fixed costs spread over it).

    >>> m = processing_model([{"end": 40, "pending": 0, "start": 1, "audio": 60},
    ...                       {"end": 50, "pending": 0, "start": 1, "audio": 120},
    ...                       {"end": 60, "pending": 0, "start": 1, "audio": 180}])
    >>> (round(m["a"], 1), round(m["b"], 1), m["method"], round(m["ratio"], 1))
    (30.0, 10.0, 'least squares', 25.0)
    """
    xs = [r["audio"] / 60 for r in runs]
    ys = [_on_worker(r) for r in runs]
    if not runs:
        return {"a": 0.0, "b": 0.0, "ratio": 0.0, "method": "no one-worker runs", "n": 0}
    ratio = sum(ys) / sum(xs)
    if len(runs) >= 3 and len(set(xs)) > 1:
        b, a = statistics.linear_regression(xs, ys)
        if b > 0:
            return {"a": a, "b": b, "ratio": ratio, "method": "least squares", "n": len(runs)}
    return {"a": 0.0, "b": ratio, "ratio": ratio, "method": "ratio of sums", "n": len(runs)}


def _at(model: dict, minutes: float) -> float:
    return model["a"] + model["b"] * minutes


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _queue(r: dict) -> float:
    return r["start"] - r["expected"]


def _pairs(configs: list[dict]) -> list[tuple[dict, dict]]:
    """(one worker, two workers) of each round."""
    by_round: dict[str, dict[int, dict]] = {}
    for c in configs:
        by_round.setdefault(c["label"].rsplit("-r", 1)[1], {})[len(c["cores"])] = c
    return [(r[1], r[2]) for r in by_round.values() if 1 in r and 2 in r]


def _task(r: dict, name: str) -> float:
    s, e = r["tasks"].get(name, (None, None))
    return (e - s) if s is not None and e is not None else 0.0


def _x(ratio: float) -> str:
    """A ratio with two decimals, or three where two would round it onto the target.

    >>> _x(1.7996), _x(1.67)
    ('1.800×', '1.67×')
    """
    two = f"{ratio:.2f}"
    return f"{ratio:.3f}×" if two == f"{TARGET:.2f}" and ratio != TARGET else f"{two}×"


def _spread(ratios: list[float], ratio: float) -> str:
    """A sentence on how far apart the rounds are, against the distance to the target."""
    if len(ratios) < 2:
        return ""
    spread = max(ratios) - min(ratios)
    return (f" The rounds differ by {spread:.2f}×" + (f", more than the {abs(TARGET - ratio):.2f}× between the mean "
            "and the target: two rounds cannot tell them apart." if spread > abs(TARGET - ratio) else "."))


def _other_cpu(c: dict) -> float:
    """CPU seconds the machine spent during a configuration on anything but its workers and their flow runs
    (the Prefect server, SeaweedFS, this script, anyone else)."""
    return c["busy_cores"] * c["wall"] - sum(c["cpu"].values())


def _staged_mode(configs: list[dict]) -> str:
    """The mode paragraph of a staged run, with what the Prefect API says the runs were given."""
    runs = [r for c in configs for r in c["runs"]]
    given = sum(1 for r in runs if r.get("param_staged") and "/" not in str(r.get("param_source")))
    fetched = sum(1 for r in runs if "fetch" in r["tasks"])
    dropped = sum(1 for r in runs if "drop-copy" in r["tasks"])
    left = sum(n for c in configs for n in (c.get("left_on_workers") or {}).values())
    stage = [c["stage_total"] for c in configs if c.get("stage_total")]
    return ("**Mode: staged** (the default; `--paths` submits paths instead). Each recording was staged in the "
            "configuration's bucket with `chorus.staging.stage`, as `chorus up --on-workers`'s watcher does, "
            f"before the set was submitted ({_med(stage):.1f} s for the set, median; not in its wall time), and "
            "each flow run was created with `source` = the file name only and `staged` = its manifest key, as "
            f"the watcher creates them. Read back from the Prefect API: {given} of {len(runs)} flow runs had a "
            f"`staged` key and a bare name; `fetch` ran in {fetched}, `drop-copy` in {dropped}; copies of recordings "
            f"and episode work files left under the workers' `claimed/` and `work/` after the runs: {left} (a "
            "show's artwork cache, `work/_shows/`, stays). The workers share the disk of this one "
            "machine but read nothing from the watcher's folders: they download their copy from the bucket, as "
            "workers with no shared filesystem do.\n\n")


def write_docs(res: dict, out: Path, cmd: str) -> str:
    configs, pairs = res["configs"], _pairs(res["configs"])
    ratios = [two["episodes_per_hour"] / one["episodes_per_hour"] for one, two in pairs]
    ratio = statistics.mean(ratios) if ratios else float("nan")
    recs = res["recordings"]
    lines = [
        "# Scale-out benchmark (issue #14): one `chorus worker` against two, and staging through the bucket", "",
        f"- machine: {res['machine']}; `os.cpu_count()` = {res['cores']}",
        f"- date: {res['date']}",
        f"- load average (1/5/15 min) at start: {res['load_start']}; at end: {res.get('load_end', '?')}",
        f"- command: `.venv/bin/{cmd}`", "",
        "> **Two cores, shared.** The workers are pinned, but the Prefect server, SeaweedFS and this script run "
        "unpinned on the same 2 cores, with whatever else the machine runs (load average above; *machine busy "
        "cores* and *other CPU s* below: all CPU in use on the machine, and what of it was not the workers' and "
        "their flow runs'). The second worker's core is therefore never wholly free.", "",
        (_staged_mode(configs) if res.get("staged") else
         "**Mode: shared path.** Each flow run got the recording's path (`source`); the workers read it from the "
         "one machine's disk (no staging; part 2 measures that).\n\n")
        + f"**Set:** {len(recs)} spoken recordings ({', '.join(f'{n} {s:.0f} s' for n, s in recs)}; "
        f"{sum(s for _, s in recs) / 60:.1f} min in all), rendered with `tests/support/synth.py` from "
        "`tests/data/scripts`, submitted at once to the `publish-episode/publish-episode` deployment "
        "(`chorus deploy`), as the watcher does. Each `chorus worker --limit 1` is pinned with `taskset -c N` "
        "(one worker: core 0; two: cores 0 and 1; their flow-run processes and ffmpeg inherit the pin); each has "
        "its own `--work-dir`. One Prefect server (SQLite) and one SeaweedFS for the whole run; each "
        "configuration has a fresh **SQLite** catalog (PostgreSQL is what several machines use; on one machine "
        "SQLite does not change the comparison), a fresh bucket and fresh work directories, so nothing is a "
        "duplicate or a cached step. `CHORUS_SHOW__REVIEW=after`; `CHORUS_PROCESSING__TRANSCRIPTIONS_AT_ONCE=2`: "
        "a worker's transcriptions share one Prefect limit per machine, `chorus-transcribe-<host>`, and both "
        "pinned workers run on this one host, so with the default 1 slot they would wait for each other; with 2 "
        f"each has one (read back from the server: {res.get('transcribe_limit')}). "
        + ("An untimed warm-up run (one short recording, one worker: "
           f"{res['warmup']:.0f} s) came first. " if res.get("warmup") else "No warm-up (quick mode). ")
        + ("Configurations ran in the order 1, 2, 2, 1 (two rounds)." if len(pairs) > 1 else
           "Configurations ran once each, one worker first."), "",
        "## 1. Throughput", "",
        "| configuration | workers (cores) | wall s for the set | **episodes/h** | audio min per wall min | "
        "CPU s (workers + flow runs) | machine busy cores | other CPU s | load (1 min) start → end | published |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for c in configs:
        lines.append(
            f"| {c['label']} | {len(c['cores'])} ({','.join(map(str, c['cores']))}) | {c['wall']:.1f} | "
            f"**{c['episodes_per_hour']:.1f}** | {c['audio'] / c['wall']:.2f} | {sum(c['cpu'].values()):.0f} | "
            f"{c['busy_cores']:.2f} | {_other_cpu(c):.0f} | "
            f"{c['load'][0].split(' / ')[0]} → {c['load'][1].split(' / ')[0]} | "
            f"{c['published']}/{len(c['runs'])} |")
    verdict = "**met**" if ratio >= TARGET else "**missed**"
    lines += ["", f"**Throughput ratio, two workers / one: {_x(ratio)}** "
              + (f"(rounds: {', '.join(_x(x) for x in ratios)}) " if len(ratios) > 1 else "")
              + f"against a target of {TARGET}×: {verdict}." + _spread(ratios, ratio), ""]
    lines += [BEFORE_AFFINITY, "", EARLIER, ""] + _runs_table(configs)
    lines += _memory(configs)
    lines += _staging(res)
    lines += _reading(res, pairs, ratio)
    lines += ["", "![throughput, flow-run timeline, staging](scale.png)", ""]
    text = "\n".join(lines)
    (out / "scale.md").write_text(text, encoding="utf-8")
    return text


def _runs_table(configs: list[dict]) -> list[str]:
    lines = ["### Flow runs", "",
             "From the Prefect API. *Queueing delay* = `start_time − expected_start_time` (created → Running); "
             "it splits into *waiting for a worker* (Scheduled → Pending, the worker's poll included) and "
             "*process start* (Pending → Running: a new Python process, imports, the flow's engine). "
             "*Run* = Running → end. RTF = (end − start) / audio seconds. Fetch, transcribe, master and "
             "drop-copy: their tasks (fetch and drop-copy only when staged). *Stage* = `chorus.staging.stage` "
             "on the watcher's side, before the set was submitted (not in its wall time).", "",
             "| configuration | recording | audio s | worker | stage s | queueing delay s | waiting for a worker s | "
             "process start s | run s | RTF | fetch s | transcribe s | master s | drop-copy s |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in configs:
        for r in sorted(c["runs"], key=lambda r: r["start"] or 0):
            if r["start"] is None:
                lines.append(f"| {c['label']} | {r['source']} | {r['audio']:.0f} | {r['worker']} | | never ran "
                             f"({r['state']}) | | | | | | | | |")
                continue
            pend = r["pending"] or r["start"]
            lines.append(
                f"| {c['label']} | {r['source']} | {r['audio']:.0f} | {r['worker']} | "
                f"{'' if r.get('stage') is None else format(r['stage'], '.2f')} | {_queue(r):.1f} | "
                f"{pend - r['expected']:.1f} | {r['start'] - pend:.1f} | {r['end'] - r['start']:.1f} | "
                f"{(r['end'] - r['start']) / r['audio']:.3f} | {_task(r, 'fetch'):.2f} | {_task(r, 'transcribe'):.1f} | "
                f"{_task(r, 'master'):.1f} | {_task(r, 'drop-copy'):.2f} |")
    lines += ["", "| configuration | queueing delay s, median (max) | process start s, median | "
              "run s, median | RTF, median | fetch s, median | transcribe share of run |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for c in configs:
        ok = [r for r in c["runs"] if r["start"] is not None and r["end"] is not None]
        q = [_queue(r) for r in ok]
        run = [r["end"] - r["start"] for r in ok]
        lines.append(f"| {c['label']} | {_med(q):.1f} ({max(q, default=float('nan')):.1f}) | "
                     f"{_med([r['start'] - (r['pending'] or r['start']) for r in ok]):.1f} | {_med(run):.1f} | "
                     f"{_med([(r['end'] - r['start']) / r['audio'] for r in ok]):.3f} | "
                     f"{_med([_task(r, 'fetch') for r in ok]):.2f} | "
                     f"{sum(_task(r, 'transcribe') for r in ok) / max(sum(run), 1e-9):.0%} |")
    return lines + [""]


def _memory(configs: list[dict]) -> list[str]:
    lines = ["### Peak memory", "",
             "VmHWM from /proc (sampled every 0.5 s): the `chorus worker` process, the largest of its flow-run "
             "processes (Python) and of their tools (ffmpeg); *tree* = the largest sum of VmRSS over a worker and "
             "everything under it at one moment (what one worker needs).", "",
             "| configuration | worker | worker MB | flow run MB | ffmpeg MB | tree MB |", "|---|---|---:|---:|---:|---:|"]
    for c in configs:
        for name in sorted(c["tree_mb"]):
            pk = c["peak_mb"]
            lines.append(f"| {c['label']} | {name} | {pk.get(f'{name} worker', 0):.0f} | "
                         f"{pk.get(f'{name} flow run', 0):.0f} | {pk.get(f'{name} ffmpeg', 0):.0f} | "
                         f"{c['tree_mb'][name]:.0f} |")
    return lines + [""]


def _staging(res: dict) -> list[str]:
    st, model = res.get("staging") or {}, res["processing"]
    lines = ["## 2. Staging a recording through the bucket, against a local file", ""]
    if "files" not in st:
        return lines + [f"Not measured: {st.get('missing', 'not run')}.", ""]
    lines += [
        "`chorus.staging.stage` (upload of the recording to the bucket's private prefix, with its manifest), "
        "`fetch` (download into `claimed/<sha256>/`, hash checked) and `unstage` (every version purged), through "
        "the same SeaweedFS on loopback, opened as `chorus.runtime.open_bucket` does; against `shutil.copy2` of "
        "the same file. Minimum of the repeats (the store and the page cache are warm). The long file is the "
        "1-minute one repeated with sox, deleted afterwards.", "",
        f"*Processing time* of that much audio is extrapolated from part 1's one-worker runs (worker seconds from "
        f"pick-up to end, fetch included when staged, {model['n']} runs of 30-90 s, one pinned core), two ways, and the truth lies between: "
        f"(a) the least-squares line **{model['a']:.1f} s + {model['b']:.1f} s per audio minute**, whose slope a "
        "narrow range of short recordings pins down poorly (it likely underestimates a long recording, so its "
        f"percentage is the high one); (b) the plain rate **{model['ratio']:.1f} s per audio minute**, which spreads "
        "each run's fixed cost (process start, imports, model load) over its minutes (it overestimates a long "
        "recording, so its percentage is the low one).", "",
        "| recording | MB | local copy s | stage s | fetch s | unstage s | stage+fetch+unstage s | "
        "over the copy s | processing s (a) line / (b) rate | **overhead, % of processing (a) / (b)** |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in st["files"]:
        best = {k: min(f[k]) for k in ("copy", "stage", "fetch", "unstage")}
        total = best["stage"] + best["fetch"] + best["unstage"]
        line, rate = _at(model, f["audio"] / 60), model["ratio"] * f["audio"] / 60
        over = total - best["copy"]
        lines.append(f"| {f['label']} | {f['mb']:.0f} | {best['copy']:.3f} | {best['stage']:.3f} | "
                     f"{best['fetch']:.3f} | {best['unstage']:.3f} | {total:.3f} | {over:.3f} | "
                     f"{line:.0f} / {rate:.0f} | **{over / line:.2%} / {over / rate:.2%}** |")
    lines += ["", "`stage` runs on the watcher's machine before the flow run is submitted and `fetch` on the worker "
              "before its first step: both add to the time from drop to published, not to a worker's CPU. "
              "`unstage` runs after archiving."]
    return lines + ["", "Hashing the file (`sha256`, done by every claim, staged or not): " + ", ".join(
        f"{f['label']} {f['sha256_s']:.2f} s" for f in st["files"]) + ".", ""]


def _pickup(c: dict) -> tuple[float, float]:
    """(seconds from submission to the first pick-up, median idle seconds of a worker between two of its runs)."""
    ok = [r for r in c["runs"] if r["pending"] and r["end"]]
    first = min(r["pending"] for r in ok) - c["t0"]
    gaps = []
    for w in {r["worker"] for r in ok}:
        mine = sorted((r for r in ok if r["worker"] == w), key=lambda r: r["pending"])
        gaps += [b["pending"] - a["end"] for a, b in zip(mine, mine[1:])]
    return first, _med(gaps)


def _spans(c: dict) -> dict:
    """A configuration's wall time, exactly, as seen from its workers (each runs one flow run at a time):
    for worker w, last end − submission = F_w (first pick-up) + W_w (its runs, pick-up → end) + G_w (idle
    between them). ``F`` is the mean of F_w, ``W`` and ``G`` the sums over workers, ``tail`` the time from
    the first worker's last end to the last one's, and ``parts`` W split into process start, fetch,
    transcribe and the other steps."""
    ok = [r for r in c["runs"] if r["pending"] and r["end"]]
    first, work, idle, last = [], 0.0, 0.0, []
    parts = {"process start": 0.0, "fetch": 0.0, "transcribe": 0.0, "other steps": 0.0}
    for w in {r["worker"] for r in ok}:
        mine = sorted((r for r in ok if r["worker"] == w), key=lambda r: r["pending"])
        first.append(mine[0]["pending"] - c["t0"])
        idle += sum(b["pending"] - a["end"] for a, b in zip(mine, mine[1:]))
        last.append(mine[-1]["end"])
    for r in ok:
        work += r["end"] - r["pending"]
        parts["process start"] += r["start"] - r["pending"]
        parts["fetch"] += _task(r, "fetch")
        parts["transcribe"] += _task(r, "transcribe")
        parts["other steps"] += (r["end"] - r["start"]) - _task(r, "fetch") - _task(r, "transcribe")
    return {"F": statistics.mean(first), "W": work, "G": idle, "tail": max(last) - min(last), "parts": parts}


def _losses(one: dict, two: dict) -> dict[str, float]:
    """Seconds by which two workers' wall time exceeds half of one worker's, by cause (they add up to it):
    wall2 − wall1/2 = (F2 − F1/2) + (W2 − W1)/2 + (G2 − G1)/2 + tail2/2."""
    a, b = _spans(one), _spans(two)
    out = {"first pick-up (paid once per set, not halved)": b["F"] - a["F"] / 2}
    for k in a["parts"]:
        out[f"flow runs slower with two workers: {k}"] = (b["parts"][k] - a["parts"][k]) / 2
    out["idle between two runs of a worker (poll)"] = (b["G"] - a["G"]) / 2
    out["tail: one worker idle while the other ends the set"] = b["tail"] / 2
    return out


def _reading(res: dict, pairs: list[tuple[dict, dict]], ratio: float) -> list[str]:
    if not pairs:
        return []
    ok = {id(c): [r for r in c["runs"] if r["start"] and r["end"]] for p in pairs for c in p}
    run1 = _med([r["end"] - r["start"] for one, _ in pairs for r in ok[id(one)]])
    run2 = _med([r["end"] - r["start"] for _, two in pairs for r in ok[id(two)]])
    tr1 = _med([_task(r, "transcribe") for one, _ in pairs for r in ok[id(one)]])
    tr2 = _med([_task(r, "transcribe") for _, two in pairs for r in ok[id(two)]])
    cpu1 = statistics.mean(sum(one["cpu"].values()) for one, _ in pairs)
    cpu2 = statistics.mean(sum(two["cpu"].values()) for _, two in pairs)
    busy1 = statistics.mean(one["busy_cores"] for one, _ in pairs)
    busy2 = statistics.mean(two["busy_cores"] for _, two in pairs)
    oth1 = statistics.mean(_other_cpu(one) for one, _ in pairs)
    oth2 = statistics.mean(_other_cpu(two) for _, two in pairs)
    pick = {id(c): _pickup(c) for p in pairs for c in p}
    gap = _med([pick[k][1] for k in pick])
    start = _med([r["start"] - (r["pending"] or r["start"]) for one, _ in pairs for r in ok[id(one)]])
    wall1 = statistics.mean(one["wall"] for one, _ in pairs)
    wall2 = statistics.mean(two["wall"] for _, two in pairs)
    losses = [_losses(one, two) for one, two in pairs]
    loss = {k: statistics.mean(x[k] for x in losses) for k in losses[0]}
    lines = ["## Reading", "",
             f"Two workers would make 2× if they halved the set's wall time. Means over the rounds: one worker "
             f"{wall1:.1f} s, two {wall2:.1f} s, {wall2 - wall1 / 2:.1f} s over the ideal {wall1 / 2:.1f} s (1.8× "
             f"needs {wall1 / TARGET:.1f} s). From each flow run's pick-up and end (Prefect API) the excess splits "
             "exactly into (a negative figure is a gain):", "",
             "| cause | seconds over the ideal | ratio without it |", "|---|---:|---:|"]
    for k, v in sorted(loss.items(), key=lambda kv: -abs(kv[1])):
        lines.append(f"| {k} | {v:+.1f} | {_x(wall1 / (wall2 - v))} |")
    lines += [f"| **all** | **{sum(loss.values()):+.1f}** | 2.00× |", "",
              f"- A flow run took {run1:.1f} s (median, Running → end) with one worker and {run2:.1f} s with two "
              f"({run2 / run1 - 1:+.0%}); its transcription {tr1:.1f} s and {tr2:.1f} s ({tr2 / tr1 - 1:+.0%}). The "
              f"set's CPU seconds (workers and flow runs) went from {cpu1:.0f} to {cpu2:.0f} ({cpu2 / cpu1 - 1:+.0%}): "
              "the same work cost more CPU with both cores busy. The machine's busy cores were "
              f"{busy1:.2f} with one worker and {busy2:.2f} with two, of {res['cores']}; CPU spent on anything else "
              f"(the Prefect server, SeaweedFS, this script, other processes) {oth1:.0f} s and {oth2:.0f} s per set: "
              "with two workers it runs on their cores.",
              (f"- A worker sat idle {gap:.1f} s (median) between the end of one run and the pick-up of its next "
               "(its poll, `PREFECT_WORKER_QUERY_SECONDS` = 2 s, and the server's scheduling)." if gap == gap else
               "- No worker ran two flow runs in a row: no idle time between runs to measure."),
              f"- Each flow run is a new Python process: {start:.1f} s (median, Pending → Running) to start it and "
              "import Prefect and Chorus, then the whisper model is loaded inside the transcribe task: a fixed cost "
              "per episode that weighs on 30-90 s recordings.",
              "- faster-whisper runs as many threads as the process may use cores (`len(os.sched_getaffinity(0))`): "
              "one in a worker pinned to one core."]
    if ratio < TARGET:
        big = [k for k, v in sorted(loss.items(), key=lambda kv: -kv[1]) if v > 0][:3]
        fix = {"tail": f"a longer or steadier queue: the tail is the end of a {len(res['recordings'])}-recording "
                       "batch (one core idle "
                       "while the other finishes), which a stream of drops, or a set several times the workers' "
                       "count, spreads thin",
               "transcribe": "cores of the workers' own (transcription is CPU-bound: with the server, the store and "
                             "this script on the same two cores, each transcription ran slower with both workers "
                             "busy)",
               "other steps": "cores that are the workers' alone: every step slowed with both busy, not only "
                              "transcription, because the Prefect server, SeaweedFS and this script share them (on "
                              "separate machines they would not)",
               "process start": "a smaller fixed cost per flow run (a new process, imports, model load)",
               "fetch": "nothing much: fetch is a loopback download",
               "first pick-up": "a shorter poll",
               "idle between": "a shorter poll"}
        how = [next(v for k2, v in fix.items() if k2 in k) for k in big]
        lines += ["", f"**Target missed: {_x(ratio)} < {TARGET}×, short by {TARGET - ratio:.3f}× "
                  f"({wall2 - wall1 / TARGET:.1f} s too long for the set).** The largest measured causes: "
                  + "; ".join(f"{k} ({loss[k]:+.1f} s, {_x(wall1 / (wall2 - loss[k]))} without it)" for k in big)
                  + ". What would close the gap: " + "; ".join(dict.fromkeys(how)) + "."]
    return lines


def plot(res: dict, out: Path) -> None:
    plt = pyplot()
    if plt is None:
        return
    configs = res["configs"]
    staged = (res.get("staging") or {}).get("files")
    fig, axes = plt.subplots(1, 3 if staged else 2, figsize=(15 if staged else 11, 4.6),
                             gridspec_kw={"width_ratios": [2, 4, 3] if staged else [2, 4]})
    a, b = axes[0], axes[1]
    eph = [c["episodes_per_hour"] for c in configs]
    colours = ["#4C72B0" if len(c["cores"]) == 1 else "#55A868" for c in configs]
    a.bar(range(len(configs)), eph, color=colours)
    for i, v in enumerate(eph):
        a.text(i, v, f"{v:.0f}", ha="center", va="bottom", fontsize=9)
    ones = [c["episodes_per_hour"] for c in configs if len(c["cores"]) == 1]
    if ones:
        goal = TARGET * statistics.mean(ones)
        a.axhline(goal, color="grey", ls="--", lw=1)
        a.text(-0.4, goal, f"{TARGET}× one worker", va="top", fontsize=8, color="grey")
    a.set_xticks(range(len(configs)), [c["label"].replace("-r", "\nround ") for c in configs], fontsize=8)
    a.set_ylabel("episodes per hour")
    a.set_ylim(0, max(eph + [goal if ones else 0]) * 1.25)
    a.set_title(f"throughput (load {res['load_start'].split(' / ')[0]} at start)")
    row, ticks = 0, []
    parts = (("waiting for a worker", "#BBBBBB"), ("process start", "#DD8452"), ("run", "#4C72B0"))
    used = set()
    for c in configs:
        for r in sorted(c["runs"], key=lambda r: r["created"]):
            if r["start"] is None or r["end"] is None:
                continue
            t0 = c["t0"]
            pend = r["pending"] or r["start"]
            for (name, col), (s, e) in zip(parts, ((r["expected"], pend), (pend, r["start"]), (r["start"], r["end"]))):
                b.barh(row, e - s, left=s - t0, color=col, label=None if name in used else name,
                       hatch="//" if r["worker"] and r["worker"].endswith("core1") else None, edgecolor="white")
                used.add(name)
            ticks.append((row, f"{c['label']} {r['source'][:14]}"))
            row += 1
        row += 1
    b.set_yticks([t for t, _ in ticks], [n for _, n in ticks], fontsize=6)
    b.invert_yaxis()
    b.set_xlabel("seconds after the set was submitted (hatched: the worker on core 1)")
    b.set_title("flow runs")
    b.legend(fontsize=7, loc="upper right")
    if staged:
        c = axes[2]
        x = range(len(staged))
        w = 0.38
        c.bar([i - w / 2 for i in x], [min(f["copy"]) for f in staged], w, color="#937860", label="local copy")
        bottom = [0.0] * len(staged)
        for key, col in (("stage", "#8172B3"), ("fetch", "#C44E52"), ("unstage", "#CCB974")):
            vals = [min(f[key]) for f in staged]
            c.bar([i + w / 2 for i in x], vals, w, bottom=bottom, color=col, label=key)
            bottom = [p + v for p, v in zip(bottom, vals)]
        for i, v in enumerate(bottom):
            c.text(i + w / 2, v, f"{v:.2f} s", ha="center", va="bottom", fontsize=8)
        c.set_xticks(list(x), [f"{f['label']}\n{f['mb']:.0f} MB" for f in staged], fontsize=8)
        c.set_ylabel("seconds")
        c.set_title("staging through the bucket vs a local copy")
        c.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "scale.png", dpi=110)
    plt.close(fig)
