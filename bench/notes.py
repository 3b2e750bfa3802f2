#!/usr/bin/env python3
"""Benchmark show notes and chapters against generated multi-topic episodes with known topics.

    .venv/bin/python bench/notes.py [--work DIR] [--no-whisper]

For every tests/data/scripts/topics-*.json it
renders speech with the project's synth, then drafts notes from two transcripts: the ground-truth
timing (words spread over each turn) and a real faster-whisper transcript (bundled tiny.en). It
scores, side by side with an equal-length-chapters baseline:

* Pk (Beeferman et al.; 1-second units, k = half the mean true topic length), lower is better;
* boundary hits: share of true topic boundaries with a chapter start (after 0) within +-15 s;
* the shortest chapter against the minimum that applies;
* how many topics the summary sentences come from, and how many topics a keyword comes from;

and reports them per set: ``tuning`` (the scripts the constants were set on), ``held out 1``
(``topics-holdout-*``: never tuned on, but their results were seen before the chapter-count change),
``held out 2`` (``topics-holdout2-*``: written before that change and scored once it was final) and
``held out 3`` (``topics-holdout3-*``: written after held out 2 was scored; docs/notes.md says what was
decided after seeing which set).
It times ``make_notes`` on a 2-hour transcript (the episodes' truth transcripts, each three times in a row,
scored against the joins between episodes) side by side:
the default (long-episode block path), every sentence embedded, and TextTiling, after loading the
sentence model once (timed on its own, not counted), with the CPU time, the load average and peak RSS.
Writes docs/bench/notes.md and docs/bench/notes.png.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402

from tests.support.synth import render  # noqa: E402
from tests.transcripts.test_notes_support import keyword_topics, pk, topic_spans, truth_transcript  # noqa: E402
from transcripts.model import Segment, Transcript, Word  # noqa: E402
from transcripts.notes import Chapter, NotesOptions, make_notes  # noqa: E402
from transcripts.notes._chapters import min_length  # noqa: E402

TOL = 15.0


def topic_of(t: float, spans) -> str:
    for a, b, topic in spans:
        if t <= b + 0.5:
            return topic
    return spans[-1][2]


def score(notes, truth: dict, duration: float, opts: NotesOptions, hyp_starts: list[float] | None = None) -> dict:
    spans = topic_spans(truth)
    bounds = truth["topic_boundaries"]
    starts = [c.start for c in notes.chapters[1:]] if hyp_starts is None else hyp_starts
    lengths = [b - a for a, b, _ in spans]
    k = max(1, round(sum(lengths) / len(lengths) / 2))
    hits = sum(1 for b in bounds if any(abs(s - b) <= TOL for s in starts))
    chap_len = [c.end - c.start for c in notes.chapters]
    # summary sentence -> topic, by where the sentence's text sits in the transcript
    sent_topics = set()
    for s in notes.summary:
        for seg in notes_segments(notes):
            if s[:30] in seg.text or seg.text.strip()[:30] in s:
                sent_topics.add(topic_of((seg.start + seg.end) / 2, spans))
                break
    covered, topics = keyword_topics(notes.keywords, truth)
    return {"pk": pk(bounds, starts, duration, k), "hits": hits, "bounds": len(bounds),
            "chapters": len(notes.chapters), "shortest": min(chap_len) if chap_len else 0.0,
            "minimum": min_length(duration, opts), "summary_topics": len(sent_topics),
            "keyword_topics": len(covered), "topics": len(topics)}


_SEGMENTS: dict[int, list] = {}


def notes_segments(notes):
    return _SEGMENTS[id(notes)]


def uniform(n: int, duration: float) -> list[float]:
    return [duration * i / n for i in range(1, n)]


def whisper_transcript(wav: Path) -> Transcript:
    from transcripts import TranscribeOptions, transcribe

    return transcribe(wav, TranscribeOptions())


def two_hours(truths: list[dict], repeat: int = 3) -> tuple[Transcript, list[float]]:
    """About two hours of the episodes' truth transcripts, each episode ``repeat`` times in a row (so a 'topic'
    is 6-25 minutes long, like a long show's segments, and there are fewer topics than ``max_chapters``),
    with the times where one episode gives way to another."""
    segs: list[Segment] = []
    joins: list[float] = []
    offset = 0.0
    while offset < 7200:
        for truth in truths:
            t = truth_transcript(truth)
            if offset > 0:
                joins.append(offset)
            for _ in range(repeat):
                for s in t.segments:
                    segs.append(Segment(s.start + offset, s.end + offset, s.text, s.speaker,
                                        [Word(w.text, w.start + offset, w.end + offset, 1.0, w.speaker) for w in s.words]))
                offset += t.duration
                if offset >= 7200:
                    break
            if offset >= 7200:
                break
    return Transcript("en", offset, segs), [j for j in joins if j < offset - 1]


def episode_set(name: str) -> str:
    """tuning, or held out 1, 2 or 3 (see docs/notes.md for when each was written and first scored).

    >>> episode_set("clinic"), episode_set("holdout-rail"), episode_set("holdout3-museum")
    ('tuning', 'held out 1', 'held out 3')
    """
    for k in ("3", "2"):
        if name.startswith(f"holdout{k}-"):
            return f"held out {k}"
    return "held out 1" if name.startswith("holdout-") else "tuning"


SETS = ("tuning", "held out 1", "held out 2", "held out 3")


def timed(fn, *args):
    """(result, wall seconds, CPU seconds of this process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def long_run(truths: list[dict], opts: NotesOptions, tiling: NotesOptions, model_load_s: float) -> dict:
    """The 2-hour transcript: the default, every-sentence and TextTiling notes (the model already loaded)."""
    from transcripts.notes import _segment

    long_t, joins = two_hours(truths)
    r = {"minutes": long_t.duration / 60, "words": len(long_t.words()), "load_before": os.getloadavg()[0],
         "joins": len(joins)}
    r["model_load_s"] = model_load_s
    notes, r["wall"], r["cpu"] = timed(make_notes, long_t, opts)
    r["chapters"] = len(notes.chapters)
    budget = _segment._EMBED_WORDS
    _segment._EMBED_WORDS = 10 ** 9          # every sentence embedded: what the default path approximates
    try:
        full, r["wall_sent"], r["cpu_sent"] = timed(make_notes, long_t, opts)
    finally:
        _segment._EMBED_WORDS = budget
    _, r["wall_tiling"], r["cpu_tiling"] = timed(make_notes, long_t, tiling)
    ref = [c.start for c in full.chapters[1:]]
    r["agree"] = sum(any(abs(c.start - x) <= TOL for c in notes.chapters[1:]) for x in ref)
    r["ref_starts"] = len(ref)
    r["chapters_sent"] = len(full.chapters)
    k = round(long_t.duration / (len(joins) + 1) / 2)
    for key, n in (("", notes), ("_sent", full)):
        starts = [c.start for c in n.chapters[1:]]
        r["hits" + key] = sum(any(abs(s - j) <= TOL for s in starts) for j in joins)
        r["pk" + key] = pk(joins, starts, long_t.duration, k)
    r["load_after"] = os.getloadavg()[0]
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "chorus-bench-notes")
    ap.add_argument("--no-whisper", action="store_true", help="score on truth timing only")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    opts = NotesOptions()          # "auto": embeddings when the extra is installed
    tiling = NotesOptions(segmenter="texttiling")
    from transcripts.notes._embed import available

    print("segmenter:", "embeddings" if available() else "texttiling (embeddings extra missing)")
    start_load = os.getloadavg()
    from transcripts.notes._embed import _model

    model_load_s = timed(_model)[1] if available() else 0.0   # once per process; not in any notes time below
    rows = []
    truths = []
    for script in sorted((ROOT / "tests" / "data" / "scripts").glob("topics-*.json")):
        name = script.stem.removeprefix("topics-")
        stem = a.work / name
        wav = Path(f"{stem}.wav")
        if not wav.exists() or wav.stat().st_mtime < script.stat().st_mtime:
            render(script, stem)
        truth = json.loads(Path(f"{stem}.truth.json").read_text())
        truths.append(truth)
        sources = [("truth", truth_transcript(truth), 0.0)]
        if not a.no_whisper:
            t0 = time.perf_counter()
            wt = whisper_transcript(wav)
            sources.append(("whisper", wt, time.perf_counter() - t0))
        for kind, t, secs in sources:
            t0 = time.perf_counter()
            notes = make_notes(t, opts)
            took = time.perf_counter() - t0
            _SEGMENTS[id(notes)] = t.segments
            s = score(notes, truth, truth["duration"], opts)
            base = score(notes, truth, truth["duration"], opts, uniform(len(notes.chapters), truth["duration"]))
            tt = make_notes(t, tiling)
            _SEGMENTS[id(tt)] = t.segments
            prev = score(tt, truth, truth["duration"], tiling)
            rows.append({"episode": name, "set": episode_set(name), "transcript": kind,
                         "duration": truth["duration"], "notes_s": took, "asr_rtf": secs / truth["duration"] if secs else None,
                         **s, "uniform_pk": base["pk"], "uniform_hits": base["hits"], "tiling_pk": prev["pk"],
                         "tiling_hits": prev["hits"],
                         "titles": [c.title for c in notes.chapters], "keywords": notes.keywords})
            print(f"{name:16} {kind:8} Pk {s['pk']:.3f} (uniform {base['pk']:.3f})  hits {s['hits']}/{s['bounds']}  "
                  f"chapters {s['chapters']}  shortest {s['shortest']:.0f}s >= {s['minimum']:.0f}s  "
                  f"summary topics {s['summary_topics']}  keyword topics {s['keyword_topics']}/{s['topics']}", flush=True)
    lr = long_run(truths, opts, tiling, model_load_s)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"2-hour transcript ({lr['minutes']:.0f} min, {lr['words']} words): make_notes {lr['wall']:.2f} s "
          f"(CPU {lr['cpu']:.2f} s), {lr['chapters']} chapters, joins {lr['hits']}/{lr['joins']}, Pk {lr['pk']:.3f}; "
          f"every sentence embedded {lr['wall_sent']:.2f} s ({lr['hits_sent']}/{lr['joins']}, Pk {lr['pk_sent']:.3f}); "
          f"TextTiling {lr['wall_tiling']:.2f} s; model load {lr['model_load_s']:.2f} s; load average "
          f"{lr['load_before']:.1f} -> {lr['load_after']:.1f}; peak RSS {rss_mb:.0f} MB")
    write_report(rows, lr, rss_mb, a.out, start_load)
    return 0


