#!/usr/bin/env python3
"""Benchmark show notes and chapters against generated multi-topic episodes with known topics.

    .venv/bin/python bench/notes.py [--work DIR] [--no-whisper]

For every tests/data/scripts/topics-*.json (``topics-holdout-*`` were never used for tuning) it
renders speech with the project's synth, then drafts notes from two transcripts: the ground-truth
timing (words spread over each turn) and a real faster-whisper transcript (bundled tiny.en). It
scores, side by side with an equal-length-chapters baseline:

* Pk (Beeferman et al.; 1-second units, k = half the mean true topic length), lower is better;
* boundary hits: share of true topic boundaries with a chapter start (after 0) within +-15 s;
* the shortest chapter against the minimum that applies;
* how many topics the summary sentences come from, and how many topics a keyword comes from;

and times ``make_notes`` on a 2-hour transcript (the episodes' truth transcripts, repeated), with peak RSS.
Writes docs/bench/notes.md and docs/bench/notes.png.
"""
from __future__ import annotations

import argparse
import json
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


def two_hours(truths: list[dict]) -> Transcript:
    segs: list[Segment] = []
    offset = 0.0
    while offset < 7200:
        for truth in truths:
            t = truth_transcript(truth)
            for s in t.segments:
                segs.append(Segment(s.start + offset, s.end + offset, s.text, s.speaker,
                                    [Word(w.text, w.start + offset, w.end + offset, 1.0, w.speaker) for w in s.words]))
            offset += t.duration
            if offset >= 7200:
                break
    return Transcript("en", offset, segs)


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
            rows.append({"episode": name, "held_out": name.startswith("holdout"), "transcript": kind,
                         "duration": truth["duration"], "notes_s": took, "asr_rtf": secs / truth["duration"] if secs else None,
                         **s, "uniform_pk": base["pk"], "uniform_hits": base["hits"], "tiling_pk": prev["pk"],
                         "tiling_hits": prev["hits"],
                         "titles": [c.title for c in notes.chapters], "keywords": notes.keywords})
            print(f"{name:16} {kind:8} Pk {s['pk']:.3f} (uniform {base['pk']:.3f})  hits {s['hits']}/{s['bounds']}  "
                  f"chapters {s['chapters']}  shortest {s['shortest']:.0f}s >= {s['minimum']:.0f}s  "
                  f"summary topics {s['summary_topics']}  keyword topics {s['keyword_topics']}/{s['topics']}", flush=True)
    long_t = two_hours(truths)
    t0 = time.perf_counter()
    long_notes = make_notes(long_t, opts)
    long_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    make_notes(long_t, tiling)
    long_tiling_s = time.perf_counter() - t0
    print(f"2-hour transcript, TextTiling: {long_tiling_s:.2f} s")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"2-hour transcript ({long_t.duration / 60:.0f} min, {len(long_t.words())} words): make_notes {long_s:.2f} s, "
          f"{len(long_notes.chapters)} chapters; peak RSS {rss_mb:.0f} MB")
    write_report(rows, long_t, long_s, len(long_notes.chapters), rss_mb, a.out, long_tiling_s)
    return 0


def _rtf(v: float | None) -> str:
    return "" if v is None else f"{v:.3f}"


def write_report(rows, long_t, long_s, long_chapters, rss_mb, out: Path, long_tiling_s: float = 0.0) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = ["| episode | transcript | length | Pk | TextTiling Pk (hits) | uniform Pk | Pk ratio | hits ±15 s | chapters | shortest / minimum | summary topics | keyword topics | notes time | ASR RTF |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r["pk"] / r["uniform_pk"] if r["uniform_pk"] else float("nan")
        lines.append(
            f"| {r['episode']}{' (held out)' if r['held_out'] else ''} | {r['transcript']} | {r['duration'] / 60:.1f} min | "
            f"{r['pk']:.3f} | {r['tiling_pk']:.3f} ({r['tiling_hits']}/{r['bounds']}) | {r['uniform_pk']:.3f} | {ratio:.2f} | {r['hits']}/{r['bounds']} | {r['chapters']} | "
            f"{r['shortest']:.0f} s / {r['minimum']:.0f} s | {r['summary_topics']} | {r['keyword_topics']}/{r['topics']} | "
            f"{r['notes_s']:.2f} s | {_rtf(r['asr_rtf'])} |")
    for kind in ("truth", "whisper"):
        for label, held in (("tuning", False), ("held out", True)):
            sel = [r for r in rows if r["transcript"] == kind and r["held_out"] == held]
            if sel:
                hits = sum(r["hits"] for r in sel) / max(sum(r["bounds"] for r in sel), 1)
                thits = sum(r["tiling_hits"] for r in sel) / max(sum(r["bounds"] for r in sel), 1)
                lines.append(f"| **{label} ({kind})** | {kind} | | {sum(r['pk'] for r in sel) / len(sel):.3f} | "
                             f"{sum(r['tiling_pk'] for r in sel) / len(sel):.3f} ({thits:.0%}) | "
                             f"{sum(r['uniform_pk'] for r in sel) / len(sel):.3f} | | {hits:.0%} | | | | | | |")
    lines += ["", f"2-hour transcript ({long_t.duration / 60:.0f} min, {len(long_t.words())} words, repeated episodes): "
              f"`make_notes` {long_s:.2f} s, {long_chapters} chapters (TextTiling fallback {long_tiling_s:.2f} s); peak RSS of the whole bench {rss_mb:.0f} MB.", "",
              "Generated chapter titles and keywords:", ""]
    for r in rows:
        lines.append(f"- **{r['episode']} / {r['transcript']}**: chapters {'; '.join(r['titles'])}. Keywords: {', '.join(r['keywords'])}.")
    (out / "notes.md").write_text("\n".join(lines) + "\n")
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(9, 4))
    labels = [f"{r['episode']}{'*' if r['held_out'] else ''}\n{r['transcript']}" for r in rows]
    x = range(len(rows))
    ax.bar([i - 0.27 for i in x], [r["pk"] for r in rows], 0.27, label="Chorus (embeddings, optimal split)")
    ax.bar(list(x), [r["tiling_pk"] for r in rows], 0.27, label="TextTiling (fallback)")
    ax.bar([i + 0.27 for i in x], [r["uniform_pk"] for r in rows], 0.27, label="equal-length chapters")
    ax.axhline(0.35, color="red", linestyle="--", label="bar: Pk 0.35")
    ax.set_xticks(list(x), labels, fontsize=7)
    ax.set_ylabel("Pk (lower is better)")
    ax.legend(fontsize=8)
    ax.set_title("Chapter segmentation on generated multi-topic episodes (* held out)")
    fig.tight_layout()
    fig.savefig(out / "notes.png", dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
