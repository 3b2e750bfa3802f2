"""The report half of ``bench/editor.py``: the table printed and written to docs/bench/editor.md, and the plot."""
from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

from bench._plot import pyplot

__all__ = ["report", "percentile", "TARGET_SAVE_MS", "TARGET_READY_MS", "TARGET_KEY_MS"]

TARGET_SAVE_MS, TARGET_READY_MS, TARGET_KEY_MS = 200.0, 2000.0, 50.0


def percentile(xs, q: float) -> float:
    """The ``q`` quantile of ``xs`` (nearest rank)."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))] if s else float("nan")


def _row(name: str, value: float | None, unit: str, target: float | None = None) -> str:
    if value is None:
        return f"| {name} | not measured | {'' if target is None else f'{target:g} {unit}'} | |"
    got = f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    if target is None:
        return f"| {name} | {got} | | |"
    ratio = value / target
    return f"| {name} | **{got}** | ≤ {target:g} {unit} | {ratio:.2f}× {'✅' if ratio <= 1 else '❌'} |"


def _page_rows(page: dict | None) -> list[str]:
    if page is None:
        return [_row("page interactive (first load)", None, "ms", TARGET_READY_MS),
                _row("keystroke to next frame (worst)", None, "ms", TARGET_KEY_MS)]
    frame, event = page["frame"], page["event"]
    worst_event = max((e[1] for e in event), default=None)
    return [
        _row("page interactive, first load (`data-ready-ms`)", page["ready"][0], "ms", TARGET_READY_MS),
        _row(f"page interactive, median of {len(page['ready'])} loads", statistics.median(page["ready"]), "ms", TARGET_READY_MS),
        _row("navigation to ready, seen from Playwright (median)", statistics.median(page["outer"]), "ms"),
        _row(f"keystroke: keydown to next frame, worst of {len(frame)}", max(frame) if frame else None, "ms", TARGET_KEY_MS),
        _row("keystroke: keydown to next frame, median", statistics.median(frame) if frame else None, "ms"),
        (_row("keystroke: Event Timing duration, worst", worst_event, "ms", TARGET_KEY_MS) if worst_event is not None
         else f"| keystroke: Event Timing duration, worst | < 16 ms (no entry reported) | ≤ {TARGET_KEY_MS:g} ms | ✅ |"),
    ]


def _plot(out: Path, solo: dict, phases: list[dict]) -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    series = [(solo["put"], "one editor alone")] + [([x["ms"] for x in ph["run"].saves], _name(ph)) for ph in phases]
    for xs, label in series:
        xs = sorted(xs)
        a.plot(xs, [(i + 1) / len(xs) for i in range(len(xs))], drawstyle="steps-post", label=label)
    a.axvline(TARGET_SAVE_MS, color="red", ls="--", label="target: p95 200 ms")
    a.axhline(0.95, color="grey", ls=":")
    a.set_xscale("log")
    a.set_xlabel("save latency (ms, log)")
    a.set_ylabel("share of saves")
    a.legend(fontsize=8)
    a.set_title("PUT /transcript latency, 2-hour transcript")
    run = phases[0]["run"]
    t0 = min(x["at"] - x["ms"] / 1000 for x in run.saves)
    for kind, colour in (("applied", "tab:green"), ("merged", "tab:blue"), ("conflict", "tab:red")):
        pts = [(x["at"] - t0, x["ms"]) for x in run.saves if x["kind"] == kind]
        if pts:
            b.scatter(*zip(*pts), s=12, c=colour, label=f"{kind} ({len(pts)})")
    b.axhline(TARGET_SAVE_MS, color="red", ls="--")
    b.set_yscale("log")
    b.set_xlabel("seconds into the phase (answer time)")
    b.set_ylabel("latency (ms, log)")
    b.legend(fontsize=8)
    b.set_title(f"each save of '{_name(phases[0])}', by outcome")
    fig.tight_layout()
    fig.savefig(out / "editor.png", dpi=110)
    return True


def _name(ph: dict) -> str:
    return f"20 editors, {'burst' if ph['think'] < 2 else 'paced'} (think {ph['think']:g} s)"


def _dist(name: str, xs: list[float], bold: bool = False) -> str:
    p95 = f"**{percentile(xs, .95):.0f} ms**" if bold else f"{percentile(xs, .95):.0f} ms"
    return f"| {name} | {percentile(xs, .5):.0f} ms | {p95} | {max(xs):.0f} ms | {len(xs)} |"


def _phase_lines(ph: dict) -> list[str]:
    run, ms, c = ph["run"], [x["ms"] for x in ph["run"].saves], ph["counts"]
    return [_dist(f"{_name(ph)}: every PUT", ms, True),
            *[_dist(f"{_name(ph)}: {k}", xs) for k in ("applied", "merged", "conflict")
              if (xs := [x["ms"] for x in run.saves if x["kind"] == k])]], (
        f"- {_name(ph)}: {c['applied']} applied + {c['merged']} merged + {c['conflict']} conflicts "
        f"(+ {c['unchanged']} unchanged) of {len(ms)} sent; {len(ms) / ph['wall']:.2f} saves/s over {ph['wall']:.0f} s; "
        f"server CPU {ph['cpu']:.0f} s, {ph['cpu'] / len(ms) * 1000:.0f} ms per round (GET + PUT). Checks: "
        + "; ".join(f"{k}: {'yes' if ok else '**NO**'}" for k, ok in ph["checks"].items())
        + (f" (paragraphs not as saved: {ph['lost'][:10]})" if ph["lost"] else "") + ".")


def report(args, r: dict) -> None:
    """Print the figures and write ``args.out``/editor.md (+ editor.png)."""
    phases, solo, t = r["phases"], r["solo"], r["transcript"]
    words = sum(len(s.words) for s in t.segments if not s.gap)
    (l1, l5, _l15), (e1, e5, _e15) = r["load"]
    ok = all(all(ph["checks"].values()) for ph in phases)
    total = {k: sum(ph["counts"][k] for ph in phases) for k in ("applied", "merged", "conflict")}
    rows, notes = zip(*[_phase_lines(ph) for ph in phases])
    lines = [
        "# Editor benchmark",
        "",
        f"`.venv/bin/python bench/editor.py --editors {args.editors} --rounds {args.rounds} --think "
        f"{','.join(f'{x:g}' for x in args.think)} --hot {args.hot}` — Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {l1:.1f} (5 min {l5:.1f}) at start, {e1:.1f} (5 min {e5:.1f}) at the end. "
        "The machine was shared with other engineers' test runs, so latencies are upper bounds; the server CPU "
        "times below depend far less on the load.",
        "",
        f"Transcript: {words:,} words, {len(t.speakers())} speakers, {len(t.segments):,} segments, {len(t.gaps)} "
        f"`[inaudible]` gaps, {t.duration / 3600:.1f} h; {r['paragraphs']} editor paragraphs (seed {args.seed}). Served by "
        f"`chorus editor` (one process; ready {r['started_s']:.1f} s after launch, its embedded S3 included); peak RSS "
        f"of that process {r['rss']:.0f} MB.",
        "",
        "## Targets",
        "",
        "| figure | measured | target | ratio |",
        "|---|---:|---:|---:|",
        *[_row(f"save latency p95, {_name(ph)}", percentile([x["ms"] for x in ph["run"].saves], .95), "ms", TARGET_SAVE_MS)
          for ph in phases],
        _row("save latency p95, one editor alone", percentile(solo["put"], .95), "ms", TARGET_SAVE_MS),
        *_page_rows(r["page"]),
        f"| every save accounted for | {'yes' if ok else '**no**'}: {total['applied']} applied + {total['merged']} merged + "
        f"{total['conflict']} conflicts = {sum(len(ph['run'].saves) for ph in phases)} sent | all | {'✅' if ok else '❌'} |",
        "",
        "## Saves",
        "",
        f"Each of {args.editors} editors (own API token, thread and connection) does {args.rounds} rounds of: GET the "
        "transcript, correct words in two of its own paragraphs (~10 % an inserted word, ~10 % a dropped one), with "
        f"chance {args.hot} also the same word of one shared paragraph (which conflicts), wait 0 to twice the think "
        "time, PUT with its base revision. All start together. Only the PUT is timed. *Burst*: everyone saves as fast "
        "as the server answers (the worst case); *paced*: about one save per editor per think time.",
        "",
        "| | p50 | p95 | max | n |",
        "|---|---:|---:|---:|---:|",
        _dist("one editor alone: PUT", solo["put"]),
        _dist("one editor alone: GET transcript", solo["get"]),
        _dist("one editor alone: server CPU per PUT", solo["put_cpu"]),
        _dist("one editor alone: server CPU per GET", solo["get_cpu"]),
        *[x for rs in rows for x in rs],
        "",
        *notes,
    ]
    if r["page"]:
        pg = r["page"]
        lines += ["", "## Page", "",
                  f"Debian's Chromium, headless, one context logged in through `POST /api/login`; {len(pg['ready'])} "
                  f"navigations (the first with a cold cache): `data-ready-ms` = {', '.join(f'{x:.0f}' for x in pg['ready'])} ms "
                  f"(the page sets `main[data-ready]` once every paragraph is rendered and its handlers are bound; "
                  f"`performance.now()`, so from the start of navigation). {pg['spans']:,} word spans in "
                  f"{pg['paragraphs']} paragraphs. Keystrokes typed into the middle paragraph: "
                  f"{', '.join(f'{x:.0f}' for x in pg['frame'])} ms from keydown (capture) to the frame after `input`; "
                  f"Event Timing entries of 16 ms or more: {len(pg['event'])}"
                  + (f" (worst {max(e[1] for e in pg['event']):.0f} ms)" if pg["event"] else "") + "."]
    if r["profile"]:
        text, stages = r["profile"]
        lines += ["", "## Where a save's time goes", "",
                  "In process, after the server stopped: each stage of one save (and of a GET) called alone, best of 3 on this "
                  "shared machine, then cProfile of one "
                  "applied and one merged save after a warm-up save (top functions by own time):",
                  "", "| stage | ms |", "|---|---:|", *[f"| {k} | {v:.0f} |" for k, v in stages.items()],
                  "", "```", *[x for x in text.strip().splitlines() if x.strip()][:40], "```"]
    args.out.mkdir(parents=True, exist_ok=True)
    if _plot(args.out, solo, phases):
        lines += ["", "![save latency](editor.png)"]
    text = "\n".join(lines) + "\n"
    (args.out / "editor.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out / 'editor.md'}", file=sys.stderr)
