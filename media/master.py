"""Mastering: analyse + clean + level in one streamed pass, then gain + limit + encode in a second.

Pass 1 decodes the source once (or every track of a multitrack folder), resamples, high-passes,
optionally denoises, levels speech, and writes a float WAV stage file while ebur128 measures its
integrated loudness and silencedetect marks the pauses. Pass 2 reads the stage file, keeps the
wanted spans, applies one linear gain to the target (plus a limiter only when the gain would push
peaks over the ceiling), crossfades the jingles, and encodes the MP3, the 16 kHz speech WAV and the
alternates in the same process; the encoded MP3 is teed into a second ffmpeg that measures it
(loudness, 4x-oversampled true peak) on the other core. Nothing is held in memory.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
import tempfile
from dataclasses import replace
from pathlib import Path

import soundfile

from . import _extras, _plan
from ._ffmpeg import Group, astats_peak, ebur128_summary, run_ffmpeg, silences
from .errors import MediaError
from .options import MasterOptions, MasterResult, Turn
from .probe import ProbeResult, probe

__all__ = ["master"]

_LIMIT_MARGIN_DB = 1.5   # limiter ceiling below the true-peak target (inter-sample peaks, MP3 overshoot)
_RETRY_LU = 0.3         # a limited render further than this from the target is redone with corrected gain
_SILENT_LUFS = -60.0     # integrated loudness at or below this: nothing but silence or hiss


def master(src, out_dir, options: MasterOptions | None = None) -> MasterResult:
    """Master SRC (a file, or a folder of per-speaker tracks) into OUT_DIR; return a :class:`MasterResult`.

    Writes ``master.mp3`` (CBR, 44.1 kHz), ``speech16k.wav`` and, by option, ``master.m4a`` /
    ``master.opus``; inputs with a video stream also give ``video.mp4`` (H.264/AAC, faststart)
    and ``poster.jpg``. The source is only read, never moved or overwritten. Raises
    :class:`MediaError` with a one-line reason for unusable input (including silence only).
    """
    o = options or MasterOptions()
    src = Path(src)
    pr = probe(src)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {"mp3": "master.mp3", "speech": "speech16k.wav", "m4a": "master.m4a", "opus": "master.opus",
             "video": "video.mp4", "poster": "poster.jpg"}
    outs = {k: out_dir / v for k, v in names.items()}
    src_files = {p.resolve() for p in ([src] + pr.tracks)}
    if any(p.resolve() in src_files for p in outs.values()):
        raise MediaError(src, f"output folder {out_dir} would overwrite the source; choose another")
    bad = [a for a in o.alternates if a not in ("m4a", "opus")]
    if bad or o.channels not in (1, 2):
        raise MediaError(src, f"unsupported option: alternates {bad}, channels {o.channels}")
    video = o.video and pr.has_video
    if video:  # keep picture and sound in sync: never cut time out of a video
        o_eff = replace(o, trim_silence=False, shorten_pauses_over=None)
    else:
        o_eff = o
    tmp = Path(tempfile.mkdtemp(prefix=".master-", dir=out_dir))
    try:
        clock = time.perf_counter()
        timings = {}
        a = _analyse(pr, o_eff, tmp)
        timings["analyse"], clock = time.perf_counter() - clock, time.perf_counter()
        target = o.resolved_target()
        if a["levelled"] <= _SILENT_LUFS or a["input"] <= _SILENT_LUFS:
            raise MediaError(src, f"silence only: no speech or sound above {_SILENT_LUFS:.0f} LUFS")
        spans = _plan.kept_spans(a["silences"], a["duration"], o_eff)
        gain = target - a["levelled"]
        ceiling = o.true_peak - _LIMIT_MARGIN_DB
        mode = "linear" if a["peak"] + gain <= ceiling else "limited"
        if mode == "limited":  # the limiter takes loudness away: find the gain that lands on target
            gain = _limited_gain(a["stage"], a["duration"], gain, ceiling, target, tmp, src)
        loss, check_cpu = _codec_loss(a["stage"], a["duration"], gain, mode, ceiling, o, tmp, src)
        gain += loss
        timings["gain_search"], clock = time.perf_counter() - clock, time.perf_counter()
        jingles = _extras.prepare_jingles(o, target, tmp)
        want = dict(o.alternates and {k: outs[k] for k in o.alternates})
        if video:
            want["m4a"] = outs["m4a"]
        meas = _render(a["stage"], spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src)
        miss = target - (meas.get("I") or target)
        if mode == "limited" and abs(miss) > _RETRY_LU:  # the limiter ate loudness: correct the gain once
            gain += miss
            meas = _render(a["stage"], spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src)
        timings["render"], clock = time.perf_counter() - clock, time.perf_counter()
        timings.update({f"cpu pass1 {k}": v for k, v in a["cpu"].items()})
        timings.update({f"cpu pass2 {k}": v for k, v in meas["cpu"].items()})
        timings["cpu check"] = check_cpu
        if not meas.get("I") or meas["I"] <= -69.9:
            raise MediaError(src, "encoded audio measured silent; the source may be corrupt")
        duration = soundfile.info(str(outs["speech"])).duration
        vid = poster = None
        if video:
            vid, poster = _extras.web_video(src, outs["m4a"], outs["video"], outs["poster"], pr, o)
            if "m4a" not in o.alternates:
                want.pop("m4a")
                outs["m4a"].unlink(missing_ok=True)
            timings["video"] = time.perf_counter() - clock
        offset = jingles.get("intro_offset", 0.0)
        timeline = _timeline(a, spans, offset) if pr.tracks else None
        return MasterResult(options=o, mp3=outs["mp3"], speech_wav=outs["speech"], duration=round(duration, 3),
                            input_lufs=round(a["input"], 2), output_lufs=round(meas["I"], 2),
                            output_true_peak=round(meas["TP"], 2), video=vid, poster=poster, timeline=timeline,
                            source=src, target_lufs=target, mode=mode, gain_db=round(gain, 2),
                            levelled_lufs=round(a["levelled"], 2), kept=spans, alternates=want,
                            speakers=[n for n, _ in a.get("tracks", [])],
                            timings={k: round(v, 2) for k, v in timings.items()})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _raw(o: MasterOptions) -> list[str]:
    return ["-f", "f32le", "-ar", str(o.sample_rate), "-ac", str(o.channels)]


def _analyse(pr: ProbeResult, o: MasterOptions, tmp: Path) -> dict:
    """Pass 1: decode, clean, level, write the float stage WAV; meters run beside it on the other core."""
    sr, lay = o.sample_rate, _plan.layout(o.channels)
    stage = tmp / "stage.wav"
    sd = f"silencedetect=n={o.silence_threshold_db:g}dB:d=0.5"
    tracks = _extras.track_names(pr, o) if pr.tracks else []
    fmt = f"aformat=sample_fmts=flt:channel_layouts={lay}"
    if tracks:
        args, parts = [], []
        for i, (name, path, offset) in enumerate(tracks):
            args += ["-i", str(path)]
            delay = f",adelay=delays={int(offset * 1000)}:all=1" if offset > 0 else ""
            chain = [f"aresample={sr}", "aformat=sample_fmts=flt:channel_layouts=mono" + delay,
                     f"ebur128@in{i}=framelog=verbose", *_plan.clean_chain(o, level=True, peak_control=False),
                     sd, f"ametadata=mode=print:file={tmp / f'sd{i}.txt'}"]
            parts.append(f"[{i}:a:0]{','.join(chain)}[t{i}]")
        mix = "".join(f"[t{i}]" for i in range(len(tracks)))
        control = _plan.clean_chain(o, level=True)[-1:] if o.level_speech else []
        parts.append(f"{mix}amix=inputs={len(tracks)}:duration=longest:normalize=0,"
                     + ",".join([fmt, *control, "asplit=2[st][lv]"]))
        raw_meter = None
    else:
        args = ["-i", str(pr.path)]
        parts = [f"[0:a:0]aresample={sr},{fmt},asplit=2[raw][x]",
                 "[x]" + ",".join([*_plan.clean_chain(o, level=True), "asplit=2[st][lv]"])]
        raw_meter = os.pipe()
    out = ["-map", "[st]", "-c:a", "pcm_f32le", "-rf64", "auto", str(stage), "-map", "[lv]", *_raw(o), "pipe:1"]
    with Group(pr.path, tmp) as g:
        fds = ()
        if raw_meter:
            out += ["-map", "[raw]", *_raw(o), f"pipe:{raw_meter[1]}"]
            fds = (raw_meter[1],)
        dec = g.start([*args, "-filter_complex", ";".join(parts), *out], "decoding", stdout=subprocess.PIPE,
                      pass_fds=fds)
        g.start([*_raw(o), "-i", "pipe:0", "-af", f"ebur128@lev=framelog=verbose:peak=sample,{sd},"
                 f"ametadata=mode=print:file={tmp / 'sd.txt'}", "-f", "null", "-"], "measuring", stdin=dec.stdout)
        dec.stdout.close()
        if raw_meter:
            os.close(raw_meter[1])
            g.start([*_raw(o), "-i", "pipe:0", "-af", "ebur128@in0=framelog=verbose", "-f", "null", "-"],
                    "measuring the source", stdin=raw_meter[0])
            os.close(raw_meter[0])
        log = "\n".join(g.wait())
        cpu = dict(g.cpu)
    lev = ebur128_summary(log, "ebur128@lev")
    ins = [_plan.finite(ebur128_summary(log, f"ebur128@in{i}").get("I")) for i in range(max(1, len(tracks)))]
    power = sum(10 ** (x / 10) for x in ins if x > -70)
    try:
        info = soundfile.info(str(stage))
    except (RuntimeError, OSError, soundfile.LibsndfileError):
        raise MediaError(pr.path, "corrupt: no audio could be decoded") from None
    if info.duration < 0.9 * pr.duration - 1.0:
        raise MediaError(pr.path, f"truncated or corrupt: only {info.duration:.1f} s of "
                                  f"{pr.duration:.1f} s could be decoded")
    result = {"stage": stage, "duration": info.duration, "levelled": _plan.finite(lev.get("I")),
              "peak": _plan.finite(lev.get("Peak"), 0.0), "input": 10 * math.log10(power) if power else -70.0,
              "silences": silences((tmp / "sd.txt").read_text()), "tracks": [(n, p) for n, p, _ in tracks],
              "cpu": cpu}
    if tracks:
        result["track_silences"] = [silences((tmp / f"sd{i}.txt").read_text()) for i in range(len(tracks))]
    return result


def _render(stage, spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src) -> dict:
    """Pass 2: select spans, gain (+limit), jingles, side outputs | MP3 encoder | meter, side by side."""
    chain = ["asetnsamples=n=441", _plan.select_expr(spans), "asetpts=N/SR/TB", f"volume={gain:.3f}dB:precision=float"]
    if mode == "limited":
        chain.append(_limiter(ceiling))
    args = ["-i", str(stage)]
    parts = [f"[0:a]{','.join(chain)}[p0]"]
    cur = "p0"
    for k, key in enumerate(("intro", "outro")):
        if key in jingles:
            args += ["-i", str(jingles[key])]
            idx = len(args) // 2 - 1
            pair = f"[{idx}:a][{cur}]" if key == "intro" else f"[{cur}][{idx}:a]"
            parts.append(f"{pair}acrossfade=d={jingles[key + '_fade']:.3f}:c1=tri:c2=tri[j{k}]")
            cur = f"j{k}"
    branches = ["m", "s", *want]
    parts.append(f"[{cur}]asplit={len(branches)}" + "".join(f"[{b}]" for b in branches))
    parts.append("[s]aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono[so]")
    br = o.resolved_bitrate()
    cmd = [*args, "-filter_complex", ";".join(parts), "-map", "[so]", "-c:a", "pcm_s16le", str(outs["speech"])]
    if "m4a" in want:
        cmd += ["-map", "[m4a]", "-c:a", "aac", "-b:a", f"{br + 32}k", "-movflags", "+faststart", str(outs["m4a"])]
    if "opus" in want:
        cmd += ["-map", "[opus]", "-c:a", "libopus", "-b:a", f"{max(32, br // 2)}k", "-ar", "48000",
                str(outs["opus"])]
    cmd += ["-map", "[m]", *_raw(o), "pipe:1"]
    mp3 = str(outs["mp3"]).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[")
    enc = [*_raw(o), "-i", "pipe:0", "-map", "0:a", "-c:a", "libmp3lame", "-b:a", f"{br}k", "-f", "tee",
           f"[f=mp3]{mp3}|[f=mp3:onfail=ignore]pipe:1"]
    return _measured(src, tmp, o, [(cmd, "processing"), (enc, "MP3 encoding")])


def _limiter(ceiling: float) -> str:
    return f"alimiter=limit={10 ** (ceiling / 20):.5f}:attack=5:release=50:level=false"


def _limited_gain(stage, duration, gain, ceiling, target, tmp, src) -> float:
    """Secant search (<= 4 measurements of up to 10 min of the stage) for the gain that, after the
    limiter, measures TARGET."""
    start = max(0.0, duration / 2 - 300.0)
    pts = []
    for _ in range(4):
        log = run_ffmpeg(["-ss", f"{start:.2f}", "-t", "600", "-i", str(stage), "-af",
                          f"volume={gain:.3f}dB:precision=float,{_limiter(ceiling)},ebur128@lim=framelog=verbose",
                          "-f", "null", "-"], src, "limiting")
        got = ebur128_summary(log, "ebur128@lim").get("I", target)
        pts.append((gain, got))
        if abs(got - target) <= 0.1:
            break
        if len(pts) >= 2 and abs(pts[-1][1] - pts[-2][1]) > 0.05:
            (g0, i0), (g1, i1) = pts[-2], pts[-1]
            slope = max(0.2, (i1 - i0) / (g1 - g0))
        else:
            slope = 1.0
        gain += min(12.0, (target - got) / slope)
    return min(pts, key=lambda p: abs(p[1] - target))[0] if abs(pts[-1][1] - target) > 0.1 else gain


def _codec_loss(stage, duration, gain, mode, ceiling, o, tmp, src) -> tuple[float, float]:
    """Loudness the MP3 encoder takes away (LU), measured on up to a minute from the middle; and CPU s."""
    start = max(0.0, duration / 2 - 30.0)
    lim = f",{_limiter(ceiling)}" if mode == "limited" else ""
    cmd = ["-ss", f"{start:.2f}", "-t", "60", "-i", str(stage), "-af",
           f"volume={gain:.3f}dB:precision=float{lim},ebur128@pre=framelog=verbose",
           "-c:a", "libmp3lame", "-b:a", f"{o.resolved_bitrate()}k", "-f", "mp3", "pipe:1"]
    meas = _measured(src, tmp, o, [(cmd, "MP3 encoding")])
    cpu = sum(meas["cpu"].values())
    pre = ebur128_summary(meas["log"], "ebur128@pre").get("I")
    if pre is None or meas["I"] is None or pre <= -69 or meas["I"] <= -69:
        return 0.0, cpu
    return max(-1.0, min(1.0, pre - meas["I"])), cpu


def _measured(src, tmp, o, stages) -> dict:
    """Run STAGES piped into each other, the last one's MP3 into a meter (loudness, 4x true peak)."""
    meter = ["-f", "mp3", "-i", "pipe:0", "-filter_complex",
             f"[0:a]asplit[a][b];[a]ebur128@out=framelog=verbose[x];"
             f"[b]aresample={o.sample_rate * 4},astats@tp=measure_perchannel=none:measure_overall=Peak_level[y]",
             "-map", "[x]", "-f", "null", "-", "-map", "[y]", "-f", "null", "-"]
    with Group(src, tmp) as g:
        prev = None
        for args, what in [*stages, (meter, "measuring the MP3")]:
            proc = g.start(args, what, stdin=prev.stdout if prev else None,
                           stdout=subprocess.PIPE if what != "measuring the MP3" else subprocess.DEVNULL)
            if prev:
                prev.stdout.close()
            prev = proc
        logs = g.wait()
    out = ebur128_summary(logs[-1], "ebur128@out")
    return {"I": out.get("I"), "TP": _plan.finite(astats_peak(logs[-1], "astats@tp"), 0.0), "log": "\n".join(logs),
            "cpu": g.cpu}


def _timeline(a: dict, spans, offset: float) -> list[Turn]:
    """Speech spans of each track (complement of its silences), on the mastered timeline."""
    turns = []
    for (name, _), sil in zip(a["tracks"], a["track_silences"]):
        cur = 0.0
        bounds = []
        for s, e in sil:
            if s > cur:
                bounds.append((cur, s))
            cur = e if e is not None else a["duration"]
        if cur < a["duration"]:
            bounds.append((cur, a["duration"]))
        for s, e in bounds:
            if e - s >= 0.2:
                turns += [Turn(x, y, name) for x, y in _plan.clip_interval(s, e, spans, offset)]
    return sorted(turns, key=lambda t: (t.start, t.speaker))
