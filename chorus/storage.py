"""Publishing to an S3-compatible bucket: the only module that knows about boto3.

Path-style addressing and ``when_required`` checksums, so MinIO, R2, B2 and SeaweedFS all work.
Transient errors are retried by botocore's standard retry mode (exponential backoff); large files
go up in multipart by ``s3transfer``. Unchanged objects are not uploaded again: every object
carries its SHA-256 in metadata and a HEAD decides.
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectionError as BotoConnectionError,
                                 NoCredentialsError, PartialCredentialsError)

from chorus.errors import ChorusError
from chorus.storage_private import ObjectVersion, _PrivateSide

__all__ = ["Bucket", "StoredObject", "StoreError", "StoreUnavailable", "RangeNotSatisfiable", "ObjectVersion", "sha256_file", "content_type", "IMMUTABLE", "SHORT", "CORS_RULES",
           "PRECONDITION_FAILED"]

_log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
PRECONDITION_FAILED = "PreconditionFailed"
"""``ChorusError.code`` of a conditional write that lost (someone else wrote the object first)."""
CORS_RULES = [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
               "ExposeHeaders": ["Content-Length", "Content-Range", "Content-Type", "ETag", "Accept-Ranges"],
               "MaxAgeSeconds": 86400}]
"""Any origin may GET transcripts and chapters (Podcasting 2.0 asks for it); nothing else is allowed."""

_UNAVAILABLE_CODES = {"500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown",
                      "RequestTimeout", "RequestTimeTooSkewed"}


class StoreError(ChorusError):
    """The store refused or failed a request (credentials, permissions, a rejected key): a problem of
    the settings or the store, never of the recording, which is kept for ``chorus retry``."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or answers 5xx: a brief outage, never a bad recording.

    Publishing steps retry it with backoff for minutes; after that the recording is kept claimed
    (``waiting``) and tried again, never quarantined.
    """


class RangeNotSatisfiable(StoreError):
    """A byte range that starts past the object's end (HTTP 416); ``length`` is the object's size."""

    def __init__(self, reason: str, path: str | None = None, length: int | None = None):
        super().__init__(reason, path=path)
        self.length = length
        self.code = "InvalidRange"


_TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".opus": "audio/ogg", ".mp4": "video/mp4",
    ".vtt": "text/vtt", ".srt": "application/x-subrip", ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8", ".json": "application/json", ".xml": "application/rss+xml",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".css": "text/css", ".js": "text/javascript",
}


def content_type(path: str | Path) -> str:
    """The Content-Type podcast apps expect for a file name.

    >>> content_type("a/b/1f3e.vtt"), content_type("feed.xml"), content_type("x.srt")
    ('text/vtt', 'application/rss+xml', 'application/x-subrip')
    """
    suffix = Path(str(path)).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _differs(listed: dict[str, dict] | None, key: str, data: bytes) -> bool:
    """True when a listing shows that ``key`` does not hold ``data`` (absent, or another ETag).

    >>> _differs({"a": {"length": 2, "etag": '"' + hashlib.md5(b"hi").hexdigest() + '"'}}, "a", b"hi")
    False
    >>> other, multipart = {"length": 2, "etag": '"' + "0" * 32 + '"'}, {"length": 2, "etag": '"0f-2"'}
    >>> _differs({"a": other}, "a", b"hi"), _differs({}, "a", b"hi"), _differs({"a": multipart}, "a", b"hi")
    (True, True, False)
    """
    if listed is None:
        return False
    have = listed.get(key)
    if have is None:
        return True
    etag = (have.get("etag") or "").strip('"')
    if have.get("length") != len(data):
        return True
    # a multipart or encrypted object's ETag is not an MD5: then only HEAD can tell
    return len(etag) == 32 and etag != hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class StoredObject:
    key: str
    url: str
    length: int
    type: str
    sha256: str
    uploaded: bool
    """False when an identical object was already there (nothing sent)."""


class Bucket(_PrivateSide):
    """One bucket on one S3 endpoint, with the public base URL listeners fetch from.

    Versions, purging and Range reads (``versioning``, ``versions``, ``purge``, ``purge_prefix``,
    ``purge_old_versions``, ``open_range``, ``check_private``) are in :mod:`chorus.storage_private`.
    """

    def __init__(self, name: str, endpoint_url: str | None, public_base_url: str | None = None,
                 region: str | None = None, access_key: str | None = None, secret_key: str | None = None):
        self.name = name
        cfg = Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                     response_checksum_validation="when_required", retries={"mode": "standard", "max_attempts": 6},
                     connect_timeout=10, read_timeout=120)
        session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
        self.client = session.client("s3", endpoint_url=endpoint_url, config=cfg,
                                     region_name=region or session.region_name or "us-east-1")
        self.endpoint_url = self.client.meta.endpoint_url.rstrip("/")
        self.public_base_url = (public_base_url or f"{self.endpoint_url}/{name}").rstrip("/")
        self.transfer = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20)
        self.bytes_sent = 0
        self.cors: bool | None = None
        """After ``ensure()``: True when the bucket CORS rules were set, False when the store has none."""

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{key}"

    def ensure(self, cors: bool = True) -> None:
        """Create the bucket if it does not exist yet, and allow cross-origin GET (``CORS_RULES``).

        A store without bucket CORS (NotImplemented) is tolerated with a logged note: most such stores
        (SeaweedFS's ``-s3.allowedOrigins``, a CDN) answer any origin already.
        """
        self._create()
        if cors:
            self.cors = self._set_cors()

    def _set_cors(self) -> bool:
        try:
            have = self.client.get_bucket_cors(Bucket=self.name).get("CORSRules")
        except ClientError:
            have = None
        except BotoCoreError as e:
            raise self._error(e, self.name) from e
        if have == CORS_RULES:
            return True
        try:
            self.client.put_bucket_cors(Bucket=self.name, CORSConfiguration={"CORSRules": CORS_RULES})
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in ("NotImplemented", "501", "MethodNotAllowed", "XNotImplemented"):
                _log.info("bucket %s: the store does not support bucket CORS (%s); relying on its own "
                          "cross-origin headers", self.name, code)
                return False
            raise self._error(e, self.name) from e
        except BotoCoreError as e:
            raise self._error(e, self.name) from e
        return True

    def _create(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.name)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise self._error(e, self.name) from e
            try:
                self.client.create_bucket(Bucket=self.name)
            except ClientError as e2:
                raise self._error(e2, self.name) from e2
        except BotoCoreError as e:
            raise self._error(e, self.name) from e

    def head(self, key: str) -> dict | None:
        """{'length', 'type', 'etag', 'sha256'} of an object, or None when it does not exist."""
        r = self._read(self.client.head_object, key)
        if r is None:
            return None
        return {"length": r["ContentLength"], "type": r.get("ContentType"), "etag": r.get("ETag"),
                "sha256": (r.get("Metadata") or {}).get("sha256")}

    def put_file(self, key: str, path: Path, cache_control: str = IMMUTABLE, ctype: str | None = None) -> StoredObject:
        """Upload ``path`` to ``key`` unless an identical object is already there."""
        path = Path(path)
        try:
            digest, size, ctype = sha256_file(path), path.stat().st_size, ctype or content_type(path)
        except OSError as e:
            raise ChorusError(f"cannot read the file to upload ({e.strerror or e}); nothing was published, "
                              "the live feed is unchanged", path=path) from e
        have = self.head(key)
        if have and have["sha256"] == digest and have["length"] == size and have["type"] == ctype:
            return StoredObject(key, self.url(key), size, ctype, digest, uploaded=False)
        extra = {"ContentType": ctype, "CacheControl": cache_control, "Metadata": {"sha256": digest}}
        try:
            self.client.upload_file(str(path), self.name, key, ExtraArgs=extra, Config=self.transfer)
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, key) from e
        except S3UploadFailedError as e:  # boto3 wraps the store's answer (a 5xx, a 403) in its own error
            answer = e.__cause__ or e.__context__
            raise self._error(answer if isinstance(answer, (ClientError, BotoCoreError)) else e, key) from e
        except OSError as e:  # the file vanished or became unreadable during the upload
            raise ChorusError(f"cannot read the file to upload ({e.strerror or e}); the live feed is unchanged",
                              path=path) from e
        self.bytes_sent += size
        return StoredObject(key, self.url(key), size, ctype, digest, uploaded=True)

    def put_bytes(self, key: str, data: bytes, ctype: str | None = None, cache_control: str = SHORT,
                  if_match: str | None = None, if_none_match: bool = False,
                  listed: dict[str, dict] | None = None) -> StoredObject:
        """Upload small content (pages, feeds, JSON), skipping identical content; optionally conditional.

        ``listed`` (a :meth:`listing` that covers ``key``) spares the HEAD when it already shows the
        content differs (absent, or an ETag other than the content's MD5, which is what a plain PUT's
        ETag is); a matching ETag is still confirmed by HEAD (SHA-256 and Content-Type).
        """
        digest, ctype = hashlib.sha256(data).hexdigest(), ctype or content_type(key)
        if if_match is None and not if_none_match and not _differs(listed, key, data):
            have = self.head(key)
            if have and have["sha256"] == digest and have["type"] == ctype:
                return StoredObject(key, self.url(key), len(data), ctype, digest, uploaded=False)
        kwargs = {"Bucket": self.name, "Key": key, "Body": data, "ContentType": ctype,
                  "CacheControl": cache_control, "Metadata": {"sha256": digest}}
        if if_match:
            kwargs["IfMatch"] = if_match
        if if_none_match:
            kwargs["IfNoneMatch"] = "*"
        try:
            self.client.put_object(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, key) from e
        self.bytes_sent += len(data)
        return StoredObject(key, self.url(key), len(data), ctype, digest, uploaded=True)

    def get_bytes(self, key: str) -> tuple[bytes, str] | None:
        """(body, etag) of an object, or None when it does not exist."""
        r = self._read(self.client.get_object, key)
        return None if r is None else (r["Body"].read(), r["ETag"])

    def _read(self, call, key: str) -> dict | None:
        """``call(Bucket, Key)``'s response, or None when the object does not exist."""
        try:
            return call(Bucket=self.name, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error(e, key) from e
        except BotoCoreError as e:
            raise self._error(e, key) from e

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.name, Key=key)
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, key) from e

    def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (paginated listing)."""
        return list(self.listing(prefix))

    def listing(self, prefix: str) -> dict[str, dict]:
        """``{key: {'length', 'etag'}}`` of every object under ``prefix``: one ``ListObjectsV2``
        request per 1,000 keys, where a HEAD per object would cost one request each."""
        out: dict[str, dict] = {}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
                for o in page.get("Contents", []):
                    out[o["Key"]] = {"length": o["Size"], "etag": o.get("ETag")}
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, prefix) from e
        return out

    def wait_visible(self, objects: list[StoredObject], timeout: float = 30.0,
                     listed: dict[str, dict] | None = None) -> None:
        """Block until the store answers for every object with its length: the feed may then point at them.

        The first answer is a listing (``listed``, or one :meth:`listing` of the objects' common
        folder): objects it shows with the right length are there. Only the others are asked with
        HEAD, again every half second until ``timeout``.
        """
        deadline = time.monotonic() + timeout
        pending = list(objects)
        if pending and listed is None:
            folder = os.path.commonprefix([o.key for o in pending]).rpartition("/")[0]
            listed = self.listing(folder + "/") if folder else {}
        pending = [o for o in pending if (listed or {}).get(o.key, {}).get("length") != o.length]
        while pending:
            pending = [o for o in pending if (self.head(o.key) or {}).get("length") != o.length]
            if pending and time.monotonic() > deadline:
                raise StoreUnavailable(f"{len(pending)} uploaded objects are not visible yet (first: {pending[0].key}); "
                                  "the live feed was left unchanged; retry the run", path=self.url(pending[0].key))
            if pending:
                time.sleep(0.5)

    def _error(self, e: Exception, key: str) -> ChorusError:
        code, where = None, f"s3://{self.name}/{key}"
        if isinstance(e, (NoCredentialsError, PartialCredentialsError)):
            exc = StoreError(f"no S3 credentials for {self.endpoint_url}: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY (or an AWS profile), then retry", path=where)
        elif isinstance(e, ClientError):
            err = e.response.get("Error", {})
            code = err.get("Code") or None
            status = str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            msg = f"S3 {code or '?'}: {err.get('Message') or e}"
            if code in _UNAVAILABLE_CODES or status.startswith("5"):
                exc = StoreUnavailable(f"the S3 store is unavailable ({msg}); retrying", path=where)
            else:
                exc = StoreError(f"{msg}; check the [publish] settings and the credentials, then retry", path=where)
        elif isinstance(e, BotoConnectionError) or "timeout" in type(e).__name__.lower():
            exc = StoreUnavailable(f"cannot reach the S3 endpoint {self.endpoint_url} ({type(e).__name__}); "
                                   "retrying", path=where)
        else:
            exc = StoreError(f"S3 request failed ({e}); check the [publish] settings, then retry", path=where)
        exc.code = code  # the S3 error code (e.g. PRECONDITION_FAILED), for callers that retry
        return exc
