"""Mastered recordings shared by the media tests (rendered and mastered once per session)."""
from __future__ import annotations

import shutil

import pytest

from media import MasterOptions, master


@pytest.fixture(scope="session")
def quiet_guest(synth):
    """Stereo 48 kHz recording whose guest is 10 dB quieter than the host, with 3 s/4 s silent edges."""
    return synth("quiet-guest", stereo=True, sample_rate=48000)


@pytest.fixture(scope="session")
def mastered_mono(quiet_guest, tmp_path_factory):
    src, truth = quiet_guest
    out = tmp_path_factory.mktemp("mono")
    return master(src, out, MasterOptions(alternates=("m4a", "opus"))), truth


@pytest.fixture(scope="session")
def multitrack(synth, tmp_path_factory):
    """A folder of per-speaker tracks (host and a 10 dB quieter guest) plus a speakers.json sidecar."""
    mix, truth = synth("quiet-guest", multitrack=True)
    folder = tmp_path_factory.mktemp("tracks")
    stem = mix.with_suffix("")
    shutil.copy(f"{stem}.Host.wav", folder / "track-1.wav")
    shutil.copy(f"{stem}.Guest.wav", folder / "track-2.wav")
    (folder / "speakers.json").write_text('{"track-1.wav": "Host", "track-2.wav": {"speaker": "Guest"}}')
    return folder, truth
