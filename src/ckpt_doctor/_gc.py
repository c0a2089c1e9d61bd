"""Pausing Python's cyclic garbage collector around bulk object creation.

Opening a 100k-variable checkpoint or aligning two such lists creates hundreds of thousands of small objects in
one go; the collector's generational passes then cost more than the work itself, and find nothing to free.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
