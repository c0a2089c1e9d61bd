"""Slices of a partitioned TensorFlow variable (V2 bundles and V1 tables): what a set of them covers.

A TF1 optimizer saves the slot of each part of a partitioned variable under a name of its own (V2:
``scope/w//w/part_0/Adam``, V1: ``scope/w/_0/Adam``), with the full variable's shape and that part's slice only;
``Saver.restore`` reads it slice by slice. Such a set covers part of its shape, without overlap.
"""

from __future__ import annotations

import math

MAX_PARTS = 1 << 16  # such a slot holds at least this share of its shape; fewer is a damaged or hostile claim


def covered(extents_list, shape: tuple[int, ...]) -> int:
    """The elements the slices hold together (overlaps counted twice); extents are (start, length), -1 = to the end."""
    return sum(math.prod(dim - s if n == -1 else n for (s, n), dim in zip(extents, shape, strict=False))
               for extents in extents_list)


def is_partial(extents_list, shape: tuple[int, ...], held: int | None = None) -> bool:
    """Whether the slices can be one part's slot (see the module): fewer elements than the shape, not absurdly
    fewer, none overlapping. ``held``: their covered() count, if known."""
    held = covered(extents_list, shape) if held is None else held
    return 0 < held < math.prod(shape) <= held * MAX_PARTS and not overlap(extents_list, shape)


def overlap(extents_list, shape: tuple[int, ...]) -> bool:
    """Whether two of the slices share an element (boxes compared pairwise, a block of rows at a time)."""
    import numpy as np

    if len(extents_list) < 2:
        return False
    starts = np.array([[s for s, _ in extents] for extents in extents_list], dtype=np.int64).reshape(
        len(extents_list), -1)
    ends = np.array([[s + n if n != -1 else dim for (s, n), dim in zip(extents, shape, strict=False)]
                     for extents in extents_list], dtype=np.int64).reshape(len(extents_list), -1)
    for i in range(0, len(starts), 256):
        hit = np.all((starts[i:i + 256, None] < ends[None]) & (starts[None] < ends[i:i + 256, None]), axis=-1)
        rows = np.arange(i, i + len(hit))
        hit[rows - i, rows] = False  # a slice against itself
        if hit.any():
            return True
    return False


def note(names: list[str]) -> str:
    """The catalog's note for the entries read so."""
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    one = len(names) == 1
    return (f"{len(names)} partitioned entr{'y holds' if one else 'ies hold'} slices of only part of "
            f"{'its' if one else 'their'} shape, as a TF1 optimizer saves the slots of each part of a partitioned "
            f"variable (a Saver restores them part by part): read whole, the elements no slice holds are zeros: "
            f"{shown}")
