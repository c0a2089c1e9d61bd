"""The variables' creation order a TF1 ``Saver`` checkpoint's ``.meta`` file records.

A TF1 bundle stores its values sorted by name (their data offsets too): the order the model made them in is lost
from the checkpoint itself. ``Saver.save`` writes the graph beside it (``model.ckpt.meta``, a ``MetaGraphDef``, by
default), and its ``variables`` collection lists every global variable as a ``VariableDef`` in the order the graph
created them: a Keras model's layers as it built them, a ``tf.layers`` or slim model's in its code's order. Read
only when asked (an alignment with no other order), and only that collection: the graph itself is skipped, never
decoded. Fields (tensorflow/core/protobuf/meta_graph.proto, variable.proto): ``MetaGraphDef.collection_def`` = 4
(map<string, CollectionDef>), ``CollectionDef.bytes_list`` = 2, ``BytesList.value`` = 1,
``VariableDef.variable_name`` = 1 (``conv1/kernel:0``), ``.save_slice_info_def`` = 4 whose ``full_name`` = 1 is a
partitioned variable's key.
"""

from __future__ import annotations

import mmap
import os

from ._wire import WireError, spans

_LIMIT = 1 << 31  # a .meta larger than this (a graph with its weights in constants) is not read for an order


def creation_order(prefix: str) -> tuple[dict[str, int] | None, str]:
    """({checkpoint key: rank in the graph's creation order}, "") from ``<prefix>.meta``, or (None, why not): no
    such file, or one that is not a readable ``MetaGraphDef`` with a ``variables`` collection."""
    path = prefix + ".meta"
    try:
        size = os.path.getsize(path)
        if not 0 < size <= _LIMIT:
            return None, f"{os.path.basename(path)} is {'empty' if not size else 'too large to read for an order'}"
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            names = _variables(buf)
    except OSError:
        return None, ""  # (no .meta: the usual case where Saver(write_meta_graph=False) or a TF2 writer made it)
    except (WireError, UnicodeDecodeError, ValueError) as e:
        return None, f"{os.path.basename(path)} is no readable MetaGraphDef ({e})"
    if not names:
        return None, f"{os.path.basename(path)} lists no variables"
    order: dict[str, int] = {}
    for name in names:
        order.setdefault(name, len(order))
    return order, ""


def _variables(buf) -> list[str]:
    out: list[str] = []
    for number, start, end in spans(buf, 0, len(buf)):
        if number != 4:  # (the graph, the saver, signatures: skipped by their lengths)
            continue
        key, value = b"", None
        for n, s, e in spans(buf, start, end):
            if n == 1:
                key = bytes(buf[s:e])
            elif n == 2:
                value = (s, e)
        if key != b"variables" or value is None:
            continue
        for n, s, e in spans(buf, *value):
            if n != 2:  # bytes_list
                continue
            for n2, s2, e2 in spans(buf, s, e):
                if n2 == 1:
                    out.append(_key(buf, s2, e2))
    return out


def _key(buf, start: int, end: int) -> str:
    """The name a Saver stores a VariableDef's value under: a partition's full name, else the variable's."""
    name, full = "", ""
    for n, s, e in spans(buf, start, end):
        if n == 1:
            name = bytes(buf[s:e]).decode()
        elif n == 4:
            for n2, s2, e2 in spans(buf, s, e):
                if n2 == 1:
                    full = bytes(buf[s2:e2]).decode()
    if full:
        return full
    cut = name.rfind(":")
    return name[:cut] if cut > 0 and name[cut + 1:].isdigit() else name
