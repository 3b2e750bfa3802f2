"""matplotlib for the benchmarks: the ``bench`` extra (``pip install -e '.[bench]'``), headless."""
from __future__ import annotations

import sys


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend, or None (with a note) when the extra is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install -e '.[bench]'): no plot written", file=sys.stderr)
        return None
    return plt
