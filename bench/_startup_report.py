"""The report half of ``bench/startup.py``: names of the measured parts, the markdown and the plot.

Split out so that each file stays under about 400 lines (DESIGN.md rule 1).
"""
from __future__ import annotations

import statistics
from pathlib import Path

from bench._plot import pyplot

TARGET_S = 3.0
FLOW_START = "flow: Prefect start (client or the run's own server, flow run, context, bucket)"
RUN_PHASES = ("start-up, until the flow run exists", "Prefect around the steps", "steps (claim, probe)",
              "after the flow (store stop, exit)")

IMPORTS = ("import prefect, prefect.artifacts, prefect.cache_policies, prefect.concurrency.sync, prefect.states; "
           "import chorus.cli, flows.publish")
"""Prefect first (the parts of it flows/publish.py uses), then ours: the cumulative times split the two."""

_GROUPS = {"claim": "claim + probe", "probe": "claim + probe", "master": "master", "transcribe": "transcribe",
           "notes": "notes (chapters, keywords)", "draft": "draft + load + render", "load": "draft + load + render",
           "render": "draft + load + render", "publish-objects": "publish objects + record",
           "record": "publish objects + record", "feed": "feed (written last)"}
GAPS = "Prefect between steps"
LATENCY_PARTS = ("stability window (until it left the inbox)", "claim into data dir, run_deployment",
                 "runner pick-up (its poll)", "flow-run subprocess start (Python, imports)",
                 "flow start (settings, bucket)", *dict.fromkeys(_GROUPS.values()), GAPS,
                 "feed seen by the poller")


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}–{max(xs):.2f}"


LABELS = {"a": "(a) no server: its own Prefect server and SeaweedFS", "b": "(b) beside a running `chorus up`"}


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
        out.append(f"- **(a) is a Prefect server of the run's own.** Without `chorus up`, each `chorus run` starts "
                   f"a temporary Prefect server (one that dies with it, where Prefect's ephemeral mode would leave "
                   f"one behind when the run is killed) and a SeaweedFS: {_med([r['overhead'] for r in a['runs']]):.0f} s median "
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

