"""Running ffmpeg/ffprobe as streaming subprocesses and reading their logs (private)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import MediaError



def require(tool: str, path) -> str:
    exe = shutil.which(tool)
    if not exe:
        raise MediaError(path, f"{tool} is not installed (Debian/Ubuntu: apt-get install ffmpeg)")
    return exe


def run_ffmpeg(args: list[str], path, what: str) -> str:
    """Run ffmpeg with ARGS; return its log (stderr, spooled to disk so a long log costs no memory).

    Raises MediaError naming WHAT with the last meaningful log line when ffmpeg fails.
    """
    exe = require("ffmpeg", path)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-nostats", "-y", *args],
                              stdout=subprocess.DEVNULL, stderr=log)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise MediaError(path, f"{what} failed: {last_error(text)}")
    return text


def last_error(log: str) -> str:
    """The most telling line of an ffmpeg log (generic closing lines skipped).

    >>> last_error("Error while decoding stream #0:0: Invalid data found\\nsize=N/A\\nConversion failed!")
    'the audio data is corrupt (Invalid data found)'
    """
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith(("Press [q]", "Stream mapping", "Output #", "Input #", "size=", "video:", "Conversion failed",
                          "Error closing", "Error writing trailer")) or log.startswith("  "):
            continue
        ln = re.sub(r"^\[[^\]]+\]\s*", "", ln)
        if ln.startswith("Error while decoding"):
            return "the audio data is corrupt (" + ln.split(": ", 1)[-1][:120] + ")"
        return ln[:200]
    return "unknown error"


def ffprobe_json(path: Path) -> tuple[int, dict, str]:
    exe = require("ffprobe", path)
    proc = subprocess.run([exe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                          capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    try:
        data = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        data = {}
    return proc.returncode, data, err


def ebur128_summary(log: str, name: str) -> dict[str, float]:
    """Parse the LAST summary printed by the ebur128 instance NAME (ffmpeg may configure twice).

    >>> log = '''[ebur128@x @ 0x1] Summary:
    ...   Integrated loudness:
    ...     I:         -19.8 LUFS
    ...     Threshold: -30.0 LUFS
    ...   Loudness range:
    ...     LRA:         4.1 LU
    ...   Sample peak:
    ...     Peak:       -0.4 dBFS'''
    >>> ebur128_summary(log, "ebur128@x")
    {'I': -19.8, 'LRA': 4.1, 'Peak': -0.4}
    """
    starts = [m.end() for m in re.finditer(rf"\[{re.escape(name)} @ [^\]]+\] Summary:", log)]
    if not starts:
        return {}
    block = log[starts[-1]:]
    nxt = re.search(r"\n\[", block)
    block = block[: nxt.start()] if nxt else block
    out = {}
    for key in ("I", "LRA", "Peak"):
        m = re.search(rf"\b{key}:\s+(-?[\d.]+|-inf)", block)
        if m:
            out[key] = float(m.group(1))
    return out


def silences(text: str) -> list[tuple[float, float | None]]:
    """Silences in an ``ametadata=mode=print`` file written after ``silencedetect``.

    >>> silences("frame:1 pts:1\\nlavfi.silence_start=0\\nframe:9\\nlavfi.silence_end=3.0\\n"
    ...          "lavfi.silence_duration=3\\nlavfi.silence_start=9.5\\n")
    [(0.0, 3.0), (9.5, None)]
    """
    out: list[tuple[float, float | None]] = []
    for m in re.finditer(r"lavfi\.silence_(start|end)=(-?[\d.e+-]+)", text):
        val = max(0.0, float(m.group(2)))
        if m.group(1) == "start":
            if out and out[-1][1] is None:
                continue
            out.append((val, None))
        elif out and out[-1][1] is None:
            out[-1] = (out[-1][0], val)
    return out


def astats_peak(log: str, name: str) -> float | None:
    found = re.findall(rf"\[{re.escape(name)} @ [^\]]+\] Peak level dB: (-?[\d.]+|-inf)", log)
    return float(found[-1]) if found else None


class Group:
    """ffmpeg processes joined by pipes, run side by side (one per core); logs spooled to disk.

    Use as a context manager: processes still running when the block fails are killed.
    """

    def __init__(self, path, tmp: Path):
        self.path, self.tmp = path, Path(tmp)
        self.procs: list[tuple[subprocess.Popen, str, object]] = []
        self.cpu: dict[str, float] = {}  # CPU seconds (user + system) per process, by what it did
        self.exe = require("ffmpeg", path)

    def start(self, args: list[str], what: str, stdin=None, stdout=subprocess.DEVNULL, pass_fds=()):
        log = open(self.tmp / f"log{len(self.procs)}.txt", "w+b")
        proc = subprocess.Popen([self.exe, "-hide_banner", "-nostdin", "-nostats", "-y", *args], stdin=stdin,
                                stdout=stdout, stderr=log, pass_fds=pass_fds)
        self.procs.append((proc, what, log))
        return proc

    def wait(self) -> list[str]:
        """Wait for all; return their logs in start order, or raise MediaError for the first real failure."""
        logs, failed = [], []
        for proc, what, log in self.procs:
            if proc.returncode is None:
                _, status, ru = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu[what] = self.cpu.get(what, 0.0) + ru.ru_utime + ru.ru_stime
            log.seek(0)
            text = log.read().decode("utf-8", "replace")
            log.close()
            logs.append(text)
            if proc.returncode != 0:
                failed.append((what, text))
        if failed:
            real = [f for f in failed if "broken pipe" not in f[1].lower()] or failed
            what, text = real[0]
            raise MediaError(self.path, f"{what} failed: {last_error(text)}")
        return logs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc, _, log in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if not log.closed:
                log.close()
        return False
