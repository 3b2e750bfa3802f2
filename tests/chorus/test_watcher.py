"""The drop folder with real files, real ffmpeg and real timing: what is picked up, when, and how it is claimed.

Windows are short (about a second) so the tests are quick; each test says what an organiser would do.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chorus.storage import sha256_file
from chorus.watcher import InboxWatcher, Item, WatchOptions, claim_item, sha256_path

QUICK = WatchOptions(stable_seconds=1.0, max_wait_seconds=30.0, poll_seconds=0.5)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """15.8 s recordings made by ffmpeg (noise, so that every format has real packets): name -> path."""
    if not shutil.which("ffmpeg"):
        pytest.fail("missing system program ffmpeg: run scripts/ensure-system-deps.sh", pytrace=False)
    root = tmp_path_factory.mktemp("clips")
    made = {}
    for name, codec in {"a.wav": ["-ar", "16000"], "a.mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
                        "a.m4a": ["-c:a", "aac", "-movflags", "+faststart"], "b.wav": ["-ar", "22050"]}.items():
        made[name] = root / name
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=15.8:a=0.1", "-ac", "1",
                        *codec, str(made[name])], check=True)
    return made


def _collect(watcher: InboxWatcher, seconds: float) -> list[tuple[float, Item]]:
    """Every item ``ready`` hands over within ``seconds``, with the time it was handed over."""
    got, end = [], time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        got += [(time.monotonic(), item) for item in watcher.ready(left)]
    return got


def _write(path: Path, data: bytes, chunks: int, every: float) -> float:
    """Append ``data`` in ``chunks`` pieces, opening and closing the file each time (as a synced drive does)."""
    step = -(-len(data) // chunks)
    for i in range(0, len(data), step):
        with open(path, "ab") as out:
            out.write(data[i:i + step])
        time.sleep(every)
    return time.monotonic() - every


def _in_background(fn, *args) -> threading.Thread:
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def _folder_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


def test_what_is_an_item_and_what_is_ignored(tmp_path, clips):
    inbox = tmp_path / "inbox"
    (inbox / "trainees").mkdir(parents=True)
    (inbox / "zoom").mkdir()
    (inbox / "notes").mkdir()
    (inbox / "notes" / "readme.txt").write_text("not media")
    shutil.copy(clips["a.mp3"], inbox / "a.mp3")
    (inbox / "a.json").write_text("{}")  # a sidecar, not a recording
    shutil.copy(clips["a.wav"], inbox / "trainees" / "b.wav")  # a show's sub-folder
    shutil.copy(clips["a.wav"], inbox / "zoom" / "host.wav")  # a multitrack folder
    shutil.copy(clips["b.wav"], inbox / "zoom" / "guest.wav")
    for name in (".hidden.wav", "c.wav.part", "c.wav.crdownload", "c.wav.tmp", "c.wav.filepart", "~$c.wav",
                 "c.wav.partial", "c.wav.download", ".sb-1a2b-c.wav", ".syncthing.c.wav.tmp", "c.wav~"):
        shutil.copy(clips["a.wav"], inbox / name)
    with InboxWatcher(inbox, ["trainees"], QUICK) as watcher:
        got = _collect(watcher, 4)
        again = watcher.ready(1.5)  # each item once, while it stays in the inbox
    items = {(i.path.relative_to(inbox).as_posix(), i.show, i.sidecar and i.sidecar.name, i.complete) for _, i in got}
    assert items == {("a.mp3", None, "a.json", True), ("trainees/b.wav", "trainees", None, True),
                     ("zoom", None, None, True)}
    assert again == []


def test_a_steady_slow_copy_is_claimed_once_and_whole(tmp_path, clips):
    inbox, data = tmp_path / "inbox", clips["a.wav"].read_bytes()
    inbox.mkdir()
    with InboxWatcher(inbox, [], QUICK) as watcher:
        started = time.monotonic()
        done = {}
        writer = _in_background(lambda: done.setdefault("at", _write(inbox / "slow.wav", data, 12, 0.5)))
        got = _collect(watcher, 9)
        writer.join()
    assert [i.path.name for _, i in got] == ["slow.wav"]
    (at, item), = got
    pickup = at - done["at"]
    print(f"\nslow copy over {done['at'] - started:.1f} s; handed over {pickup:.2f} s after the last write "
          f"(stable_seconds {QUICK.stable_seconds:g})")
    assert QUICK.stable_seconds <= pickup < QUICK.stable_seconds + 1.5
    claimed = claim_item(item, tmp_path / "claimed")
    assert claimed.sha256 == sha256_file(clips["a.wav"]) and claimed.path.read_bytes() == data
    assert not any(inbox.iterdir())


@pytest.mark.parametrize("name", ["a.wav", "a.m4a"])
def test_a_copy_that_stalls_past_the_window_waits_for_the_rest(tmp_path, clips, name):
    inbox, data = tmp_path / "inbox", clips[name].read_bytes()
    inbox.mkdir()
    target = inbox / f"stalled{Path(name).suffix}"
    with InboxWatcher(inbox, [], QUICK) as watcher:
        _write(target, data[: len(data) // 2], 1, 0)
        during = _collect(watcher, 2.5)  # the pause is longer than stable_seconds
        waiting = watcher.pending()
        _write(target, data[len(data) // 2:], 1, 0)
        after = _collect(watcher, 3)
    assert during == []
    assert [i.path for i in waiting] == [target] and "of the 15.8 s its header declares" in waiting[0].reason
    assert [(i.path, i.complete) for _, i in after] == [(target, True)]
    assert claim_item(after[0][1], tmp_path / "claimed").sha256 == sha256_file(clips[name])


def test_a_file_held_open_for_writing_is_not_ready(tmp_path, clips):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(clips["a.wav"], inbox / "open.wav")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'ab'); "
                               "print('open', flush=True); time.sleep(60)", str(inbox / "open.wav")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with InboxWatcher(inbox, [], QUICK) as watcher:
            while_open = _collect(watcher, 2.5)
            waiting = watcher.pending()
            holder.terminate()
            holder.wait()
            closed = _collect(watcher, 2)
    finally:
        holder.kill()
    assert while_open == []
    assert f"still open for writing by pid {holder.pid} (python" in waiting[0].reason
    assert [(i.path.name, i.complete) for _, i in closed] == [("open.wav", True)]


def test_broken_files_are_handed_over_only_after_max_wait(tmp_path, clips):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    options = WatchOptions(stable_seconds=0.5, max_wait_seconds=3.0, poll_seconds=0.5)
    mp3 = clips["a.mp3"].read_bytes()
    (inbox / "truncated.mp3").write_bytes(mp3[: len(mp3) // 2])
    (inbox / "zero.wav").write_bytes(b"")
    (inbox / "text.wav").write_text("this is not audio\n")
    m4a = clips["a.m4a"].read_bytes()
    (inbox / "nomoov.m4a").write_bytes(m4a[len(m4a) // 2:])  # the index (moov) is at the start: cut it off
    with InboxWatcher(inbox, [], options) as watcher:
        start = time.monotonic()
        got = _collect(watcher, 5)
    reasons = {i.path.name: i.reason for _, i in got}
    assert sorted(reasons) == ["nomoov.m4a", "text.wav", "truncated.mp3", "zero.wav"]
    assert all(at - start >= options.max_wait_seconds - 0.2 for at, _ in got)
    assert not any(i.complete for _, i in got)
    assert reasons["truncated.mp3"].startswith("copy never completed: it holds 7.9 s of the 15.8 s its header declares")
    assert "empty file (0 bytes)" in reasons["zero.wav"]
    assert "ffmpeg cannot read it" in reasons["text.wav"] and "ffmpeg cannot read it" in reasons["nomoov.m4a"]


def test_a_part_file_renamed_at_the_end_is_claimed_once_by_its_final_name(tmp_path, clips):
    inbox, data = tmp_path / "inbox", clips["a.wav"].read_bytes()
    inbox.mkdir()
    with InboxWatcher(inbox, [], QUICK) as watcher:
        _in_background(lambda: (_write(inbox / "talk.wav.part", data, 6, 0.4),
                                os.rename(inbox / "talk.wav.part", inbox / "talk.wav")))
        got = _collect(watcher, 6)
    assert [(i.path.name, i.complete) for _, i in got] == [("talk.wav", True)]
    assert claim_item(got[0][1], tmp_path / "claimed").sha256 == sha256_file(clips["a.wav"])


def test_a_folder_waits_for_its_last_track(tmp_path, clips):
    inbox = tmp_path / "inbox"
    (inbox / "panel").mkdir(parents=True)
    options = WatchOptions(stable_seconds=1.5, max_wait_seconds=30.0, poll_seconds=0.5)
    with InboxWatcher(inbox, [], options) as watcher:
        shutil.copy(clips["a.wav"], inbox / "panel" / "host.wav")
        early = _collect(watcher, 1.0)
        shutil.copy(clips["b.wav"], inbox / "panel" / "guest.wav")
        added = time.monotonic()
        got = _collect(watcher, 3)
    assert early == []
    assert [i.path.name for _, i in got] == ["panel"] and got[0][0] - added >= options.stable_seconds
    expected = _folder_hash(inbox / "panel")
    claimed = claim_item(got[0][1], tmp_path / "claimed")
    assert claimed.sha256 == expected == sha256_path(claimed.path)
    assert sorted(p.name for p in claimed.path.iterdir()) == ["guest.wav", "host.wav"]
    assert claimed.path == tmp_path / "claimed" / expected / "panel"


def test_a_sidecar_that_arrives_within_the_window_travels_with_its_recording(tmp_path, clips):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    options = WatchOptions(stable_seconds=1.5, max_wait_seconds=30.0, poll_seconds=0.5)
    with InboxWatcher(inbox, [], options) as watcher:
        shutil.copy(clips["a.wav"], inbox / "ep1.wav")
        early = _collect(watcher, 1.0)
        (inbox / "ep1.yaml").write_text("title: Late but welcome\n")
        got = _collect(watcher, 2.5)
    assert early == []
    assert [(i.path.name, i.sidecar.name) for _, i in got] == [("ep1.wav", "ep1.yaml")]
    claimed = claim_item(got[0][1], tmp_path / "claimed")
    assert claimed.sidecar.read_text() == "title: Late but welcome\n" and claimed.sidecar.parent == claimed.path.parent
    assert not any(inbox.iterdir())


def test_an_exact_duplicate_under_another_name_is_kept_aside(tmp_path, clips):
    inbox, root = tmp_path / "inbox", tmp_path / "claimed"
    inbox.mkdir()
    first = inbox / "monday.wav"
    shutil.copy(clips["a.wav"], first)
    one = claim_item(Item(first, None, None, True, None), root)
    shutil.copy(clips["a.wav"], inbox / "monday-again.wav")
    (inbox / "monday-again.yaml").write_text("title: again\n")
    two = claim_item(Item(inbox / "monday-again.wav", None, inbox / "monday-again.yaml", True, None), root)
    assert (one.duplicate, two.duplicate, two.path, two.sha256) == (False, True, one.path, one.sha256)
    kept = root / one.sha256 / "duplicates"
    assert sorted(p.name for p in kept.iterdir()) == ["monday-again.wav", "monday-again.yaml"]
    assert not any(inbox.iterdir())


def test_files_present_at_start_are_found(tmp_path, clips):
    inbox = tmp_path / "inbox"
    (inbox / "trainees").mkdir(parents=True)
    shutil.copy(clips["a.m4a"], inbox / "trainees" / "old.m4a")
    os.utime(inbox / "trainees" / "old.m4a", (1_600_000_000, 1_600_000_000))
    with InboxWatcher(inbox, ["trainees"], QUICK) as watcher:
        got = _collect(watcher, 2.5)
    assert [(i.path.name, i.show, i.complete) for _, i in got] == [("old.m4a", "trainees", True)]


def test_a_claim_across_filesystems_is_a_verified_copy(tmp_path, clips):
    root = Path("/dev/shm")
    assert root.is_dir() and root.stat().st_dev != tmp_path.stat().st_dev, "Linux's /dev/shm is a second filesystem"
    inbox = tmp_path / "inbox"
    (inbox / "ep").mkdir(parents=True)
    shutil.copy(clips["a.wav"], inbox / "ep" / "host.wav")
    (inbox / "ep" / "episode.yaml").write_text("title: x\n")
    claimed_root = Path(os.environ.get("TMPDIR_SHM", root)) / f"chorus-test-{os.getpid()}"
    try:
        claimed = claim_item(Item(inbox / "ep", None, inbox / "ep" / "episode.yaml", True, None), claimed_root)
        assert claimed.sidecar == claimed.path / "episode.yaml" and claimed.sidecar.is_file()
        assert sha256_path(claimed.path) == claimed.sha256 and not (inbox / "ep").exists()
        assert [p.name for p in claimed.path.parent.iterdir()] == ["ep"]  # no temporary copy left behind
    finally:
        shutil.rmtree(claimed_root, ignore_errors=True)


def test_events_wake_the_watcher_between_rescans(tmp_path, clips):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    slow_polls = WatchOptions(stable_seconds=1.0, max_wait_seconds=30.0, poll_seconds=60.0)
    with InboxWatcher(inbox, [], slow_polls) as watcher:
        assert watcher.ready(0.5) == []  # the scan at start found nothing; the next is a minute away
        shutil.copy(clips["a.wav"], inbox / "new.wav")
        dropped = time.monotonic()
        got = _collect(watcher, 3)
    assert [i.path.name for _, i in got] == ["new.wav"] and got[0][0] - dropped < slow_polls.stable_seconds + 1.5


def test_two_sidecars_hold_the_recording_until_one_is_removed(tmp_path, clips):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(clips["a.wav"], inbox / "ep2.wav")
    (inbox / "ep2.yaml").write_text("title: one\n")
    (inbox / "ep2.json").write_text('{"title": "two"}')
    with InboxWatcher(inbox, [], QUICK) as watcher:
        held = _collect(watcher, 2)
        waiting = watcher.pending()
        (inbox / "ep2.json").unlink()
        got = _collect(watcher, 2.5)
    assert held == [] and "2 sidecars for one recording" in waiting[0].reason
    assert [(i.path.name, i.sidecar.name, i.complete) for _, i in got] == [("ep2.wav", "ep2.yaml", True)]


def test_close_from_another_thread_ends_a_blocked_wait(tmp_path):
    (tmp_path / "inbox").mkdir()
    watcher = InboxWatcher(tmp_path / "inbox", [], QUICK)
    watcher.ready(0.1)
    threading.Timer(0.5, watcher.close).start()
    start = time.monotonic()
    assert watcher.ready(20) == [] and time.monotonic() - start < 2
