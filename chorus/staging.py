"""Staging claimed originals in the bucket, for workers that share no filesystem with the watcher (issue #14).

With ``chorus up --on-workers``, the watcher on the organisers' machine claims a recording as always
(``<data>/claimed/<sha256>/``), then :func:`stage` uploads it, with its sidecar, under the bucket's private
prefix::

    <private_prefix>/staging/<sha256>/manifest.json     names, sizes and hashes
    <private_prefix>/staging/<sha256>/0.wav, 1.flac …   the recording (each file of a track folder)
    <private_prefix>/staging/<sha256>/sidecar.yaml      its sidecar, when it has one

Keys hold a content hash and numbers only, never a file name (a name can be a client's: keys outlive
redactions, DESIGN rule on object keys); the names travel in the private manifest. Nothing under the private
prefix is anonymously readable (``chorus.runtime.check_privacy``).

A worker's ``publish-episode`` run gets the manifest key and :func:`fetch` downloads the recording into its
own ``claimed/<sha256>/``, checks its hash, and marks it as a copy (:data:`MARK`): once the episode is
released the worker drops its copy (``chorus.steps.archive_claimed``), because the original stays on the
organisers' machine. There, ``chorus up``'s reconciler archives the claimed original once the catalog says it
is done and calls :func:`unstage`, which deletes every version of the staged objects.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from chorus.errors import ChorusError
from chorus.settings import Settings
from chorus.sidecar import find_sidecar
from chorus.storage import Bucket
from chorus.watcher import sha256_path

__all__ = ["MARK", "staging_root", "staging_prefix", "manifest_key", "stage", "fetch", "unstage", "is_staged_copy", "sha_of_manifest"]

MARK = ".staged"
"""File in a worker's ``claimed/<sha256>/`` that says its recording is a copy fetched from the bucket."""
_MANIFEST = "manifest.json"
_PRIVATE = "private, no-store"
"""Cache-Control of staged objects: no cache in between may keep a recording."""


def staging_root(settings: Settings) -> str:
    """``<private_prefix>/staging/``: where every staged recording lies.

    >>> staging_root(Settings())
    'private/staging/'
    """
    return f"{settings.publish.private_prefix.strip('/')}/staging/"


def staging_prefix(settings: Settings, sha256: str) -> str:
    """``<private_prefix>/staging/<sha256>/``.

    >>> staging_prefix(Settings(), "ab" * 32)[:26]
    'private/staging/ababababab'
    """
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ChorusError(f"not a content hash: {sha256[:80]!r}")
    return f"{staging_root(settings)}{sha256}/"


def manifest_key(settings: Settings, sha256: str) -> str:
    return staging_prefix(settings, sha256) + _MANIFEST


def sha_of_manifest(settings: Settings, key: str) -> str:
    """The content hash in a manifest key; a ``ChorusError`` for any other key (a run's parameter is input)."""
    prefix = staging_root(settings)
    sha = key.removeprefix(prefix).removesuffix("/" + _MANIFEST)
    if not key.startswith(prefix) or manifest_key(settings, sha) != key:
        raise ChorusError(f"not a staged recording: {key[:200]!r}")
    return sha


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""


def stage(bucket: Bucket, settings: Settings, item: Path, sha256: str) -> str:
    """Upload a claimed recording (a file or a track folder) and its sidecar; return the manifest key.

    Idempotent: objects already there with the same content are not sent again, and the manifest, written
    last, is what a worker waits for.
    """
    item = Path(item)
    prefix = staging_prefix(settings, sha256)
    files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
    entries = []
    for n, path in enumerate(files):
        key = f"{prefix}{n}{_suffix(path)}"
        stored = bucket.put_file(key, path, cache_control=_PRIVATE, ctype="application/octet-stream")
        entries.append({"key": key, "path": path.relative_to(item).as_posix() if item.is_dir() else "",
                        "sha256": stored.sha256, "length": stored.length})
    manifest = {"name": item.name, "folder": item.is_dir(), "sha256": sha256, "files": entries}
    side = find_sidecar(item)
    if side is not None and side.parent != item:  # a sidecar inside a track folder came with the folder
        stored = bucket.put_file(f"{prefix}sidecar{side.suffix.lower()}", side, cache_control=_PRIVATE,
                                 ctype="application/octet-stream")
        manifest["sidecar"] = {"key": stored.key, "name": side.name, "sha256": stored.sha256}
    key = prefix + _MANIFEST
    bucket.put_bytes(key, json.dumps(manifest, indent=1).encode(), ctype="application/json",
                     cache_control=_PRIVATE)
    return key


def _download(bucket: Bucket, key: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.fetching")
    try:
        bucket.client.download_file(bucket.name, key, str(tmp), Config=bucket.transfer)
    except Exception as e:  # noqa: BLE001 - the store's answer, as Chorus's own error (StoreUnavailable for an outage)
        tmp.unlink(missing_ok=True)
        raise bucket._error(e, key) from e  # noqa: SLF001 - the bucket's one translation of boto3's errors
    tmp.replace(target)


def _safe_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise ChorusError(f"the staged manifest names an unsafe file: {name[:200]!r}")
    return name


def fetch(bucket: Bucket, settings: Settings, key: str, claimed_root: Path) -> Path:
    """Download the staged recording of manifest ``key`` into ``claimed_root/<sha256>/<name>`` (and its
    sidecar beside it), check its content hash, and mark the folder as a copy. Returns the recording's path.
    A second call finds the copy already there and returns it."""
    sha = sha_of_manifest(settings, key)
    got = bucket.get_bytes(key)
    if got is None:
        raise ChorusError(f"the staged recording {sha[:12]} is not in the bucket (already archived, or never staged)")
    manifest = json.loads(got[0])
    folder = Path(claimed_root) / sha
    target = folder / _safe_name(manifest["name"])
    if target.exists() and (folder / MARK).exists() and sha256_path(target) == sha:
        return target
    work = folder / f".{sha[:12]}.fetching"
    shutil.rmtree(work, ignore_errors=True)
    for entry in manifest["files"]:
        rel = entry["path"]
        if rel and any(part in ("", ".", "..") for part in rel.split("/")):
            raise ChorusError(f"the staged manifest names an unsafe path: {rel[:200]!r}")
        if not entry["key"].startswith(staging_prefix(settings, sha)):
            raise ChorusError(f"the staged manifest names a key outside its folder: {entry['key'][:200]!r}")
        _download(bucket, entry["key"], work / "item" / rel if rel else work / "item")
    if sha256_path(work / "item") != sha:
        shutil.rmtree(work, ignore_errors=True)
        raise ChorusError(f"the staged recording {sha[:12]} does not match its hash; stage it again")
    side = manifest.get("sidecar")
    if side:
        _download(bucket, side["key"], work / _safe_name(side["name"]))
    (folder / MARK).write_text(f"fetched from s3://{bucket.name}/{key}\n")
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    (work / "item").replace(target)
    if side:
        (work / side["name"]).replace(folder / side["name"])
    shutil.rmtree(work, ignore_errors=True)
    return target


def unstage(bucket: Bucket, settings: Settings, sha256: str) -> int:
    """Delete every version of the staged objects of one recording; returns how many were removed."""
    return bucket.purge_prefix(staging_prefix(settings, sha256))


def is_staged_copy(path: Path) -> bool:
    """True for a recording a worker fetched from the bucket (its ``claimed/<sha256>/`` holds :data:`MARK`)."""
    return (Path(path).parent / MARK).is_file()
