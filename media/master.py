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

import shutil
import subprocess
import tempfile
from pathlib import Path

import soundfile

from . import _extras, _plan
from ._ffmpeg import astats_peak, ebur128_summary, last_error, require, run_ffmpeg, silences
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
        from dataclasses import replace
        o_eff = replace(o, trim_silence=False, shorten_pauses_over=None)
    else:
        o_eff = o
    tmp = Path(tempfile.mkdtemp(prefix=".master-", dir=out_dir))
    try:
        a = _analyse(pr, o_eff, tmp)
        target = o.resolved_target()
        if a["levelled"] <= _SILENT_LUFS or a["input"] <= _SILENT_LUFS:
            raise MediaError(src, f"silence only: no speech or sound above {_SILENT_LUFS:.0f} LUFS")
        spans = _plan.kept_spans(a["silences"], a["duration"], o_eff)
        gain = target - a["levelled"]
        gain += _codec_loss(a["stage"], a["duration"], gain, o, tmp, src)
        ceiling = o.true_peak - _LIMIT_MARGIN_DB
        mode = "linear" if a["peak"] + gain <= ceiling else "limited"
        jingles = _extras.prepare_jingles(o, target, tmp)
        want = dict(o.alternates and {k: outs[k] for k in o.alternates})
        if video:
            want["m4a"] = outs["m4a"]
        meas = _render(a["stage"], spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src)
        miss = target - (meas.get("I") or target)
        if mode == "limited" and abs(miss) > _RETRY_LU:  # the limiter ate loudness: correct the gain once
            gain += miss
            meas = _render(a["stage"], spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src)
        if not meas.get("I") or meas["I"] <= -69.9:
            raise MediaError(src, "encoded audio measured silent; the source may be corrupt")
        duration = soundfile.info(str(outs["speech"])).duration
        vid = poster = None
        if video:
            vid, poster = _extras.web_video(src, outs["m4a"], outs["video"], outs["poster"], pr, o)
            if "m4a" not in o.alternates:
                want.pop("m4a")
                outs["m4a"].unlink(missing_ok=True)
        offset = jingles.get("intro_offset", 0.0)
        timeline = _timeline(a, spans, offset) if pr.tracks else None
        return MasterResult(options=o, mp3=outs["mp3"], speech_wav=outs["speech"], duration=round(duration, 3),
                            input_lufs=round(a["input"], 2), output_lufs=round(meas["I"], 2),
                            output_true_peak=round(meas["TP"], 2), video=vid, poster=poster, timeline=timeline,
                            source=src, target_lufs=target, mode=mode, gain_db=round(gain, 2),
                            levelled_lufs=round(a["levelled"], 2), kept=spans, alternates=want,
                            speakers=[n for n, _ in a.get("tracks", [])])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _analyse(pr: ProbeResult, o: MasterOptions, tmp: Path) -> dict:
    """Pass 1: decode, clean, level, measure; write the float stage WAV."""
    sr, lay = o.sample_rate, _plan.layout(o.channels)
    stage = tmp / "stage.wav"
    sd = f"silencedetect=n={o.silence_threshold_db:g}dB:d=0.5"
    tracks = _extras.track_names(pr, o) if pr.tracks else []
    if tracks:
        args, parts = [], []
        for i, (name, path, offset) in enumerate(tracks):
            args += ["-i", str(path)]
            delay = f",adelay=delays={int(offset * 1000)}:all=1" if offset > 0 else ""
            chain = [f"aresample={sr}", "aformat=sample_fmts=flt:channel_layouts=mono" + delay,
                     f"ebur128@in{i}=framelog=verbose", *_plan.clean_chain(o, level=True),
                     sd, f"ametadata=mode=print:file={tmp / f'sd{i}.txt'}"]
            parts.append(f"[{i}:a:0]{','.join(chain)}[t{i}]")
        mix = "".join(f"[t{i}]" for i in range(len(tracks)))
        parts.append(f"{mix}amix=inputs={len(tracks)}:duration=longest:normalize=0,"
                     f"aformat=sample_fmts=flt:channel_layouts={lay},"
                     f"ebur128@lev=framelog=verbose:peak=sample,{sd},"
                     f"ametadata=mode=print:file={tmp / 'sd.txt'}[out]")
    else:
        args = ["-i", str(pr.path)]
        chain = [f"aresample={sr}", f"aformat=sample_fmts=flt:channel_layouts={lay}", "ebur128@in0=framelog=verbose",
                 *_plan.clean_chain(o, level=True), "ebur128@lev=framelog=verbose:peak=sample", sd,
                 f"ametadata=mode=print:file={tmp / 'sd.txt'}"]
        parts = [f"[0:a:0]{','.join(chain)}[out]"]
    log = run_ffmpeg([*args, "-filter_complex", ";".join(parts), "-map", "[out]", "-c:a", "pcm_f32le",
                      "-rf64", "auto", str(stage)], pr.path, "decoding")
    lev = ebur128_summary(log, "ebur128@lev")
    ins = [_plan.finite(ebur128_summary(log, f"ebur128@in{i}").get("I")) for i in range(max(1, len(tracks)))]
    import math
    power = sum(10 ** (x / 10) for x in ins if x > -70)
    info = soundfile.info(str(stage))
    if info.duration < 0.9 * pr.duration - 1.0:
        raise MediaError(pr.path, f"truncated or corrupt: only {info.duration:.1f} s of "
                                  f"{pr.duration:.1f} s could be decoded")
    result = {"stage": stage, "duration": info.duration, "levelled": _plan.finite(lev.get("I")),
              "peak": _plan.finite(lev.get("Peak"), 0.0), "input": 10 * math.log10(power) if power else -70.0,
              "silences": silences((tmp / "sd.txt").read_text()), "tracks": [(n, p) for n, p, _ in tracks]}
    if tracks:
        result["track_silences"] = [silences((tmp / f"sd{i}.txt").read_text()) for i in range(len(tracks))]
    return result


