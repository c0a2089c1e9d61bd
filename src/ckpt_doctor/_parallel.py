"""Running per-tensor work on several threads with bounded memory.

Reading a tensor spends most of its time where the GIL is released (file reads, copies out of the page cache,
decompression, CRC-32 of zip members), so threads keep several cores busy. At most ``jobs`` items are in flight:
memory stays near the largest ``jobs`` values, whatever the checkpoint's size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], jobs: int = 1) -> Iterator[R]:
    """``map(fn, items)`` in order, ``jobs`` calls at a time (1: in the calling thread, nothing started)."""
    if jobs <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ckpt-doctor") as pool:
        pending: deque = deque()
        try:
            for item in items:
                if len(pending) >= jobs:
                    yield pending.popleft().result()
                pending.append(pool.submit(fn, item))
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # an error or an abandoned generator: start nothing new
                future.cancel()
