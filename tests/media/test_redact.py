"""Redaction of published encodings: the words inside each span are gone, everything else is as it was."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from media import MediaError, RedactOptions, redact_audio

from ._meter import atom_order, decode, ffprobe

RATE = 16000  # every check decodes to 16 kHz mono: enough for speech and for a 1 kHz tone
SCRIPT = {"title": "redact", "speakers": {"Host": {"voice": "en-gb"}}, "turns": [
    {"speaker": "Host", "text": "Welcome back to the show. Today we talk about supervision, rest and the long "
                                "winter evenings."},
    {"speaker": "Host", "text": "My client Margaret told me about her difficult week at the bakery on the high street."}]}
# each format as Chorus publishes or keeps it: (suffix, ffmpeg encoding arguments)
FORMATS = {
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "96k", "-metadata", "title=Margaret's week"]),
    "wav16k": (".wav", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]),
    "m4a": (".m4a", ["-ac", "2", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "48k"]),
    "mp4": (".mp4", None),
}
LOSSLESS = {"wav16k"}
# lossy codecs, per 100 ms of speech outside the spans: (least correlation with the source, most level change dB);
# measured on this clip: MP3 0.996 / 0.65 dB, AAC 0.986 / 0.2 dB, Opus 0.89 / 2.7 dB (Opus keeps the spectrum,
# not the waveform, so a second generation differs more)
TOLERANCE = {"mp3": (0.95, 1.0), "m4a": (0.95, 1.0), "mp4": (0.95, 1.0), "opus": (0.8, 3.0)}
SMEAR = 0.06   # seconds next to a span where a lossy codec may still spread the change (pre-echo, one frame)


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def _tone_share(x: np.ndarray) -> float:
    """Share of the energy that lies within 950-1050 Hz."""
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(power[(freqs >= 950) & (freqs <= 1050)].sum() / power.sum())


def _cut(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return x[int(round(a * RATE)):int(round(b * RATE))]


def _speech_start(x: np.ndarray, near: float) -> float:
    """A time at or after NEAR with speech for the 250 ms before it and the 300 ms after (no word gap), so
    that the margin can be checked against speech."""
    t = near
    while t < len(x) / RATE - 1:
        frames = [_cut(x, t - 0.25 + i * 0.025, t - 0.225 + i * 0.025) for i in range(22)]
        if all(_rms_db(f) > -45 for f in frames):
            return round(t, 3)
        t += 0.01
    raise AssertionError(f"no continuous speech after {near} s")


@pytest.fixture(scope="module")
def sources(synth, tmp_path_factory):
    """The same spoken clip in every published format, and the spans to redact (two overlap)."""
    base, _ = synth(SCRIPT)
    root = tmp_path_factory.mktemp("redact-src")
    out = {}
    for name, (suffix, args) in FORMATS.items():
        path = root / f"episode-{name}{suffix}"
        if args is None:  # a small video: test card + the speech, AAC, faststart
            args = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-i", str(base), "-map", "0:v", "-map",
                    "1:a", "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
            cmd = ["ffmpeg", "-v", "error", *args, str(path)]
        else:
            cmd = ["ffmpeg", "-v", "error", "-i", str(base), *args, str(path)]
        subprocess.run(cmd, check=True)
        out[name] = path
    x = decode(base, 1, RATE)[:, 0]
    a, b = _speech_start(x, 2.0), _speech_start(x, 8.0)
    spans = [(a, a + 0.5), (b, b + 0.5), (b + 0.4, b + 0.9)]
    return out, spans


@pytest.fixture(scope="module")
def redacted(sources, tmp_path_factory):
    """Cache: (format, mode) -> (source path, RedactResult)."""
    files, spans = sources
    root = tmp_path_factory.mktemp("redact-out")
    cache = {}

    def get(name: str, mode: str):
        if (name, mode) not in cache:
            src = files[name]
            dst = root / f"{mode}-{src.name}"
            cache[name, mode] = src, redact_audio(src, dst, spans, RedactOptions(mode=mode))
        return cache[name, mode]
    return get


@pytest.mark.parametrize("mode", ["bleep", "silence"])
@pytest.mark.parametrize("name", list(FORMATS))
def test_speech_inside_spans_is_gone(redacted, sources, name, mode):
    src, r = redacted(name, mode)
    spans = sources[1]
    assert r.spans == [(round(spans[0][0] - 0.1, 4), round(spans[0][1] + 0.1, 4)),
                       (round(spans[1][0] - 0.1, 4), round(spans[2][1] + 0.1, 4))]   # margins added, overlap merged
    x, y = decode(src, 1, RATE)[:, 0], decode(r.output, 1, RATE)[:, 0]
    for a, b in r.spans:
        inside, was = _cut(y, a, b), _cut(x, a, b)
        assert _rms_db(was) > -30                                        # there was speech to remove
        if mode == "silence":
            assert _rms_db(inside) < -60, (a, b, _rms_db(inside))
        else:
            assert _tone_share(inside) > 0.95, (a, b, _tone_share(inside))
            assert abs(_corr(inside, was)) < 0.1
            assert -26 < _rms_db(inside) < -20                            # -20 dBFS peak: a comfortable bleep


@pytest.mark.parametrize("mode", ["bleep", "silence"])
@pytest.mark.parametrize("name", list(FORMATS))
def test_audio_outside_spans_is_unchanged(redacted, name, mode):
    src, r = redacted(name, mode)
    x, y = decode(src, 1, RATE)[:, 0], decode(r.output, 1, RATE)[:, 0]
    n = min(len(x), len(y))
    assert abs(len(x) - len(y)) / RATE <= 1152 / 44100                     # duration: within one MP3 frame
    keep = np.ones(n, dtype=bool)
    for a, b in r.spans:
        keep[max(0, int((a - SMEAR) * RATE)):int((b + SMEAR) * RATE)] = False
    if name in LOSSLESS:
        assert np.array_equal(x[:n][keep], y[:n][keep])                  # PCM: sample-exact
        return
    assert _corr(x[:n][keep], y[:n][keep]) > 0.99
    least, most_db = TOLERANCE[name]
    step = int(0.1 * RATE)
    for i in range(0, n - step, step):
        frame = slice(i, i + step)
        if keep[frame].all() and _rms_db(x[frame]) > -40:              # every 100 ms of speech outside
            assert _corr(x[frame], y[frame]) > least, (i / RATE, _corr(x[frame], y[frame]))
            assert abs(_rms_db(y[frame]) - _rms_db(x[frame])) < most_db, i / RATE


@pytest.mark.parametrize("mode", ["bleep", "silence"])
@pytest.mark.parametrize("name", ["wav16k", "mp3"])
def test_margin_starts_100_ms_before_the_span(redacted, sources, name, mode):
    src, r = redacted(name, mode)
    x, y = decode(src, 1, RATE)[:, 0], decode(r.output, 1, RATE)[:, 0]
    for s in (sources[1][0][0], sources[1][1][0]):
        covered, before = _cut(y, s - 0.1, s - 0.06), _cut(y, s - 0.2, s - 0.15)
        if mode == "silence":
            assert _rms_db(covered) < -60
            assert _rms_db(before) > -45
        else:
            assert _tone_share(covered) > 0.9
            assert _tone_share(before) < 0.2
        assert _corr(before, _cut(x, s - 0.2, s - 0.15)) > 0.95          # 150 ms before: still the speech


def test_video_stream_is_copied_untouched(redacted):
    src, r = redacted("mp4", "bleep")

    def video_md5(path) -> str:
        return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "md5",
                               "-"], check=True, capture_output=True, text=True).stdout.strip()
    assert r.video_copied and video_md5(r.output) == video_md5(src)
    order = atom_order(r.output)
    assert order.index("moov") < order.index("mdat")                         # still faststart
    a_src, a_out = ([s for s in ffprobe(p)["streams"] if s["codec_type"] == "audio"][0] for p in (src, r.output))
    assert (a_out["codec_name"], a_out["sample_rate"], a_out["channels"]) == \
           (a_src["codec_name"], a_src["sample_rate"], a_src["channels"])
    assert abs(int(a_out["bit_rate"]) - int(a_src["bit_rate"])) < 16000


@pytest.mark.parametrize("name", ["mp3", "m4a", "opus", "wav16k"])
def test_encoding_kept_and_tags_dropped(redacted, name):
    src, r = redacted(name, "bleep")
    info_src, info = ffprobe(src), ffprobe(r.output)
    a_src, a = info_src["streams"][0], info["streams"][0]
    assert [s["codec_type"] for s in info["streams"]] == ["audio"]
    assert (a["codec_name"], a["sample_rate"], a["channels"]) == (a_src["codec_name"], a_src["sample_rate"],
                                                                  a_src["channels"])
    if name == "mp3":
        assert info_src["format"]["tags"]["title"] == "Margaret's week"
        assert "title" not in info["format"].get("tags", {})                   # words in tags never survive
        assert a["bit_rate"] == a_src["bit_rate"] == "96000"
    assert r.output.suffix == src.suffix and r.duration > 0


def test_no_spans_copies_the_file(sources, tmp_path):
    src = sources[0]["mp3"]
    r = redact_audio(src, tmp_path / "copy.mp3", [])
    assert r.spans == [] and r.codec == "copy"
    assert r.output.read_bytes() == src.read_bytes() and not r.output.samefile(src)


def test_spans_are_clipped_to_the_recording(sources, tmp_path):
    src = sources[0]["wav16k"]
    r = redact_audio(src, tmp_path / "end.wav", [(0.0, 0.05), (11.0, 99.0), (120.0, 130.0)],
                     RedactOptions(mode="silence", margin=0.2))
    duration = float(ffprobe(src)["format"]["duration"])
    assert r.spans == [(0.0, 0.25), (10.8, round(duration, 4))]
    assert _rms_db(_cut(decode(r.output, 1, RATE)[:, 0], 10.8, duration)) < -60


@pytest.mark.parametrize("spans, why", [([(3.0, 2.0)], "ends before it starts"), ([(-1.0, 2.0)], "negative"),
                                        ([(1.0, float("nan"))], "not finite"), ([(1.0,)], "pair")])
def test_bad_spans_are_refused_in_one_line(sources, tmp_path, spans, why):
    with pytest.raises(MediaError, match=why) as e:
        redact_audio(sources[0]["mp3"], tmp_path / "x.mp3", spans)
    assert "\n" not in str(e.value) and str(e.value).startswith("episode-mp3.mp3: ")
    assert list(tmp_path.iterdir()) == []                                   # nothing half-written is left


def test_source_is_never_overwritten(sources, tmp_path):
    src = tmp_path / "ep.mp3"
    src.write_bytes(sources[0]["mp3"].read_bytes())
    before = src.read_bytes()
    for dst in (src, tmp_path / "." / "ep.mp3"):
        with pytest.raises(MediaError, match="overwrite its source"):
            redact_audio(src, dst, [(1.0, 2.0)])
    (tmp_path / "link.mp3").hardlink_to(src)
    with pytest.raises(MediaError, match="overwrite its source"):
        redact_audio(src, tmp_path / "link.mp3", [(1.0, 2.0)])
    assert src.read_bytes() == before


def test_bad_options_and_formats_are_refused(sources, tmp_path):
    src = sources[0]["mp3"]
    with pytest.raises(MediaError, match="unknown redaction mode 'mute'"):
        redact_audio(src, tmp_path / "x.mp3", [(1.0, 2.0)], RedactOptions(mode="mute"))
    with pytest.raises(MediaError, match="margin"):
        redact_audio(src, tmp_path / "x.mp3", [(1.0, 2.0)], RedactOptions(margin=-0.1))
    with pytest.raises(MediaError, match="cannot write .xyz"):
        redact_audio(src, tmp_path / "x.xyz", [(1.0, 2.0)])
    assert list(tmp_path.iterdir()) == []
