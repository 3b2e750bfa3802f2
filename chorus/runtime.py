"""Which S3 endpoint to publish to, and the embedded SeaweedFS when none is configured."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import boto3

from chorus.services import SeaweedFS, running_seaweed
from chorus.settings import Settings
from chorus.storage import Bucket, StoreUnavailable

__all__ = ["uses_embedded_s3", "open_bucket", "public_prefixes", "check_privacy"]


def uses_embedded_s3(settings: Settings) -> bool:
    """True unless an S3 endpoint is configured: ``[publish] endpoint_url``, or boto3's own chain
    (``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` / a profile's ``endpoint_url``)."""
    if settings.publish.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
        return False
    try:
        endpoint = boto3.session.Session().client("s3", region_name="us-east-1").meta.endpoint_url
    except Exception:  # a broken profile: fall back to the embedded store, boto3 will complain later
        return True
    return "amazonaws.com" in endpoint


def public_prefixes(settings: Settings) -> list[str]:
    """What anyone may read in the embedded store, as ``"<bucket>/<key prefix>"``: the public prefix, or
    (with none) each configured show's folder. The private prefix is never among them.

    >>> from chorus.settings import PublishSettings
    >>> public_prefixes(Settings(publish=PublishSettings(bucket="pods", prefix="public")))
    ['pods/public']
    >>> public_prefixes(Settings(publish=PublishSettings(bucket="pods")))
    ['pods/community-podcast']
    """
    pub = settings.publish
    if pub.prefix.strip("/"):
        return [f"{pub.bucket}/{pub.prefix.strip('/')}"]
    return [f"{pub.bucket}/{slug}" for slug in settings.shows]


@contextmanager
def open_bucket(settings: Settings, start_embedded: bool = True) -> Iterator[Bucket]:
    """The publishing bucket, created if missing.

    With no endpoint configured it uses the embedded SeaweedFS under ``<data>/s3``: the one a
    running ``chorus up`` serves, or (``start_embedded``) one started for the duration of the block.
    """
    pub = settings.publish
    if not uses_embedded_s3(settings):
        bucket = Bucket(pub.bucket, pub.endpoint_url, pub.public_base_url, pub.region)
        bucket.ensure()
        yield bucket
        return
    store = SeaweedFS(settings.path("s3"), settings.embedded.s3_host, settings.embedded.s3_port,
                      public_prefixes=public_prefixes(settings))
    endpoint = running_seaweed(store.dir)
    started = None
    if endpoint is None:
        if not start_embedded:
            raise StoreUnavailable("the embedded S3 store is not running; start it with `chorus up` and retry",
                                   path=store.dir)
        started = store.start()
        endpoint = store.endpoint_url
    try:
        key, secret = store.credentials()
        bucket = Bucket(pub.bucket, endpoint, pub.public_base_url, pub.region or "us-east-1", key, secret)
        bucket.ensure()
        yield bucket
    finally:
        if started is not None:
            started.stop()


def check_privacy(bucket: Bucket, settings: Settings) -> str:
    """At start: the private prefix must not be readable by anyone (a held episode lives there), and
    redaction must know whether the bucket keeps object versions (it then purges every one of them).

    Returns one line to print. Raises ``StoreError`` when the private prefix is public and a show holds
    episodes for review (``review`` other than ``"after"``): publishing must not start then.
    """
    from chorus.storage import StoreError

    prefix = settings.publish.private_prefix
    holds = [slug for slug, show in settings.shows.items() if show.review != "after"]
    try:
        bucket.check_private(prefix)
        private = f"held episodes under {prefix}/ (not public)"
    except StoreError:
        if holds:
            raise
        private = f"WARNING: {prefix}/ is readable by anyone (no show holds episodes for review)"
    return f"bucket {bucket.name}: versioning {bucket.versioning()}, a redaction purges every version; {private}"
