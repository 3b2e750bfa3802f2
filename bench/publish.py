"""Bytes and requests of publishing a 100-episode show to a real SeaweedFS, side by side.

Scenarios (one run each, same show): the first publish of 100 episodes (media + transcripts +
pages + feed), a republish of the unchanged show (target: no media bytes; feed and pages only if
they changed), and a republish after one episode's show notes changed. Bytes come from
``Bucket.bytes_sent``; S3 requests are counted with botocore's event hooks.

    .venv/bin/python bench/publish.py [--episodes 100]

Writes docs/bench/publish.md and docs/bench/publish.png.
"""
from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._plot import pyplot  # noqa: E402

from chorus.catalog import Catalog, NotesRevision  # noqa: E402
from chorus import sequence, steps  # noqa: E402
from chorus.publishing import publish_show  # noqa: E402
from chorus.services import SeaweedFS, free_port  # noqa: E402
from chorus.settings import PublishSettings, Settings  # noqa: E402
from chorus.steps import Context  # noqa: E402
from chorus.storage import Bucket  # noqa: E402
from tests.chorus.test_publish import SCRIPT, _transcript_and_notes  # noqa: E402
from tests.support.synth import render  # noqa: E402


def _scenario(bucket, calls, fn):
    sent, n0, t0 = bucket.bytes_sent, dict(calls), time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    ops = {k: calls[k] - n0.get(k, 0) for k in calls if calls[k] - n0.get(k, 0)}
    return {"bytes": bucket.bytes_sent - sent, "seconds": dt, "ops": ops, "out": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=100)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="chorus-bench-publish-"))
    store = SeaweedFS(tmp / "s3", s3_port=free_port()).start()
    try:
        key, secret = store.credentials()
        bucket = Bucket("bench-publish", store.endpoint_url, access_key=key, secret_key=secret, region="us-east-1")
        bucket.ensure()
        calls: collections.Counter = collections.Counter()
        bucket.client.meta.events.register("before-call.s3.*", lambda model, **_: calls.update([model.name]))
        settings = Settings(data_dir=tmp / "data", publish=PublishSettings(bucket=bucket.name))
        settings.data_dir.mkdir(parents=True)
        catalog = Catalog(settings.catalog)
        wav, truth = render(SCRIPT, tmp / "clip")
        base = tmp / "clip.mp3"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-ac", "1", "-b:a", "64k", str(base)], check=True)
        _, conf = settings.get_show(None)

        def first_publish():
            """Every episode through the one sequence, except the feed: written once at the end."""
            ctx, media = Context(settings, catalog, bucket), 0

            def no_feed_yet(name, fn, *a):
                return None if name in ("feed", "finish") else fn(*a)

            for i in range(args.episodes):
                src = tmp / "in" / f"episode-{i:03d}.mp3"
                src.parent.mkdir(exist_ok=True)
                src.write_bytes(base.read_bytes() + i.to_bytes(4, "big"))  # distinct source hash per episode
                c = steps.claim(ctx, src)
                transcript, notes = _transcript_and_notes(truth, steps.episode_title(src, c.sidecar))
                mastered = SimpleNamespace(mp3=base, duration=truth["duration"], video=None, poster=None,
                                           kept=[(0.0, truth["duration"])])
                steps.draft(ctx, c, mastered, transcript, notes)
                before = bucket.bytes_sent
                sequence.release_episode(ctx, c.episode_id, no_feed_yet, mastered=mastered)
                media += bucket.bytes_sent - before
            return {"media": media, "pub": publish_show(bucket, settings, catalog, c.show)}

        rows = {"first publish (100 episodes)": _scenario(bucket, calls, first_publish)}
        rows["first publish (100 episodes)"]["media"] = rows["first publish (100 episodes)"]["out"]["media"]
        r = _scenario(bucket, calls, lambda: publish_show(bucket, settings, catalog, settings.default_show))
        r["media"] = 0
        rows["republish, unchanged"] = r
        last = catalog.latest_revision(NotesRevision, 1)
        edit = catalog.add_revision(NotesRevision, 1, {**last.data, "html": last.data["html"] + "<p>Corrected.</p>"},
                                    author="volunteer")
        catalog.approve(1, "notes", edit, by="organiser")  # only an approved edit is published
        r = _scenario(bucket, calls, lambda: publish_show(bucket, settings, catalog, settings.default_show))
        r["media"] = 0
        rows["republish, one episode's notes edited"] = r
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load_after = os.getloadavg()[0]
    finally:
        store.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    first = rows["first publish (100 episodes)"]["bytes"]
    lines = [
        "# Publishing benchmark: bytes uploaded by a republish", "",
        f"`.venv/bin/python bench/publish.py --episodes {args.episodes}` against the embedded SeaweedFS "
        f"(one run, {os.cpu_count()}-core machine, load average {load:.2f} at start, {load_after:.2f} at the end). "
        "Bytes are `Bucket.bytes_sent`; requests are counted by S3 operation.", "",
        "| scenario | bytes uploaded | of which media/transcripts | vs first publish | feed uploaded | pages uploaded | "
        "conditional attempts | seconds | S3 requests | HEADs per episode |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for name, r in rows.items():
        pub = r["out"]["pub"] if isinstance(r["out"], dict) else r["out"]
        ops = ", ".join(f"{k} {v}" for k, v in sorted(r["ops"].items()))
        lines.append(f"| {name} | {r['bytes']:,} | {r['media']:,} | {r['bytes'] / first:.4f} | "
                     f"{'yes' if pub.feed.uploaded else 'no'} | {sum(p.uploaded for p in pub.pages)} of "
                     f"{len(pub.pages)} | {pub.attempts} | {r['seconds']:.2f} | {ops} | "
                     f"{r['ops'].get('HeadObject', 0) / args.episodes:.2f} |")
    lines += ["", f"Peak RSS of the benchmark process: {rss_mb:.0f} MB.", "",
              "Target (issue #6): a republish of an unchanged show uploads no media bytes, only the feed and "
              "pages; here it uploads nothing at all, because the feed and pages are compared by content hash "
              "too. An edit re-uploads only the pages and feed whose bytes changed.", "",
              "![bytes uploaded per scenario](publish.png)", ""]
    out = ROOT / "docs" / "bench"
    (out / "publish.md").write_text("\n".join(lines))
    print("\n".join(lines))
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(8, 3.2))
    names = list(rows)
    vals = [max(rows[n]["bytes"], 1) for n in names]
    ax.barh(names, vals, color=["#555", "#2a7", "#27a"])
    ax.set_xscale("log")
    ax.set_xlabel("bytes uploaded (log scale; 0 drawn as 1)")
    for y, n in enumerate(names):
        ax.text(vals[y], y, f" {rows[n]['bytes']:,} B", va="center")
    ax.set_title(f"Publishing a {args.episodes}-episode show to SeaweedFS")
    fig.tight_layout()
    fig.savefig(out / "publish.png", dpi=110)


if __name__ == "__main__":
    main()
