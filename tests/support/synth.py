#!/usr/bin/env python3
"""Synthesise a spoken test recording (the project's fixture generator; started from the corpus tool
the founders were given, now maintained here), with its ground truth, from a script.

Needs espeak-ng, sox and ffmpeg on PATH (Debian: apt-get install espeak-ng sox ffmpeg).

    synth.py SCRIPT.json OUT_STEM [--format wav|mp3|m4a|flac|mp4|mkv] [--multitrack]
             [--noise-db -40] [--sample-rate 44100] [--stereo]

SCRIPT.json:
    {"title": "...", "language": "en",
     "speakers": {"Host": {"voice": "en-gb", "gain_db": 0}, "Guest": {"voice": "en-us+f3", "gain_db": -9}},
     "turns": [{"speaker": "Host", "text": "...", "topic": "isolation"},
               {"pause": 20.0},
               {"tone": 3.0, "freq": 440}]}

Writes OUT_STEM.<format> (the mix; for --multitrack also OUT_STEM.<speaker>.wav, one aligned
track per speaker) and OUT_STEM.truth.json: every turn with start/end seconds, speaker, text
and topic, the topic boundaries, and the full reference text, for WER, diarisation and
chapter-boundary scoring.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

RATE = 22050  # espeak-ng's native rate


def run(*cmd):
    if cmd[0] == "sox":  # repeatable mode: fixed seeds for dither and noise, so a script always renders the same bytes
        cmd = ("sox", "-R", *cmd[1:])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def pcm_of(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return w.readframes(w.getnframes())


def silence(seconds):
    return b"\x00\x00" * int(round(seconds * RATE))


def render(script, out_stem, fmt="wav", multitrack=False, noise_db=None, sample_rate=44100, stereo=False, gap=0.35):
    """Render SCRIPT (a path or a dict) to OUT_STEM.<fmt>; return (media path, truth dict)."""
    argv = [str(script), str(out_stem), "--format", fmt, "--sample-rate", str(sample_rate), "--gap", str(gap)]
    if isinstance(script, dict):
        fd, tmp = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(script, f)
        argv[0] = tmp
    if multitrack:
        argv.append("--multitrack")
    if noise_db is not None:
        argv += ["--noise-db", str(noise_db)]
    if stereo:
        argv.append("--stereo")
    out = main(argv)
    with open(f"{out_stem}.truth.json") as f:
        return out, json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("script")
    ap.add_argument("out_stem")
    ap.add_argument("--format", default="wav")
    ap.add_argument("--multitrack", action="store_true")
    ap.add_argument("--noise-db", type=float, default=None, help="add pink noise at this level (dBFS)")
    ap.add_argument("--sample-rate", type=int, default=44100)
    ap.add_argument("--stereo", action="store_true")
    ap.add_argument("--gap", type=float, default=0.35, help="seconds between turns")
    a = ap.parse_args(argv)
    for tool in ("espeak-ng", "sox", "ffmpeg"):
        if not shutil.which(tool):
            sys.exit(f"synth.py: {tool} is not on PATH")
    with open(a.script) as f:
        spec = json.load(f)
    speakers = spec.get("speakers", {})
    tmp = tempfile.mkdtemp(prefix="synth-")
    tracks = {name: bytearray() for name in speakers}
    mix = bytearray()
    truth = []
    t = 0.0
    for i, turn in enumerate(spec["turns"]):
        if "pause" in turn or "tone" in turn:
            secs = float(turn.get("pause", turn.get("tone")))
            if "tone" in turn:
                f = os.path.join(tmp, f"t{i}.wav")
                run("sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", f, "synth", str(secs), "sine",
                    str(turn.get("freq", 440)), "vol", "0.3")
                chunk = pcm_of(f)
            else:
                chunk = silence(secs)
            mix += chunk
            for tr in tracks.values():
                tr += silence(len(chunk) / 2 / RATE)
            truth.append({"kind": "tone" if "tone" in turn else "pause", "start": round(t, 3),
                          "end": round(t + len(chunk) / 2 / RATE, 3)})
            t += len(chunk) / 2 / RATE
            continue
        who = turn["speaker"]
        sp = speakers[who]
        raw = os.path.join(tmp, f"s{i}.wav")
        run("espeak-ng", "-v", sp.get("voice", "en"), "-s", str(sp.get("speed", 160)), "-w", raw, turn["text"])
        if sp.get("gain_db"):
            adj = os.path.join(tmp, f"g{i}.wav")
            run("sox", raw, adj, "gain", str(sp["gain_db"]))
            raw = adj
        chunk = pcm_of(raw) + silence(a.gap)
        dur = len(chunk) / 2 / RATE
        mix += chunk
        for name, tr in tracks.items():
            tr += chunk if name == who else silence(dur)
        truth.append({"kind": "speech", "speaker": who, "text": turn["text"], "topic": turn.get("topic"),
                      "start": round(t, 3), "end": round(t + dur - a.gap, 3)})
        t += dur

    def write(pcm, path):
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(bytes(pcm))

    base = os.path.join(tmp, "mix.wav")
    write(mix, base)
    chain = ["-r", str(a.sample_rate), "-c", "2" if a.stereo else "1"]
    shaped = os.path.join(tmp, "shaped.wav")
    if a.noise_db is not None:
        noise = os.path.join(tmp, "noise.wav")
        run("sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", noise, "synth", f"{t:.3f}", "pinknoise",
            "gain", str(a.noise_db))
        run("sox", "-m", base, noise, *chain, shaped)
    else:
        run("sox", base, *chain, shaped)
    out = f"{a.out_stem}.{a.format}"
    if a.format in ("mp4", "mkv", "mov", "webm"):
        run("ffmpeg", "-y", "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={t:.3f}",
            "-i", shaped, "-shortest", "-c:v", "libx264" if a.format != "webm" else "libvpx-vp9",
            "-pix_fmt", "yuv420p", "-c:a", "aac" if a.format != "webm" else "libopus", out)
    elif a.format == "wav":
        shutil.copy(shaped, out)
    else:
        run("ffmpeg", "-y", "-i", shaped, out)
    if a.multitrack:
        for name, tr in tracks.items():
            p = os.path.join(tmp, f"{name}.raw.wav")
            write(tr, p)
            run("sox", p, "-r", str(a.sample_rate), "-c", "1", f"{a.out_stem}.{name}.wav")
    speech = [x for x in truth if x["kind"] == "speech"]
    bounds = [x["start"] for prev, x in zip(speech, speech[1:]) if x.get("topic") != prev.get("topic")]
    with open(f"{a.out_stem}.truth.json", "w") as f:
        json.dump({"title": spec.get("title"), "language": spec.get("language", "en"), "duration": round(t, 3),
                   "speakers": sorted(speakers), "topic_boundaries": bounds, "turns": truth,
                   "text": " ".join(x["text"] for x in speech)}, f, indent=1)
    shutil.rmtree(tmp)
    if argv is None:
        print(out)
    return out


if __name__ == "__main__":
    main()
