"""Personal-data flagging on generated transcripts: recall per kind, false flags per 1,000 words, speed.

    .venv/bin/python bench/privacy.py [--misses] [--per-kind 48]

Prints, for the tuning corpus (seed 0) and the held-out corpus (seed 7, other names and phrasings), a table per
kind (planted, found, recall), the false flags per 1,000 words with the most frequent false-flag texts, and seconds
per 10,000 words: the first call (which loads spaCy) apart from warm calls. See docs/privacy.md.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.transcripts._privacy_corpus import KINDS, Corpus, make_corpus  # noqa: E402
from transcripts.privacy import find_personal_data  # noqa: E402

_FUNCTION = {"the", "on", "in", "at", "of", "a", "and", "is"}


def evaluate(corpus: Corpus) -> dict:
    """Flag every episode; count planted items found (an overlapping flag of the right kind, and the flags cover
    every planted word but function words) and false flags (flags overlapping no planted item)."""
    flags = [find_personal_data(e.words, e.known_people, e.allow) for e in corpus.episodes]
    found = collections.Counter()
    planted = collections.Counter(p.kind for p in corpus.planted)
    misses, false = [], []
    for p in corpus.planted:
        fs = flags[p.episode]
        over = [f for f in fs if f.first <= p.last and f.last >= p.first]
        words = corpus.episodes[p.episode].words
        needed = [i for i in range(p.first, p.last + 1)
                  if words[i].text.lower().strip(".,?") not in _FUNCTION]
        covered = all(any(f.first <= i <= f.last for f in over) for i in needed)
        if covered and any(f.kind == p.kind for f in over):
            found[p.kind] += 1
        else:
            misses.append((p, [(f.kind, f.text) for f in over]))
    for e, fs in enumerate(flags):
        spans = [(p.first, p.last) for p in corpus.planted if p.episode == e]
        for f in fs:
            if not any(f.first <= b and f.last >= a for a, b in spans):
                false.append(f)
    return dict(found=found, planted=planted, misses=misses, false=false, words=corpus.n_words)


def _table(name: str, r: dict) -> str:
    rows = [f"### {name}", "", "| kind | planted | found | recall |", "|---|---:|---:|---:|"]
    for k in KINDS:
        n, f = r["planted"][k], r["found"][k]
        rows.append(f"| {k} | {n} | {f} | {f / n:.3f} |")
    nf = len(r["false"])
    rows += ["", f"False flags: {nf} in {r['words']} words = {1000 * nf / r['words']:.2f} per 1,000 words"]
    top = collections.Counter(f"{f.kind}: {f.text}" for f in r["false"]).most_common(10)
    rows += [f"- {n} x {t}" for t, n in top]
    return "\n".join(rows)


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
    for name, r in (("Tuning corpus (seed 0)", r_tune), ("Held-out corpus (seed 7, other templates)", r_held)):
        print(_table(name, r), "\n")
        if args.misses:
            for p, over in r["misses"]:
                print(f"  MISS {p.kind}: {p.text!r} flags={over}")
            print()
    n0 = len(tune.episodes[0].words)
    print(f"Speed: first call {cold:.2f} s for {n0} words (includes loading spaCy and Presidio); warm "
          f"{10000 * warm / tune.n_words:.2f} s per 10,000 words ({tune.n_words} words in {len(tune.episodes)} episodes)")
    del first


if __name__ == "__main__":
    main()