def _render(stage, spans, gain, mode, ceiling, jingles, o, outs, want, tmp, src) -> dict:
    """Pass 2: select spans, gain (+limit), jingles, encode; measure the MP3 as it is written."""
    sr, lay = o.sample_rate, _plan.layout(o.channels)
    chain = ["asetnsamples=n=441", _plan.select_expr(spans), "asetpts=N/SR/TB", f"volume={gain:.3f}dB:precision=float"]
    if mode == "limited":
        lim = 10 ** (ceiling / 20)
        chain.append(f"alimiter=limit={lim:.5f}:attack=5:release=50:level=false")
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
    cmd = [*args, "-filter_complex", ";".join(parts),
           "-map", "[so]", "-c:a", "pcm_s16le", str(outs["speech"])]
    if "m4a" in want:
        cmd += ["-map", "[m4a]", "-c:a", "aac", "-b:a", f"{br + 32}k", "-movflags", "+faststart", str(outs["m4a"])]
    if "opus" in want:
        cmd += ["-map", "[opus]", "-c:a", "libopus", "-b:a", f"{max(32, br // 2)}k", "-ar", "48000",
                str(outs["opus"])]
    mp3_path = str(outs["mp3"]).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[")
    cmd += ["-map", "[m]", "-c:a", "libmp3lame", "-b:a", f"{br}k", "-ar", str(sr), "-f", "tee",
            f"[f=mp3]{mp3_path}|[f=mp3:onfail=ignore]pipe:1"]
    return _encode_and_measure(cmd, sr, tmp, src)


def _codec_loss(stage, duration, gain, o, tmp, src) -> float:
    """Loudness the MP3 encoder takes away (LU), measured on up to a minute from the middle."""
    start = max(0.0, duration / 2 - 30.0)
    br = o.resolved_bitrate()
    cmd = ["-ss", f"{start:.2f}", "-t", "60", "-i", str(stage), "-af",
           f"volume={gain:.3f}dB:precision=float,ebur128@pre=framelog=verbose",
           "-c:a", "libmp3lame", "-b:a", f"{br}k", "-f", "mp3", "pipe:1"]
    meas = _encode_and_measure(cmd, o.sample_rate, tmp, src)
    pre = ebur128_summary(meas["log"], "ebur128@pre").get("I")
    if pre is None or meas["I"] is None or pre <= -69 or meas["I"] <= -69:
        return 0.0
    return max(-1.0, min(1.0, pre - meas["I"]))


def _encode_and_measure(cmd, sr, tmp, src) -> dict:
    ff = require("ffmpeg", src)
    meter = [ff, "-hide_banner", "-nostdin", "-nostats", "-f", "mp3", "-i", "pipe:0", "-filter_complex",
             f"[0:a]asplit[a][b];[a]ebur128@out=framelog=verbose[x];"
             f"[b]aresample={sr * 4},astats@tp=measure_perchannel=none:measure_overall=Peak_level[y]",
             "-map", "[x]", "-f", "null", "-", "-map", "[y]", "-f", "null", "-"]
    with open(tmp / "enc.log", "w+b") as elog, open(tmp / "meter.log", "w+b") as mlog:
        enc = subprocess.Popen([ff, "-hide_banner", "-nostdin", "-nostats", "-y", *cmd],
                               stdout=subprocess.PIPE, stderr=elog)
        met = subprocess.Popen(meter, stdin=enc.stdout, stdout=subprocess.DEVNULL, stderr=mlog)
        enc.stdout.close()
        met.wait()
        enc.wait()
        elog.seek(0)
        mlog.seek(0)
        etext, mtext = elog.read().decode("utf-8", "replace"), mlog.read().decode("utf-8", "replace")
    if enc.returncode != 0:
        raise MediaError(src, f"encoding failed: {last_error(etext)}")
    if met.returncode != 0:
        raise MediaError(src, f"measuring the MP3 failed: {last_error(mtext)}")
    out = ebur128_summary(mtext, "ebur128@out")
    return {"I": out.get("I"), "TP": _plan.finite(astats_peak(mtext, "astats@tp"), 0.0), "log": etext}


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