def _rtf(v: float | None) -> str:
    return "" if v is None else f"{v:.3f}"


def write_report(rows, lr: dict, rss_mb: float, out: Path, start_load=(0.0, 0.0, 0.0)) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"One run of `bench/notes.py`; load average (1/5/15 min) at the start {start_load[0]:.1f} / "
             f"{start_load[1]:.1f} / {start_load[2]:.1f} on 2 shared cores.", "",
             "| episode | set | transcript | length | Pk | TextTiling Pk (hits) | uniform Pk | Pk ratio | hits ±15 s | chapters / topics | shortest / minimum | summary topics | keyword topics | notes time | ASR RTF |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r["pk"] / r["uniform_pk"] if r["uniform_pk"] else float("nan")
        lines.append(
            f"| {r['episode']} | {r['set']} | {r['transcript']} | {r['duration'] / 60:.1f} min | "
            f"{r['pk']:.3f} | {r['tiling_pk']:.3f} ({r['tiling_hits']}/{r['bounds']}) | {r['uniform_pk']:.3f} | {ratio:.2f} | {r['hits']}/{r['bounds']} | {r['chapters']} / {r['bounds'] + 1} | "
            f"{r['shortest']:.0f} s / {r['minimum']:.0f} s | {r['summary_topics']} | {r['keyword_topics']}/{r['topics']} | "
            f"{r['notes_s']:.2f} s | {_rtf(r['asr_rtf'])} |")
    for kind in ("truth", "whisper"):
        for label in SETS:
            sel = [r for r in rows if r["transcript"] == kind and r["set"] == label]
            if sel:
                hits = sum(r["hits"] for r in sel) / max(sum(r["bounds"] for r in sel), 1)
                thits = sum(r["tiling_hits"] for r in sel) / max(sum(r["bounds"] for r in sel), 1)
                worst = max(r["pk"] for r in sel)
                lines.append(f"| **{label} ({kind}), mean** | {label} | {kind} | | {sum(r['pk'] for r in sel) / len(sel):.3f} "
                             f"(worst {worst:.3f}, {sum(r['pk'] <= 0.35 for r in sel)}/{len(sel)} ≤ 0.35) | "
                             f"{sum(r['tiling_pk'] for r in sel) / len(sel):.3f} ({thits:.0%}) | "
                             f"{sum(r['uniform_pk'] for r in sel) / len(sel):.3f} | | {hits:.0%} | | | | | | |")
    lines += ["", f"2-hour transcript ({lr['minutes']:.0f} min, {lr['words']} words: the episodes' truth transcripts, each "
              f"three times in a row, {lr['joins']} joins between episodes as the topic boundaries), one process, "
              f"after the sentence model was loaded ({lr['model_load_s']:.2f} s, once per process, not counted below); "
              f"load average {lr['load_before']:.1f} before, {lr['load_after']:.1f} after:", "",
              "| notes for 2 hours | wall | CPU | ratio (wall) | chapters | joins hit ±15 s | Pk |", "|---|---:|---:|---:|---|---|---|",
              f"| default (blocks, then sentence-exact starts) | {lr['wall']:.2f} s | {lr['cpu']:.2f} s | 1.00 | {lr['chapters']} "
              f"({lr['agree']}/{lr['ref_starts']} of the every-sentence starts within ±15 s) | {lr['hits']}/{lr['joins']} | {lr['pk']:.3f} |",
              f"| every sentence embedded | {lr['wall_sent']:.2f} s | {lr['cpu_sent']:.2f} s | {lr['wall_sent'] / lr['wall']:.2f} | "
              f"{lr['chapters_sent']} | {lr['hits_sent']}/{lr['joins']} | {lr['pk_sent']:.3f} |",
              f"| TextTiling fallback | {lr['wall_tiling']:.2f} s | {lr['cpu_tiling']:.2f} s | {lr['wall_tiling'] / lr['wall']:.2f} | | | |",
              "", f"Peak RSS of the whole bench: {rss_mb:.0f} MB.", "",
              "Generated chapter titles and keywords:", ""]
    for r in rows:
        lines.append(f"- **{r['episode']} / {r['transcript']}**: chapters {'; '.join(r['titles'])}. Keywords: {', '.join(r['keywords'])}.")
    (out / "notes.md").write_text("\n".join(lines) + "\n")
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(13, 4.5))
    mark = {"tuning": "", "held out 1": "*", "held out 2": "**", "held out 3": "***"}
    labels = [f"{r['episode']}{mark[r['set']]}\n{r['transcript'][0]}" for r in rows]
    x = range(len(rows))
    ax.bar([i - 0.27 for i in x], [r["pk"] for r in rows], 0.27, label="Chorus (embeddings, optimal split)")
    ax.bar(list(x), [r["tiling_pk"] for r in rows], 0.27, label="TextTiling (fallback)")
    ax.bar([i + 0.27 for i in x], [r["uniform_pk"] for r in rows], 0.27, label="equal-length chapters")
    ax.axhline(0.35, color="red", linestyle="--", label="bar: Pk 0.35")
    ax.set_xticks(list(x), labels, fontsize=6)
    ax.set_ylabel("Pk (lower is better)")
    ax.legend(fontsize=8)
    ax.set_title("Chapter segmentation on generated episodes (* ** *** held out 1, 2, 3; t truth, w whisper)")
    fig.tight_layout()
    fig.savefig(out / "notes.png", dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
