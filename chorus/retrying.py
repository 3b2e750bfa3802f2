"""``chorus retry``: take a failed (or parked) input back into the pipeline, reusing its finished steps."""
from __future__ import annotations

import shutil
from pathlib import Path

from chorus.catalog import Catalog, Episode
from chorus.errors import ChorusError
from chorus.settings import Settings
from chorus.sidecar import find_sidecar
from chorus.steps import error_note, sha256_path

__all__ = ["take_back"]


def _episode(catalog: Catalog, episode_id: int) -> tuple[Path, str]:
    with catalog.session() as s:
        ep = s.get(Episode, episode_id)
        if ep is None:
            raise ChorusError(f"there is no episode {episode_id}; `chorus status` lists them")
        if ep.status in ("published", "scheduled"):
            raise ChorusError(f"episode {episode_id} is already {ep.status}; nothing to retry")
        if not ep.source_path or not Path(ep.source_path).exists():
            raise ChorusError(f"the recording of episode {episode_id} is not at {ep.source_path} any more")
        return Path(ep.source_path), ep.show.slug


def take_back(settings: Settings, target: str) -> tuple[Path, str | None]:
    """The recording to run again, and its show (None: the sidecar's or the default).

    ``target`` is an episode id or a path. A recording in ``failed/`` is moved back into
    ``claimed/<sha256>/`` with its sidecar, and its ``.error.txt`` (Chorus's own note) is removed,
    so ``failed/`` only ever holds what still needs a person.
    """
    catalog = Catalog(settings.catalog)
    show = None
    if target.isdigit():
        path, show = _episode(catalog, int(target))
    else:
        path = Path(target).expanduser().resolve()
        if not path.exists():
            raise ChorusError("file does not exist", path=path)
    failed = settings.path("failed")
    if failed in path.parents:
        digest = sha256_path(path)
        home = settings.data_dir.resolve() / "claimed" / digest
        home.mkdir(parents=True, exist_ok=True)
        side = find_sidecar(path)
        note = error_note(path)
        moved = home / path.name
        shutil.move(str(path), str(moved))
        if side is not None and side.exists() and side.parent != moved:
            shutil.move(str(side), str(home / side.name))
        note.unlink(missing_ok=True)
        path = moved
    return path, show
