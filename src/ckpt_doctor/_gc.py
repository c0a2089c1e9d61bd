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
            # The young generation now holds everything made while paused, mostly the result the caller keeps:
            # re-enabling as is would traverse all of it at the next allocation. Moved to the oldest generation
            # in one step instead (freeze and unfreeze splice the lists; nothing is traversed, nothing is lost:
            # a full collection still sees it), unless the program froze objects itself (left as they are).
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
