#!/usr/bin/env python3
"""Benchmark building and validating long feeds: cold, and incrementally with the show's item digests.

    .venv/bin/python bench/feeds.py [--sizes 100,250,500,1000,2000] [--tries 5]

One run, side by side, in one process:

* for each size N: ``build_feed`` (feedgen + our P2.0 extension) and a cold ``validate_feed``
  (no digests: every item checked), with the stages of a cold check timed one by one (rules with
  lxml, the whole bytes through expat, the parsers' views, podcastparser, feedparser);
* 1,000 episodes, ``--tries`` alternated tries of each path: a cold build + validate, and adding one
  episode to the show (build + validate with the digests of the previous build, as ``chorus`` reads
  them from its catalog in a new process), and the same with the digests read from and written to a
  real SQLite catalog (what ``chorus.showfeed`` adds to a publish);
* the bytes of the feeds and pages of a 100-episode show, built twice: identical bytes mean an
  unchanged republish uploads nothing from feeds/ (the publisher skips objects by content hash);
* peak RSS, load average, and a CPU speed index (a fixed pure-Python loop): the machine is shared.

Writes docs/bench/feeds.md (table) and docs/bench/feeds.png (plot). Targets (issue #10): one episode
added to a 1,000-episode show, build + validate <= 0.3 s; a cold build + validate of 1,000 <= 1.5 s.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402

import feedparser  # noqa: E402
import podcastparser  # noqa: E402
from lxml import etree  # noqa: E402

from chorus.catalog import Catalog  # noqa: E402
from feeds import build_feed, render_episode_page, render_show_page, validate_feed  # noqa: E402
from feeds import validate as _validate  # noqa: E402
from feeds._views import views  # noqa: E402
from tests.feeds.fixtures import make_episode, make_episodes, make_show  # noqa: E402

OUT = ROOT / "docs" / "bench"
TARGET_ADD, TARGET_COLD = 0.3, 1.5


def _t(fn, *a, **k):
    t = time.perf_counter()
    r = fn(*a, **k)
    return time.perf_counter() - t, r


def _speed_index() -> float:
    """Microseconds for sum(range(1000)); about 10-15 us on an idle modern core."""
    t = time.perf_counter()
    for _ in range(2000):
        sum(range(1000))
    return (time.perf_counter() - t) / 2000 * 1e6


def _rules_only(xml: bytes) -> None:
    root = _validate._parse(xml)
    ch = root.find("channel")
    _validate._check_channel(ch)
    seen: set[str] = set()
    for n, item in enumerate(ch.findall("item"), 1):
        _validate._check_item(item, n, seen)


def measure_size(n: int) -> dict:
    """Cold build + validate of ``n`` episodes, and the stages of the cold check one by one."""
    show, eps = make_show(), make_episodes(n)
    tb, xml = _t(build_feed, show, eps)
    tr, _ = _t(_rules_only, xml)
    tw, _ = _t(_validate._check_bytes, xml)
    tviews, v = _t(views, etree.fromstring(xml))
    tpp, _ = _t(podcastparser.parse, "feed.xml", io.BytesIO(v["podcastparser"]))
    tfp, _ = _t(feedparser.parse, v["feedparser"], sanitize_html=False, resolve_relative_uris=False)
    tv, check = _t(validate_feed, xml)
    tv2, again = _t(validate_feed, xml, check.digests)
    assert (check.parsed, again.parsed) == (n, 0)
    return {"n": n, "bytes": len(xml), "build": tb, "rules": tr, "whole bytes": tw, "views": tviews,
            "podcastparser": tpp, "feedparser": tfp, "validate": tv, "total": tb + tv, "unchanged": tv2}


def _add_one(show, eps, known: dict) -> tuple[float, float, int]:
    t = time.perf_counter()
    xml = build_feed(show, [*eps, make_episode(len(eps) + 1)])
    tb = time.perf_counter() - t
    check = validate_feed(xml, known)
    return tb, time.perf_counter() - t, check.parsed


def _add_one_with_catalog(show, eps, url: str) -> tuple[float, int]:
    """As ``chorus.showfeed`` does it: digests read from the catalog, the new ones written back."""
    catalog = Catalog(url)                 # once per process in chorus: not timed
    t = time.perf_counter()
    xml = build_feed(show, [*eps, make_episode(len(eps) + 1)])
    check = validate_feed(xml, catalog.feed_item_digests(show.slug))
    catalog.save_feed_item_digests(show.slug, check.digests)
    took = time.perf_counter() - t
    catalog.save_feed_item_digests(show.slug, {g: d for g, d in check.digests.items()
                                               if g != make_episode(len(eps) + 1).guid})
    catalog.engine.dispose()
    return took, check.parsed


def measure_paths(n: int, tries: int) -> dict:
    """Cold and add-one, alternated ``tries`` times: the shared machine's load changes from second to
    second, so the best and the median of each say more than one try."""
    show, eps = make_show(), make_episodes(n)
    known = validate_feed(build_feed(show, eps)).digests
    out: dict[str, list[float]] = {"cold": [], "add one": [], "add one (build)": [], "add one, catalog": []}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/catalog.db"
        Catalog(url).save_feed_item_digests(show.slug, known)
        for _ in range(tries):
            t = time.perf_counter()
            validate_feed(build_feed(show, eps))
            out["cold"].append(time.perf_counter() - t)
            tb, total, parsed = _add_one(show, eps, known)
            assert parsed == 1
            out["add one"].append(total)
            out["add one (build)"].append(tb)
            took, parsed = _add_one_with_catalog(show, eps, url)
            assert parsed == 1
            out["add one, catalog"].append(took)
    return {"n": n, "tries": tries, **{k: sorted(v) for k, v in out.items()}}


def measure_unchanged(n: int = 100) -> dict:
    def objects():
        show, eps = make_show(), make_episodes(n)
        out = {"feed.xml": build_feed(show, eps), "video.xml": build_feed(show, eps, video=True),
               "index.html": render_show_page(show, eps).encode()}
        tr = {"language": "en", "segments": [{"start": 0.0, "end": 2.0, "text": "Hello there", "speaker": "Ann",
                                              "words": [{"text": "Hello", "start": 0.0, "end": 0.5, "probability": 0.9},
                                                        {"text": "there", "start": 0.6, "end": 1.0, "probability": 0.9}]}]}
        for e in eps:
            out[f"{e.slug}/index.html"] = render_episode_page(show, e, tr, []).encode()
        return out
    a, b = objects(), objects()
    changed = [k for k in a if hashlib.sha256(a[k]).digest() != hashlib.sha256(b[k]).digest()]
    return {"objects": len(a), "bytes_total": sum(map(len, a.values())),
            "feeds_bytes": len(a["feed.xml"]) + len(a["video.xml"]), "changed": len(changed),
            "bytes_to_upload": sum(len(b[k]) for k in changed)}


def write_plot(rows: list[dict], paths: dict, path: Path) -> bool:
    plt = pyplot()
    if plt is None:
        return False
    ns = [str(r["n"]) for r in rows]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [3, 1]})
    bottom = [0.0] * len(rows)
    for key, colour in (("build", "#1f77b4"), ("rules", "#2ca02c"), ("whole bytes", "#9467bd"),
                        ("views", "#8c564b"), ("podcastparser", "#ff7f0e"), ("feedparser", "#d62728")):
        vals = [r[key] for r in rows]
        ax.bar(ns, vals, bottom=bottom, label=key, color=colour)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.plot(ns, [r["total"] for r in rows], "k-s", label="build + validate_feed, cold")
    ax.axhline(TARGET_COLD, color="black", linestyle="--", linewidth=1, label=f"{TARGET_COLD} s cold target (1,000)")
    ax.set_xlabel("episodes in the feed")
    ax.set_ylabel("seconds")
    ax.set_title("cold: stages (bars) and build + validate")
    ax.legend(fontsize=8)
    labels = ["cold", "add one", "add one, catalog"]
    bx.bar(labels, [paths[k][len(paths[k]) // 2] for k in labels], color=["#7f7f7f", "#2ca02c", "#17becf"])
    bx.axhline(TARGET_ADD, color="black", linestyle="--", linewidth=1)
    bx.set_title(f"{paths['n']:,} episodes: median of {paths['tries']}")
    bx.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def _row(name: str, v: list[float], target: float) -> str:
    med = v[len(v) // 2]
    return f"| {name} | **{v[0]:.3f}** | {med:.3f} | {v[-1]:.3f} | {target} s | {v[0] / target:.2f}× / {med / target:.2f}× |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,250,500,1000,2000")
    ap.add_argument("--tries", type=int, default=5)
    args = ap.parse_args()
    validate_feed(build_feed(make_show(), make_episodes(5)))   # warm-up: imports, regexes, extensions
    speed, load = _speed_index(), os.getloadavg()
    rows = [measure_size(int(n)) for n in args.sizes.split(",")]
    paths = measure_paths(1000, args.tries)
    unchanged = measure_unchanged(100)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    speed_after, load_after = _speed_index(), os.getloadavg()
    med = {k: v[len(v) // 2] for k, v in paths.items() if isinstance(v, list)}

    lines = [
        "# Feed benchmark", "",
        f"`.venv/bin/python bench/feeds.py` — Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} at start, {load_after[0]:.2f} at the end; CPU speed index {speed:.1f} µs before, "
        f"{speed_after:.1f} µs after "
        "(`sum(range(1000))`, about 10–15 µs on an idle modern core: higher means a busy or slow machine).", "",
        f"## {paths['n']:,} episodes: cold and one episode added, {paths['tries']} alternated tries (seconds)", "",
        "*cold*: build + `validate_feed` with no digests (every item checked). *add one*: the show gets episode",
        f"{paths['n'] + 1}; build + `validate_feed` with the digests of the previous build (only the new item",
        "is checked; the channel and the whole bytes are checked every time). *add one, catalog*: the same",
        "with the digests read from and written back to a real SQLite catalog, as `chorus.showfeed` does it.", "",
        "| build + validate | best | median | worst | target | best / median vs target |",
        "|---|---:|---:|---:|---:|---:|",
        _row("cold", paths["cold"], TARGET_COLD),
        _row("add one", paths["add one"], TARGET_ADD),
        _row("add one, catalog", paths["add one, catalog"], TARGET_ADD),
        f"| of which build (add one) | {paths['add one (build)'][0]:.3f} | {med['add one (build)']:.3f} | "
        f"{paths['add one (build)'][-1]:.3f} | | |",
        f"| ratio cold / add one | {paths['cold'][0] / paths['add one'][0]:.1f}× | "
        f"{med['cold'] / med['add one']:.1f}× | | | |",
        "", "## Cold, by size: every item built and checked once (seconds)", "",
        "Stages timed one by one (the columns up to *feedparser*), then `validate_feed` cold, and again with",
        "the digests it returned (an unchanged feed: nothing but the channel and the whole bytes checked).", "",
        "| episodes | feed size | build | rules (lxml) | whole bytes (expat, encoding) | parser views | podcastparser | feedparser | validate_feed, cold | build + validate, cold | validate_feed, unchanged | cold / unchanged |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['bytes'] / 1e6:.2f} MB | {r['build']:.3f} | {r['rules']:.3f} | "
                     f"{r['whole bytes']:.3f} | {r['views']:.3f} | {r['podcastparser']:.3f} | {r['feedparser']:.3f} | "
                     f"{r['validate']:.3f} | **{r['total']:.3f}** | {r['unchanged']:.3f} | "
                     f"{r['validate'] / r['unchanged']:.1f}× |")
    lines += [
        "", "## Unchanged 100-episode show: what a republish must upload from feeds/", "",
        "| objects (feed, video feed, show page, episode pages) | their bytes | of which feeds | objects whose bytes changed | bytes to upload |",
        "|---:|---:|---:|---:|---:|",
        f"| {unchanged['objects']} | {unchanged['bytes_total']:,} | {unchanged['feeds_bytes']:,} | "
        f"{unchanged['changed']} | {unchanged['bytes_to_upload']:,} |",
        "", f"Peak RSS of the whole run: {rss_mb:.0f} MB (one process; validation starts none).", "",
        "Feeds and pages are byte-identical when nothing changed (no build timestamps), so a publisher that",
        "compares content hashes uploads none of them; the media bytes of a republish are the publisher's figure.",
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    if write_plot(rows, paths, OUT / "feeds.png"):
        lines += ["", "![build + validate](feeds.png)"]
    (OUT / "feeds.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
