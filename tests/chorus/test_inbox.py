"""What `chorus up` picks up from the inbox, and when (only after a copy has finished)."""
import os

from chorus.cli import _inbox_items, _stable
from chorus.settings import load_settings


def test_files_track_folders_and_show_subfolders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[shows.trainees]\ntitle = "Trainees"\n')
    settings = load_settings(cfg)
    inbox = tmp_path / "inbox"
    (inbox / "trainees").mkdir(parents=True)
    (inbox / "zoom").mkdir()
    (inbox / "a.mp3").write_bytes(b"x")
    (inbox / "a.json").write_text("{}")  # a sidecar is not a recording
    (inbox / ".partial.wav").write_bytes(b"x")  # hidden: an upload in progress
    (inbox / "trainees" / "b.wav").write_bytes(b"x")
    (inbox / "zoom" / "host.wav").write_bytes(b"x")
    (inbox / "notes").mkdir()
    (inbox / "notes" / "readme.txt").write_text("not media")
    items = {(p.relative_to(inbox).as_posix(), show) for p, show in _inbox_items(inbox, settings)}
    assert items == {("a.mp3", None), ("trainees/b.wav", "trainees"), ("zoom", None)}


def test_a_growing_file_is_not_stable_until_it_stops(tmp_path):
    f = tmp_path / "rec.wav"
    f.write_bytes(b"x" * 10)
    seen = {}
    assert not _stable(f, seen)  # first sight
    assert _stable(f, seen)  # unchanged since
    with open(f, "ab") as out:
        out.write(b"more")
    os.utime(f, (1, 1))
    assert not _stable(f, seen)
