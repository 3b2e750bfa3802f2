"""Personal-data flagging on generated transcripts: recall per kind, false flags per 1,000 words, speed.

    .venv/bin/python bench/privacy.py [--misses] [--per-kind 48]

Prints, for the tuning corpus (seed 0) and the held-out corpus (seed 7, other names and phrasings), a table per
kind (planted, found, recall), the false flags per 1,000 words with the most frequent false-flag texts; the flags
on the project's English speech scripts (nothing planted); on what the pipeline's transcriber (Whisper tiny.en) wrote
for spoken items read by espeak-ng (``tests/transcripts/_privacy_heard.py``); and seconds per 10,000 words: the first
call (which loads spaCy) apart from warm calls. See docs/privacy.md.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.transcripts._privacy_corpus import KINDS, evaluate, make_corpus  # noqa: E402
from tests.transcripts._privacy_heard import WHISPER_SAID  # noqa: E402
from transcripts import Word  # noqa: E402
from transcripts.privacy import find_personal_data  # noqa: E402

def _table(name: str, r: dict, corpus) -> str:
    rows = [f"### {name}", "", "| kind | planted | found | recall | recall, Whisper casing | recall, lower case |",
            "|---|---:|---:|---:|---:|---:|"]
    for k in KINDS:
        n, f = r["planted"][k], r["found"][k]
        by_case = []
        for lower in (False, True):
            m = sum(1 for p in corpus.planted if p.kind == k and corpus.episodes[p.episode].lower == lower)
            miss = sum(1 for p, _ in r["misses"] if p.kind == k and corpus.episodes[p.episode].lower == lower)
            by_case.append(f"{(m - miss) / m:.3f}" if m else "-")
        rows.append(f"| {k} | {n} | {f} | {f / n:.3f} | {by_case[0]} | {by_case[1]} |")
    nf = len(r["false"])
    rows += ["", f"False flags: {nf} in {r['words']} words = {1000 * nf / r['words']:.2f} per 1,000 words"]
    top = collections.Counter(f"{f.kind}: {f.text}" for f in r["false"]).most_common(10)
    rows += [f"- {n} x {t}" for t, n in top]
    return "\n".join(rows)


def scripts_flags() -> tuple[int, list]:
    """Flags on the project's English speech scripts (tests/data/scripts, no planted items; speakers known)."""
    import json

    total, flags = 0, []
    for path in sorted((Path(__file__).resolve().parents[1] / "tests/data/scripts").glob("*.json")):
        d = json.loads(path.read_text())
        if d.get("language", "en") != "en" or path.name.startswith("privacy") or not isinstance(d.get("turns"), list):
            continue
        ws = []
        for t in d["turns"]:
            for w in str(t.get("text") or "").split():
                ws.append(Word(w, 0.4 * len(ws), 0.4 * len(ws) + 0.3))
        total += len(ws)
        flags += find_personal_data(ws, list(d.get("speakers") or []))
    return total, flags


def whisper_table(misses: bool) -> str:
    """Recall per kind on what Whisper wrote for spoken items, and flags on its distractor sentences. An item counts
    as found when a flag of its kind covers every word it must (``expect``)."""
    rows = ["### As the transcriber wrote it (tests/transcripts/_privacy_heard.py)", "",
            "| kind | heard | found | recall |", "|---|---:|---:|---:|"]
    found, heard, missed, false, words = collections.Counter(), collections.Counter(), [], [], 0
    for w in WHISPER_SAID:
        ws = [Word(t, 0.4 * i, 0.4 * i + 0.3) for i, t in enumerate(w.heard.split())]
        flags = find_personal_data(ws)
        if w.kind is None:
            words += len(ws)
            false += [f"{f.kind}: {f.text}" for f in flags]
            continue
        heard[w.kind] += 1
        toks, need = w.heard.split(), w.expect.split()
        at = next(i for i in range(len(toks)) if toks[i:i + len(need)] == need)
        if all(any(f.kind == w.kind and f.first <= i <= f.last for f in flags) for i in range(at, at + len(need))):
            found[w.kind] += 1
        else:
            missed.append(f"  MISS {w.kind}: {w.heard!r} flags={[(f.kind, f.text) for f in flags]}")
    rows += [f"| {k} | {heard[k]} | {found[k]} | {found[k] / heard[k]:.3f} |" for k in KINDS if heard[k]]
    rows += ["", f"Distractors: {len(false)} flags in {words} words" + "".join(f"\n- {t}" for t in false)]
    return "\n".join(rows + (missed if misses else []))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="list every missed planted item")
    ap.add_argument("--per-kind", type=int, default=48)
    args = ap.parse_args()
    tune = make_corpus(0, per_kind=args.per_kind)
    held = make_corpus(7, held_out=True, per_kind=args.per_kind)
    t0 = time.perf_counter()
    first = find_personal_data(tune.episodes[0].words, tune.episodes[0].known_people)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    r_tune = evaluate(tune)
    warm = time.perf_counter() - t0
    r_held = evaluate(held)
    for name, r, c in (("Tuning corpus (seed 0)", r_tune, tune),
                       ("Held-out corpus (seed 7, other templates)", r_held, held)):
        print(_table(name, r, c), "\n")
        if args.misses:
            for p, over in r["misses"]:
                print(f"  MISS {p.kind}: {p.text!r} flags={over}")
            print()
    print(whisper_table(args.misses), "\n")
    n, fl = scripts_flags()
    print(f"### The project's English speech scripts (tests/data/scripts), nothing planted\n\n{len(fl)} flags in {n} "
          f"words = {1000 * len(fl) / n:.2f} per 1,000 words (real places among them)")
    for t, k in collections.Counter(f"{f.kind}: {f.text}" for f in fl).most_common(12):
        print(f"- {k} x {t}")
    print()
    n0 = len(tune.episodes[0].words)
    print(f"Speed: first call {cold:.2f} s for {n0} words (includes loading spaCy and Presidio); warm "
          f"{10000 * warm / tune.n_words:.2f} s per 10,000 words ({tune.n_words} words in {len(tune.episodes)} episodes)")
    del first


if __name__ == "__main__":
    main()
