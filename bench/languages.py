#!/usr/bin/env python3
"""Languages benchmark: the bundled tiny.en against the multilingual base, and language detection.

    .venv/bin/python bench/languages.py [--openai]
    .venv/bin/python bench/languages.py --chapters     # only the ten-turn discussion in six languages

Renders the project's English panel and its French, German and English-then-French scripts
(tests/data/scripts/lang-*.json) with the synth, transcribes each with each model in its own process
(so peak RSS is that run's own; the model load is not counted) and reports real-time factor, CPU
seconds per audio second, WER against the script and the language the transcript carries. A second
table compares language detection: Whisper's own (the first 30 s), faster-whisper's
``language_detection_segments=4`` over VAD speech, and Chorus's vote over windows spread over the
speech. Writes docs/bench/languages.md and docs/bench/languages.png.

``--chapters`` (issue #11, "the chapters' languages") renders the same ten-turn discussion in Danish,
Swedish, Malay, German, French and English (tests/data/scripts/lang-ten-*.json, espeak-ng, two voices
each; renders cached under $TMPDIR/chorus-bench-lang/) and, with the base model, reports per language:
WER and coverage with the language stated, the language Whisper detects unrestricted and the WER it then
gives, speech with no words (seconds of VAD speech left as marked [inaudible] gaps), and detection among
the language and English as a show with ``languages = [x, "en"]`` runs it (the winner's probability, and
whether the vote is sure or the episode is held). It replaces the section after CHAPTERS_HEADING in
docs/bench/languages.md and leaves the rest as it was.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402
from bench.transcription import _peak_rss_mb  # noqa: E402

RECORDINGS = {"panel": "English panel", "lang-fr": "French", "lang-de": "German",
              "lang-mixed": "11 s English, then French"}
RUNS = [  # (recording, model, language, engine)
    ("panel", None, "en", "faster-whisper"),
    ("panel", "base", "en", "faster-whisper"),
    ("lang-fr", None, "fr", "faster-whisper"),  # refused: tiny.en is English-only
    ("lang-fr", "base", "fr", "faster-whisper"),
    ("lang-de", "base", "de", "faster-whisper"),
    ("lang-mixed", "base", None, "faster-whisper"),
]
CHAPTERS = ("da", "sv", "ms", "de", "fr", "en")
CHAPTERS_HEADING = "## The chapters' languages: one ten-turn discussion in six languages"
OPENAI_RUNS = [("lang-fr", "base", "fr", "openai-whisper"), ("panel", "base", "en", "openai-whisper")]


def _wer(ref: str, hyp: str) -> float:
    """WER for any language: lower case, every run of non-word characters a space."""
    import jiwer

    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^\w]+", " ", s.lower()).split())
    return jiwer.wer(norm(ref), norm(hyp))


def _one(audio: str, truth_path: str, model: str, language: str, engine: str) -> None:
    from transcripts import TranscribeOptions, TranscriptError, transcribe
    from transcripts.engines import get_engine
    opts = TranscribeOptions(model=None if model == "-" else model, language=None if language == "-" else language,
                             engine=engine)
    row = {"model": model if model != "-" else "tiny.en", "language": language, "engine": engine}
    get_engine(opts)  # the model load is not transcription time
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    try:
        t = transcribe(audio, opts)
    except TranscriptError as exc:
        print(json.dumps({**row, "refused": exc.reason}))
        return
    dt, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({**row, "seconds": dt, "duration": t.duration, "rtf": dt / t.duration, "cpu_rtf": cpu / t.duration,
                      "wer": _wer(json.loads(Path(truth_path).read_text())["text"], t.text()),
                      "got": t.language, "peak_rss_mb": _peak_rss_mb(), "load1": os.getloadavg()[0],
                      "text": t.text()[:160]}))


def _detect(audios: list[str]) -> None:
    """Language detection three ways on each recording (the base model's encoder only)."""
    from faster_whisper import decode_audio
    from transcripts import TranscribeOptions
    from transcripts.api import detect_language
    from transcripts.audio import AudioFile, speech_regions
    from transcripts.engines import get_engine
    opts = TranscribeOptions(model="base", language=None)
    engine = get_engine(opts)
    for path in audios:
        a = decode_audio(path)
        first30 = engine.model.detect_language(a)[0]
        fw4 = engine.model.detect_language(a, vad_filter=True, language_detection_segments=4)[0]
        with AudioFile(path) as audio:
            speech = speech_regions(audio, opts)
            t0 = time.perf_counter()
            ours = detect_language(audio, opts, speech)
            dt = time.perf_counter() - t0
        print(json.dumps({"path": path, "first30": first30, "fw4": fw4, "chorus": ours, "chorus_s": dt}))


def _gap_seconds(t) -> float:
    return round(sum(b - a for a, b in t.gaps), 1)


def _chapters(pairs: list[str]) -> None:
    """``pairs``: language, audio, truth, ...; one JSON row per language (one process: base loads once)."""
    from transcripts import LanguageUnsure, TranscribeOptions, transcribe
    from transcripts.api import language_vote
    from transcripts.audio import AudioFile
    from transcripts.engines import get_engine
    get_engine(TranscribeOptions(model="base"))
    for lang, audio, truth_path in zip(pairs[::3], pairs[1::3], pairs[2::3]):
        ref = json.loads(Path(truth_path).read_text())["text"]
        row: dict = {"lang": lang, "load1": os.getloadavg()[0]}
        t0 = time.perf_counter()
        stated = transcribe(audio, TranscribeOptions(model="base", language=lang))
        row.update(duration=stated.duration, rtf=(time.perf_counter() - t0) / stated.duration,
                   wer_stated=_wer(ref, stated.text()), coverage_stated=stated.coverage, gaps_stated=_gap_seconds(stated))
        free = transcribe(audio, TranscribeOptions(model="base", language=None))
        row.update(detected=free.language, wer_detected=_wer(ref, free.text()), coverage_detected=free.coverage,
                   gaps_detected=_gap_seconds(free), text_detected=free.text()[:80])
        listed = [lang, "en"] if lang != "en" else ["sv", "en"]
        opts = TranscribeOptions(model="base", language=None, languages=listed)
        with AudioFile(audio) as recording:
            vote = language_vote(recording, opts)
        row.update(listed=listed, vote=vote.language, sure=vote.sure, probabilities=vote.probabilities,
                   heard=list(vote.heard), windows=vote.windows)
        try:  # what the pipeline does with it: transcribed in the winner, or held before decoding
            row["restricted"] = transcribe(audio, opts).language if vote.sure else None
        except LanguageUnsure as exc:
            row["restricted"], row["held"] = None, exc.reason
        print(json.dumps(row), flush=True)


def _chapters_report(rows: list[dict]) -> str:
    load = [r["load1"] for r in rows]
    lines = [CHAPTERS_HEADING, "",
             "Recordings: tests/data/scripts/lang-ten-{da,sv,ms,de,fr,en}.json, the same ten turns translated, "
             "espeak-ng, two voices each (the second 3 dB quieter). Model: the multilingual base "
             f"(`whisper_model = \"base\"`), default options, one process; 2 shared cores (1-min load average "
             f"{min(load):.1f}–{max(load):.1f}). \"Speech with no words\" is the VAD speech no decode gave words "
             "for, marked `[inaudible N s]` in every format; coverage is the share of VAD speech with words. "
             "Command: `.venv/bin/python bench/languages.py --chapters`.", "",
             "| language | duration (s) | WER, stated | coverage, stated | no words, stated (s) | detected as "
             "| WER, detected | coverage, detected | no words, detected (s) | among `[x, en]` (English: `[sv, en]`): probabilities "
             "| outcome | RTF, stated |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|---:|"]
    for r in rows:
        probs = ", ".join(f"{k} {v:.3f}" for k, v in r["probabilities"].items())
        heard = f" (heard {r['heard'][0]} {r['heard'][1]:.2f})" if r["heard"][0] not in r["probabilities"] else ""
        outcome = f"transcribed as `{r['restricted']}`" if r.get("restricted") else "**held**: asks for its language"
        lines.append(f"| {r['lang']} | {r['duration']:.1f} | {r['wer_stated']:.2f} | {r['coverage_stated']:.1%} "
                     f"| {r['gaps_stated']:.1f} | `{r['detected']}` | {r['wer_detected']:.2f} "
                     f"| {r['coverage_detected']:.1%} | {r['gaps_detected']:.1f} | {probs}{heard} | {outcome} "
                     f"| {r['rtf']:.2f} |")
    return "\n".join(lines) + "\n"


def _write_section(path: Path, heading: str, text: str | None, head: str | None = None) -> None:
    """Write ``head`` (the main report; None keeps the file's) and the section from ``heading`` on (None keeps it)."""
    old = path.read_text() if path.exists() else ""
    old_head, _, old_tail = old.partition(heading)
    head = old_head.rstrip() + "\n" if head is None else head
    tail = text if text is not None else (heading + old_tail if old_tail else "")
    path.write_text(head + ("\n" + tail if tail else ""))


def _chapters_main(work: Path) -> None:
    from tests.support.synth import render
    work.mkdir(parents=True, exist_ok=True)
    args = []
    for lang in CHAPTERS:
        script = ROOT / f"tests/data/scripts/lang-ten-{lang}.json"
        stem = work / f"ten-{lang}-{hashlib.sha256(script.read_bytes()).hexdigest()[:12]}"
        if not Path(f"{stem}.wav").exists():
            render(script, stem)
        args += [lang, f"{stem}.wav", f"{stem}.truth.json"]
    rows = _run(["--chapters-run", *args])
    if len(rows) == len(CHAPTERS):
        section = _chapters_report(rows)
        _write_section(ROOT / "docs/bench/languages.md", CHAPTERS_HEADING, section)
        print(section, flush=True)


def _run(args: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    rows = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    if not rows:
        print(f"{args[:2]}: failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
    for r in rows:
        print(r, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--openai", action="store_true", help="also openai-whisper on the converted base model")
    ap.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--detect", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--chapters", action="store_true", help="only the ten-turn discussion in six languages")
    ap.add_argument("--chapters-run", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return _one(*a.one)
    if a.detect:
        return _detect(a.detect)
    if a.chapters_run:
        return _chapters(a.chapters_run)
    if a.chapters:
        return _chapters_main(Path(tempfile.gettempdir()) / "chorus-bench-lang")
    from tests.support.synth import render
    work = Path(tempfile.mkdtemp(prefix="bench-lang-"))
    rec = {}
    for name in RECORDINGS:
        audio, truth = render(ROOT / f"tests/data/scripts/{name}.json", work / name)
        (work / f"{name}.truth.json").write_text(json.dumps(truth))
        rec[name] = (str(audio), str(work / f"{name}.truth.json"))
    rows = []
    for name, model, language, engine in RUNS + (OPENAI_RUNS if a.openai else []):
        for r in _run(["--one", *rec[name], model or "-", language or "-", engine]):
            rows.append({**r, "recording": name})
    detections = _run(["--detect", *(rec[n][0] for n in RECORDINGS)])
    for d, name in zip(detections, RECORDINGS):
        d["recording"] = name
    _report(rows, detections)


def _report(rows: list[dict], detections: list[dict]) -> None:
    out = ROOT / "docs/bench"
    out.mkdir(parents=True, exist_ok=True)
    loads = [r["load1"] for r in rows if "load1" in r]
    lines = [f"Recordings: the project's generated scripts (espeak-ng voices; {', '.join(RECORDINGS)}); "
             f"2-core CPU shared with other jobs (1-min load average {min(loads):.1f}–{max(loads):.1f} at the end "
             "of the runs); one run, each row in its own process; default options (batched, beam 5, word "
             "timestamps); the model load is not counted.", "",
             "| recording | model | engine | language asked | got | RTF | CPU s per audio s | WER | peak RSS (MB) "
             "| load avg |", "|---|---|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        head = f"| {RECORDINGS[r['recording']]} | {r['model']} | {r['engine']} | {r['language'] if r['language'] != '-' else 'detect'} |"
        if "refused" in r:
            lines.append(f"{head} refused: {r['refused']} | | | | | |")
            continue
        lines.append(f"{head} {r['got']} | {r['rtf']:.3f} | {r['cpu_rtf']:.3f} | {r['wer']:.3f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['load1']:.1f} |")
    ratio = _ratio(rows)
    if ratio:
        lines += ["", ratio]
    lines += ["", "Language detection with the base model (no language stated):", "",
              "| recording | Whisper: first 30 s | faster-whisper: 4 segments of VAD speech | Chorus: vote over "
              "4 windows spread over the speech | Chorus detection time (s) |", "|---|---|---|---|---:|"]
    lines += [f"| {RECORDINGS[d['recording']]} | {d['first30']} | {d['fw4']} | {d['chorus']} | {d['chorus_s']:.2f} |"
              for d in detections]
    _write_section(out / "languages.md", CHAPTERS_HEADING, None, head="\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    _plot([r for r in rows if "rtf" in r], out / "languages.png")


def _ratio(rows: list[dict]) -> str:
    pick = {(r["recording"], r["model"], r["engine"]): r for r in rows if "rtf" in r}
    tiny, base = pick.get(("panel", "tiny.en", "faster-whisper")), pick.get(("panel", "base", "faster-whisper"))
    if not (tiny and base):
        return ""
    return (f"On the English panel, base takes {base['rtf'] / tiny['rtf']:.1f}× the time of tiny.en "
            f"({base['cpu_rtf'] / tiny['cpu_rtf']:.1f}× the CPU time) for WER {base['wer']:.3f} against {tiny['wer']:.3f}.")


def _plot(rows: list[dict], path: Path) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for r in rows:
        label = f"{r['model']} · {RECORDINGS[r['recording']]}" + (" · openai" if r["engine"] != "faster-whisper" else "")
        ax.scatter(r["rtf"], r["wer"], s=r["peak_rss_mb"] / 4, alpha=0.6,
                   color="tab:blue" if r["model"] == "tiny.en" else "tab:green")
        ax.annotate(label, (r["rtf"], r["wer"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("real-time factor (log; lower is faster)")
    ax.set_ylabel("WER")
    ax.set_title("tiny.en (blue) and multilingual base (green) on 2 shared cores (marker area ~ peak RSS)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
