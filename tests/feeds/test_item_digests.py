"""Validated feed items are remembered with the show in the catalog, across processes: a later
build checks only new or changed items."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chorus.catalog import Catalog
from feeds import build_feed, validate_feed
from tests.feeds.fixtures import make_episode, make_episodes, make_show

ROOT = Path(__file__).resolve().parents[2]

_FIRST_PROCESS = """
import sys
sys.path.insert(0, {root!r})
from chorus.catalog import Catalog
from feeds import build_feed, validate_feed
from tests.feeds.fixtures import make_episodes, make_show
check = validate_feed(build_feed(make_show(), make_episodes(40)), Catalog({url!r}).feed_item_digests("peer-talk"))
Catalog({url!r}).save_feed_item_digests("peer-talk", check.digests)
print(check.parsed)
"""


def test_digests_saved_by_one_process_spare_the_next_one_the_work(tmp_path):
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    out = subprocess.run([sys.executable, "-c", _FIRST_PROCESS.format(root=str(ROOT), url=url)],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["40"]                                    # first build: every item checked
    catalog = Catalog(url)
    known = catalog.feed_item_digests("peer-talk")
    assert len(known) == 40 and catalog.feed_item_digests("other-show") == {}
    eps = make_episodes(40)
    eps[9] = make_episode(10, title="Episode 10, retitled")          # one changed
    check = validate_feed(build_feed(make_show(), [*eps, make_episode(41)]), known)   # one new
    assert (check.items, check.parsed) == (41, 2)


def test_saving_writes_only_what_changed_and_forgets_what_left_the_feed(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    catalog.save_feed_item_digests("s", {"a": "1" * 64, "b": "2" * 64, "c": "3" * 64})
    catalog.save_feed_item_digests("t", {"a": "9" * 64})
    catalog.save_feed_item_digests("s", {"a": "1" * 64, "b": "4" * 64, "d": "5" * 64})
    assert catalog.feed_item_digests("s") == {"a": "1" * 64, "b": "4" * 64, "d": "5" * 64}
    assert catalog.feed_item_digests("t") == {"a": "9" * 64}
