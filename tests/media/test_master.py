"""master(): loudness, true peak, levelling, clean-up and encodings, measured independently (pyloudnorm,
scipy oversampling, mutagen, ffprobe) on generated speech with known levels."""
from __future__ import annotations

import hashlib
import subprocess

import numpy as np
import pytest
from mutagen.mp3 import MP3, BitrateMode

from media import MasterOptions, MediaError, master

from ._meter import decode, ffprobe, lufs, speaker_lufs, true_peak_db


def _to_out(result):
    """Map a source time to mastered time through the spans master() kept."""
    def f(t):
        acc = 0.0
        for a, b in result.kept:
            if a - 1e-3 <= t <= b + 1e-3:
                return acc + max(0.0, t - a)
            acc += b - a
        return None
    return f


def test_mono_hits_target_loudness_and_true_peak(mastered_mono):
    r, _ = mastered_mono
    x = decode(r.mp3)
    assert r.target_lufs == -19.0
    assert abs(lufs(x) - r.target_lufs) <= 0.5, lufs(x)
    assert true_peak_db(x) <= -1.0
    assert abs(r.output_lufs - lufs(x)) <= 0.3            # what we record is what a meter sees
    assert r.input_lufs < -19.0 and r.mode in ("linear", "limited")
    assert r.to_dict()["options"]["target_lufs"] is None  # the result records its options


def test_quiet_guest_is_levelled(mastered_mono, quiet_guest):
    r, truth = mastered_mono
    before = speaker_lufs(decode(quiet_guest[0]), truth["turns"], lambda t: t)
    after = speaker_lufs(decode(r.mp3), truth["turns"], _to_out(r))
    assert before["Host"] - before["Guest"] > 9.0                 # the fixture really is 10 dB apart
    assert abs(after["Host"] - after["Guest"]) <= 3.0, after


def test_mp3_is_cbr_44k1_mono_96k_and_speech_wav_is_16k(mastered_mono):
    r, _ = mastered_mono
    info = MP3(r.mp3).info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, 1, 96000)
    assert info.bitrate_mode in (BitrateMode.CBR, BitrateMode.UNKNOWN)  # LAME "Info" tag = CBR
    s = ffprobe(r.speech_wav)["streams"][0]
    assert (s["codec_name"], s["sample_rate"], s["channels"]) == ("pcm_s16le", "16000", 1)
    assert abs(float(s["duration"]) - r.duration) < 0.05
    assert abs(info.length - r.duration) < 0.1


def test_edges_trimmed_to_one_second_without_cutting_speech(mastered_mono):
    r, truth = mastered_mono
    speech = [t for t in truth["turns"] if t["kind"] == "speech"]
    to_out = _to_out(r)
    lead = to_out(speech[0]["start"])
    tail = r.duration - to_out(speech[-1]["end"])
    assert truth["turns"][0]["kind"] == "pause" and speech[0]["start"] >= 3.0
    assert 0.5 <= lead <= 1.05, lead
    assert 0.3 <= tail <= 1.4, tail          # 1 s after the last sound (the turn's end is rounded)
    x = decode(r.speech_wav, rate=16000)[:, 0]
    first = np.argmax(np.abs(x) > 10 ** (-40 / 20)) / 16000
    assert first >= 0.5                       # nothing audible was moved to the very start


def test_alternates(mastered_mono):
    r, _ = mastered_mono
    m4a = ffprobe(r.alternates["m4a"])["streams"][0]
    opus = ffprobe(r.alternates["opus"])["streams"][0]
    assert m4a["codec_name"] == "aac" and opus["codec_name"] == "opus"
    for p in r.alternates.values():
        assert abs(lufs(decode(p)) - r.target_lufs) <= 0.7


def test_source_untouched_and_stereo_target(quiet_guest, tmp_path):
    src, _ = quiet_guest
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    r = master(src, tmp_path, MasterOptions(channels=2))
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    info = MP3(r.mp3).info
    assert (info.channels, info.bitrate) == (2, 128000)
    x = decode(r.mp3, channels=2)
    assert abs(lufs(x) - -16.0) <= 0.5 and true_peak_db(x) <= -1.0


def test_unlevelled_hot_recording_uses_the_limiter_and_still_lands(synth, tmp_path):
    src, _ = synth("panel")
    hot = tmp_path / "hot.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-af", "volume=12dB,alimiter=limit=0.99:level=false",
                    "-t", "40", hot], check=True)
    r = master(hot, tmp_path / "out", MasterOptions(level_speech=False, target_lufs=-14.0))
    x = decode(r.mp3)
    assert r.mode == "limited"
    assert abs(lufs(x) - -14.0) <= 0.5 and true_peak_db(x) <= -1.0


def test_phone_audio_and_surround_are_accepted(synth, tmp_path):
    phone, _ = synth("quiet-guest", sample_rate=8000)
    r = master(phone, tmp_path / "phone")
    assert MP3(r.mp3).info.sample_rate == 44100 and abs(lufs(decode(r.mp3)) - -19.0) <= 0.5
    src, _ = synth("quiet-guest")
    six = tmp_path / "six.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-af", "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0",
                    six], check=True)
    r = master(six, tmp_path / "six")
    assert MP3(r.mp3).info.channels == 1 and abs(lufs(decode(r.mp3)) - -19.0) <= 0.5


def test_silence_only_is_refused_and_kept(tmp_path):
    src = tmp_path / "hiss.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=d=8:a=0.0005:c=pink", src], check=True)
    with pytest.raises(MediaError, match="silence only"):
        master(src, tmp_path / "out")
    assert src.stat().st_size > 0
    assert not (tmp_path / "out" / "master.mp3").exists()


def test_noise_in_pauses_is_not_pumped_up_and_long_pauses_shorten(synth, tmp_path):
    src, truth = synth("silence-trap", noise_db=-50)
    r = master(src, tmp_path, MasterOptions(shorten_pauses_over=3.0))
    pause = next(t for t in truth["turns"] if t["kind"] == "pause")
    x_in, x_out = decode(src)[:, 0], decode(r.mp3)[:, 0]

    def rms(x, a, b):
        seg = x[int(a * 44100):int(b * 44100)]
        return 20 * np.log10(np.sqrt(np.mean(seg ** 2)) + 1e-12)
    to_out = _to_out(r)
    a = to_out(pause["start"] + 0.2)
    noise_in = rms(x_in, pause["start"] + 0.2, pause["start"] + 1.2) - lufs(decode(src))
    noise_out = rms(x_out, a, a + 1.0) - lufs(decode(r.mp3))
    assert noise_out <= noise_in + 3.0, (noise_in, noise_out)   # pauses keep their noise level
    assert r.duration < truth["duration"] - 25.0                 # 25 s + 10 s pauses cut to 3 s each
    assert len(r.kept) == 3


def test_bad_output_folder_never_overwrites_source(quiet_guest, tmp_path):
    src = tmp_path / "master.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", quiet_guest[0], "-t", "5", src], check=True)
    before = src.read_bytes()
    with pytest.raises(MediaError, match="overwrite"):
        master(src, tmp_path)
    assert src.read_bytes() == before


def test_corrupt_audio_data_is_a_one_line_error(mastered_mono, tmp_path):
    src = tmp_path / "garbled.mp3"
    src.write_bytes(mastered_mono[0].mp3.read_bytes()[:2000] + bytes(range(256)) * 1200)
    before = src.read_bytes()
    with pytest.raises(MediaError, match="corrupt") as e:
        master(src, tmp_path / "out")
    assert "\n" not in str(e.value) and src.read_bytes() == before
