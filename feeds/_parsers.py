"""The parsers' half of ``validate_feed``: the feed as podcastparser and feedparser read it.

Items are independent for both parsers, so the work splits by item: long feeds are cut in two
documents (each with the whole channel) and one helper process parses one of them while this
process parses the other and runs expat over the exact bytes. Items whose exact bytes already
passed in this process are not parsed again (republish).
"""
from __future__ import annotations

import atexit
import copy
import hashlib
import io
import os
import select
import struct
import subprocess
import sys
import threading
from array import array
from collections import OrderedDict
from pathlib import Path
from xml.parsers import expat as pyexpat

import feedparser
import feedparser.encodings
import feedparser.sanitizer
import podcastparser
from lxml import etree

from ._views import views
from .errors import FeedError

_MEMO_MAX = 100_000
_passed: OrderedDict[bytes, None] = OrderedDict()
"""Digests of items (with the root's namespace declarations) that both parsers already read
cleanly in this process: republishing a long feed re-parses only its new or changed items."""
_fp_encoding = feedparser.encodings.convert_to_utf8   # the first two steps of feedparser.parse
_fp_doctype = feedparser.sanitizer.replace_doctype

PARALLEL_MIN = 200
"""Fresh items from which the parsing is split with the helper process (below: one process)."""
SPLIT = "auto"
"""``auto``: split only while a core is idle (:func:`_spare_core`); ``always``; ``never``."""
_HELPER_SHARE = 0.5      # the helper also checks the whole bytes; this process runs the rules
_HELPER_TIMEOUT = 120.0  # seconds for the helper's answer before its part is parsed here
_HELPER_STARTS = 5       # helpers started at most per process (one that keeps dying: parse here)
_helper = None           # the _Helper, started by the first long feed
_starts = 0
_helper_lock = threading.Lock()


def check_whole_bytes(xml: bytes) -> None:
    """The exact bytes through feedparser's encoding sniffing and expat with namespaces (the XML
    parser of feedparser's strict mode and of podcastparser), as both parsers would read them."""
    result: dict = {}
    data = _fp_encoding({}, xml, result)
    if result.get("bozo"):
        raise FeedError(f"feedparser flags the feed: {result.get('bozo_exception')}")
    docs = {xml: "podcastparser"}                 # usually the same bytes: parsed once
    docs.setdefault(_fp_doctype(data)[1], "feedparser")
    for doc, name in docs.items():
        try:
            pyexpat.ParserCreate(None, " ").Parse(doc, True)
        except pyexpat.ExpatError as exc:
            raise FeedError(f"expat ({name}'s XML parser) rejects the feed: {exc}") from None


