"""The bucket's private side: object versions, purging every trace of a key, Range reads for the
editor, and the check that the private prefix is not readable by anyone.

These are methods of :class:`chorus.storage.Bucket` (a mixin kept apart so each module stays small);
boto3 stays inside the storage modules. A redaction must leave nothing behind: with versioning on, a
plain DELETE only adds a delete marker and keeps every older body, so :meth:`purge` deletes each
version and marker by its id.
"""
from __future__ import annotations

import logging
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Iterable, Iterator

from botocore.exceptions import BotoCoreError, ClientError

__all__ = ["ObjectVersion", "VERSIONING_STATES"]

_log = logging.getLogger(__name__)

VERSIONING_STATES = ("Enabled", "Suspended", "Off", "Unsupported")
_NOT_SUPPORTED = {"NotImplemented", "501", "XNotImplemented", "MethodNotAllowed", "405"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 << 10
_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


@dataclass(frozen=True)
class ObjectVersion:
    """One stored version (or delete marker) of a key; ``version_id`` is None where the store keeps none."""

    key: str
    version_id: str | None
    is_delete_marker: bool
    is_latest: bool
    size: int


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _single_range(header: str | None) -> str | None:
    """The header when it asks for one byte range (``bytes=a-b``, ``a-``, ``-n``); None otherwise, which
    answers the whole object, as HTTP allows for a Range a server does not support.

    >>> _single_range("bytes=100-199"), _single_range("bytes=-50"), _single_range("bytes=5-")
    ('bytes=100-199', 'bytes=-50', 'bytes=5-')
    >>> _single_range("bytes=0-1,4-5"), _single_range("bytes=-"), _single_range("bytes=9-3"), _single_range(None)
    (None, None, None, None)
    """
    m = _RANGE.match((header or "").strip())
    if not m or m.group(1) == m.group(2) == "" or (m.group(1) and m.group(2) and int(m.group(2)) < int(m.group(1))):
        return None
    return m.group(0)


class _PrivateSide:
    """Mixin of :class:`chorus.storage.Bucket` (``self.client``, ``self.name``, ``self._error``, ``self.url``)."""

    def versioning(self) -> str:
        """The bucket's versioning: ``Enabled``, ``Suspended``, ``Off`` (never turned on) or
        ``Unsupported`` (the store has no versioning API). Check it at start: with versioning on,
        only :meth:`purge` removes an object's older bodies."""
        try:
            status = self.client.get_bucket_versioning(Bucket=self.name).get("Status")
        except ClientError as e:
            if _code(e) in _NOT_SUPPORTED:
                return "Unsupported"
            raise self._error(e, self.name) from e
        except BotoCoreError as e:
            raise self._error(e, self.name) from e
        return status if status in ("Enabled", "Suspended") else "Off"

    def versions(self, prefix: str) -> list[ObjectVersion]:
        """Every version and delete marker under ``prefix`` (paginated ``ListObjectVersions``). A store
        without versions answers with its plain listing (``version_id`` None, each the latest)."""
        out: list[ObjectVersion] = []
        try:
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.name, Prefix=prefix):
                for v in page.get("Versions", []):
                    out.append(ObjectVersion(v["Key"], v.get("VersionId"), False, bool(v.get("IsLatest")),
                                             int(v.get("Size") or 0)))
                for m in page.get("DeleteMarkers", []):
                    out.append(ObjectVersion(m["Key"], m.get("VersionId"), True, bool(m.get("IsLatest")), 0))
        except ClientError as e:
            if _code(e) not in _NOT_SUPPORTED:
                raise self._error(e, prefix) from e
            return [ObjectVersion(k, None, False, True, v["length"]) for k, v in self.listing(prefix).items()]
        except BotoCoreError as e:
            raise self._error(e, prefix) from e
        return out

    def _remove(self, found: list[ObjectVersion]) -> int:
        """Delete exactly these versions (or, without ids, the keys); returns how many went."""
        with_ids = [v for v in found if v.version_id is not None]
        plain = sorted({v.key for v in found if v.version_id is None})
        removed = 0
        for i in range(0, len(with_ids), _BATCH):
            batch = with_ids[i:i + _BATCH]
            try:
                r = self.client.delete_objects(Bucket=self.name, Delete={"Quiet": True, "Objects": [
                    {"Key": v.key, "VersionId": v.version_id} for v in batch]})
            except (ClientError, BotoCoreError) as e:
                raise self._error(e, batch[0].key) from e
            errors = r.get("Errors") or []
            if errors:
                first = errors[0]
                from chorus.storage import StoreError
                raise StoreError(f"the store kept {len(errors)} of {len(batch)} versions it was asked to delete "
                                 f"(S3 {first.get('Code')}: {first.get('Message')}); retry the purge",
                                 path=f"s3://{self.name}/{first.get('Key')}")
            removed += len(batch)
        for key in plain:
            self.delete(key)
            removed += 1
        return removed

    def purge(self, keys: Iterable[str]) -> int:
        """Delete every version and delete marker of each exact key (a plain DELETE where the store keeps
        no versions); returns how many versions and markers were removed. Idempotent: a second call
        finds nothing and returns 0. Other keys, even ones that start with these, are left alone."""
        wanted = list(dict.fromkeys(keys))
        return self._remove([v for key in wanted for v in self.versions(key) if v.key == key])

    def purge_prefix(self, prefix: str) -> int:
        """:meth:`purge` every key under ``prefix`` (an episode's folder); give it a trailing ``/``."""
        if not prefix.strip("/"):
            from chorus.storage import StoreError
            raise StoreError("refusing to purge the whole bucket: give a prefix", path=f"s3://{self.name}/")
        return self._remove(self.versions(prefix))

    def purge_old_versions(self, key: str) -> int:
        """Keep only the current body of a stable key (``feed.xml``, an ``index.html``): delete its older
        versions and every delete marker. A key whose latest version is a delete marker is gone, so all
        of it goes. Returns how many were removed."""
        found = [v for v in self.versions(key) if v.key == key and v.version_id is not None]
        latest = next((v for v in found if v.is_latest), None)
        keep = latest if latest is not None and not latest.is_delete_marker else None
        return self._remove([v for v in found if v is not keep])

    def open_range(self, key: str, range_header: str | None = None) -> tuple[int, dict[str, str], Iterator[bytes]]:
        """Stream an object, or one byte range of it, as an HTTP answer: ``(200 or 206, headers, chunks)``.

        The headers carry ``Content-Length``, ``Content-Type``, ``Accept-Ranges``, ``ETag`` and, for 206,
        ``Content-Range``. The body is read from the store in 64 KiB chunks, never whole; iterate it to
        the end or close it. A range that starts past the end raises :class:`RangeNotSatisfiable` (416,
        with the object's length); a missing object a :class:`StoreError` whose ``code`` is ``NoSuchKey``.
        """
        from chorus.storage import RangeNotSatisfiable
        wanted = _single_range(range_header)
        kwargs = {"Bucket": self.name, "Key": key, **({"Range": wanted} if wanted else {})}
        try:
            r = self.client.get_object(**kwargs)
        except ClientError as e:
            if _code(e) == "InvalidRange" or str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")) == "416":
                length = self.head(key)
                raise RangeNotSatisfiable(f"the range {wanted} lies outside the object "
                                          f"({(length or {}).get('length', '?')} bytes)",
                                          path=f"s3://{self.name}/{key}",
                                          length=(length or {}).get("length")) from e
            raise self._error(e, key) from e
        except BotoCoreError as e:
            raise self._error(e, key) from e
        headers = {"Content-Length": str(r["ContentLength"]), "Accept-Ranges": "bytes",
                   "Content-Type": r.get("ContentType") or "application/octet-stream"}
        if r.get("ETag"):
            headers["ETag"] = r["ETag"]
        status = 200
        if wanted and r.get("ContentRange"):
            status, headers["Content-Range"] = 206, r["ContentRange"]
        return status, headers, self._chunks(r["Body"], key)

    def _chunks(self, body, key: str) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(_CHUNK)
        except (BotoCoreError, OSError) as e:
            raise self._error(e, key) from e
        finally:
            body.close()

    def check_private(self, prefix: str, timeout: float = 10.0) -> None:
        """Raise a one-line :class:`StoreError` when anyone can read objects under the private ``prefix``.

        Writes a tiny probe object there, GETs it through ``public_base_url`` with no credentials (as a
        crawler would), and purges the probe with every version, whatever the answer. A public URL that
        cannot be reached proves nothing either way: that is logged, not raised.
        """
        from chorus.storage import StoreError
        key = f"{prefix.strip('/')}/.chorus-probe-{secrets.token_hex(8)}.txt"
        self.put_bytes(key, b"chorus private-prefix probe\n", ctype="text/plain; charset=utf-8",
                       cache_control="private, no-store")
        try:
            status = _anonymous_status(self.url(key), timeout)
        finally:
            self.purge([key])
        if status is None:
            _log.warning("could not check that %s is private: %s does not answer", prefix, self.public_base_url)
        elif 200 <= status < 300:
            raise StoreError(f"the private prefix {prefix!r} is readable by anyone: an anonymous GET of "
                             f"{self.url(key)} answered {status}; set a bucket policy that allows anonymous reads "
                             "of the public prefix only (docs/privacy.md)", path=f"s3://{self.name}/{prefix}")


def _anonymous_status(url: str, timeout: float) -> int | None:
    """The HTTP status of a credential-less GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-0"}), timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError, ValueError):
        return None