def parse_views(pp: bytes, fp: bytes, expected: int) -> str | None:
    """Both parsers on one document (its :func:`views`); the first problem as one line, or None.

    Runs in this process or in the helper, so it returns the reason instead of raising.

    >>> parse_views(b"<rss version='2.0'><channel><title>t</title></channel></rss>",
    ...             b"<rss version='2.0'><channel><title>t</title></channel></rss>", 1)
    'podcastparser read 0 items, not 1'
    """
    try:
        n = len(podcastparser.parse("feed.xml", io.BytesIO(pp)).get("episodes", ()))
    except Exception as exc:  # podcastparser raises FeedParseError and SAX errors
        return f"podcastparser rejects the feed: {exc}"
    parsed = feedparser.parse(fp, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo:
        return f"feedparser flags the feed: {parsed.bozo_exception}"
    for name, got in (("podcastparser", n), ("feedparser", len(parsed.entries))):
        if got != expected:
            return f"{name} read {got} items, not {expected}"
    return None


class _Helper:
    """One helper interpreter (``_serve``) reading documents on stdin.

    A plain child process rather than multiprocessing: nothing of the caller's ``__main__`` is
    imported again, nothing is forked beside running threads. It exits when its stdin closes.
    A request is the whole feed and the indices of the items to parse (``!QQ`` lengths, the bytes,
    ``array('I')``); the reply is a length-prefixed UTF-8 reason, empty when everything passed.
    """

    def __init__(self):
        paths = [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        self.proc = subprocess.Popen([sys.executable, "-c", "from feeds._parsers import _serve; _serve()"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ready = False
        self.lock = threading.Lock()
        self.requests = self.answers = 0

    def is_ready(self) -> bool:
        """True once the helper has imported the parsers (non-blocking)."""
        if not self.ready and self.proc.poll() is None:
            if select.select([self.proc.stdout], [], [], 0)[0]:
                self.ready = self.proc.stdout.read(1) == b"R"
        return self.ready and self.proc.poll() is None

    def send(self, xml: bytes, indices: list[int]) -> None:
        """Ask for the whole-bytes check and the parsers' reading of items ``indices`` of ``xml``."""
        self.proc.stdin.write(struct.pack("!QQ", len(xml), len(indices)) + xml + array("I", indices).tobytes())
        self.proc.stdin.flush()
        self.requests += 1

    def receive(self) -> str | None:
        if not select.select([self.proc.stdout], [], [], _HELPER_TIMEOUT)[0]:
            raise OSError("the feed-parsing helper did not answer")
        (size,) = struct.unpack("!Q", _read(self.proc.stdout, 8))
        reason = _read(self.proc.stdout, size).decode() or None
        self.answers += 1
        return reason

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise OSError("the feed-parsing helper stopped")
    return data


def _idle_helper() -> _Helper | None:
    """The helper, when it is up and free; None otherwise (then this process parses everything).

    The first long feed starts it in the background and is parsed here meanwhile, so no
    validation ever waits for it to start. A helper busy with another thread's feed is skipped.
    """
    global _helper, _starts
    if (os.cpu_count() or 1) < 2 or not sys.executable:
        return None
    with _helper_lock:
        if _helper is not None and _helper.proc.poll() is not None:   # it died: start another
            _helper.close()
            _helper = None
        if _helper is None:
            if _starts < _HELPER_STARTS:
                _starts += 1
                try:
                    _helper = _Helper()
                except OSError:
                    pass
            return None
        if not _helper.is_ready() or not _helper.lock.acquire(blocking=False):
            return None
        return _helper


def _split_now() -> bool:
    return SPLIT == "always" or (SPLIT == "auto" and _spare_core())


def _spare_core() -> bool:
    """True when a core is idle right now: no process but this one is runnable, or fewer than
    there are cores. On a busy machine a split only adds work (the helper parses the feed's
    frame again) and competes for the same cores: measured up to 37 % slower than one process.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])     # runnable tasks, this one included
    except (OSError, ValueError, IndexError):
        return True
    return running < (os.cpu_count() or 1)


def warm(items: int) -> None:
    """Start the helper in the background when a feed of ``items`` items is about to be validated
    (``build_feed`` calls it), so that even a process's first long feed can be split."""
    if items >= PARALLEL_MIN and _helper is None:
        helper = _idle_helper()
        if helper is not None:         # already up: _idle_helper took it for us; give it back
            helper.lock.release()


@atexit.register
def _drop_helper() -> None:
    global _helper
    with _helper_lock:
        if _helper is not None:
            _helper.close()
        _helper = None


def _document(root, ch, items: list) -> etree._Element:
    """A new document: the root, a copy of the channel's own children, then ``items`` (moved)."""
    doc = etree.Element(root.tag, root.attrib, nsmap=root.nsmap)
    channel = etree.SubElement(doc, "channel", ch.attrib)
    for child in ch:
        if child.tag != "item":
            channel.append(copy.deepcopy(child))
    for item in items:
        channel.append(item)
    return doc


def _view_pair(doc) -> tuple[bytes, bytes]:
    v = views(doc)
    return v["podcastparser"], v["feedparser"]


def _whole_reason(xml: bytes) -> str | None:
    try:
        check_whole_bytes(xml)
    except FeedError as exc:
        return exc.reason
    return None


def _part_reason(root, ch, items: list) -> str | None:
    return parse_views(*_view_pair(_document(root, ch, items)), len(items))


class ParserRun:
    """The parsers' half of one ``validate_feed``, started before the rules run so the helper's
    part overlaps them: the whole-bytes check and the channel with every item not seen before.

    An item whose exact bytes (in the same namespace context) passed before passes again; only
    new or changed items are parsed. From :data:`PARALLEL_MIN` fresh items on, and once the helper
    process is up, it gets the whole feed and the first part of those items (it checks the whole
    bytes too); this process parses the rest in :meth:`finish`. Always :meth:`close` it.
    """

    def __init__(self, xml: bytes, root, ch, items: list):
        self.xml, self.root, self.ch, self.theirs = xml, root, ch, []
        context = repr(sorted(root.nsmap.items())).encode()
        self.digests = [hashlib.blake2b(context + etree.tostring(i), digest_size=16).digest() for i in items]
        fresh = [n for n, d in enumerate(self.digests) if d not in _passed]
        self.helper = _idle_helper() if len(fresh) >= PARALLEL_MIN and _split_now() else None
        if self.helper is not None:
            cut = int(len(fresh) * _HELPER_SHARE)
            try:
                self.helper.send(xml, fresh[:cut])
                self.theirs, fresh = [items[n] for n in fresh[:cut]], fresh[cut:]
            except OSError:
                self._lose_helper()
        self.mine = [items[n] for n in fresh]

    def finish(self) -> None:
        """Parse this process's part, take the helper's answer, raise the first problem found."""
        reasons = [] if self.theirs else [_whole_reason(self.xml)]
        reasons.append(_part_reason(self.root, self.ch, self.mine))
        if self.theirs:
            reasons.insert(0, self._their_reason())
        reason = next((r for r in reasons if r), None)
        if reason:
            raise FeedError(reason)
        for d in self.digests:
            _passed[d] = None
            _passed.move_to_end(d)
        while len(_passed) > _MEMO_MAX:
            _passed.popitem(last=False)

    def _their_reason(self) -> str | None:
        if self.helper is not None:
            try:
                return self.helper.receive()
            except OSError:            # the helper died or hung: do its part here
                self._lose_helper()
            finally:
                self.close()
        return _whole_reason(self.xml) or _part_reason(self.root, self.ch, self.theirs)

    def close(self) -> None:
        """Give the helper back; an answer not taken yet is read first, so the next request is in step."""
        helper, self.helper = self.helper, None
        if helper is None:
            return
        try:
            if helper.requests > helper.answers:
                helper.receive()
        except OSError:
            _drop_helper()
        finally:
            helper.lock.release()

    def _lose_helper(self) -> None:
        helper, self.helper = self.helper, None
        helper.lock.release()
        _drop_helper()


def _serve() -> None:
    """The helper's loop: answer requests until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b"R")
    stdout.flush()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    while header := stdin.read(16):
        if len(header) != 16:
            return
        xml_len, count = struct.unpack("!QQ", header)
        xml, indices = stdin.read(xml_len), array("I")
        indices.frombytes(stdin.read(count * indices.itemsize))
        reason = _whole_reason(xml)
        if reason is None:
            root = etree.fromstring(xml, parser)
            ch = root.find("channel")
            items = ch.findall("item")
            reason = _part_reason(root, ch, [items[n] for n in indices])
        reason = (reason or "").encode()
        stdout.write(struct.pack("!Q", len(reason)) + reason)
        stdout.flush()
