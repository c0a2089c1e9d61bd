"""Format readers behind one entry point, ``open_checkpoint``, which works out what a path names."""

from __future__ import annotations

import difflib
import glob
import os
import re

from ..catalog import Catalog
from ..errors import CheckpointError, CheckpointNotFoundError, UnsupportedError
from . import discovery, tf_bundle, tf_v1

_DATA_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")
_V1_SHARD = re.compile(r"-\d{5}-of-\d{5}$")


def open_checkpoint(path: str | os.PathLike) -> Catalog:
    """Open a checkpoint for reading: a prefix, an ``.index`` or data file, a V1 file, or a directory (latest).

    Returns a read-only mapping from tensor name to ``TensorInfo``; no tensor bytes are read until
    ``TensorInfo.read()``.

    Example:
        >>> ckpt = open_checkpoint("train_dir")              # doctest: +SKIP
        >>> ckpt["dense/kernel"].shape, ckpt["dense/kernel"].read().mean()  # doctest: +SKIP
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        found = discovery.discover(path)
        if found.latest is None:
            raise CheckpointNotFoundError(_no_checkpoint_in(found), path=path)
        catalog = open_checkpoint(found.latest)
        catalog.notes = tuple(found.notes) + catalog.notes
        return catalog
    if path.endswith(".index") and os.path.isfile(path):
        return tf_bundle.read(path[:-len(".index")])
    if os.path.isfile(path + ".index"):
        return tf_bundle.read(path)
    if _DATA_SHARD.search(path) and os.path.isfile(path):
        prefix = _DATA_SHARD.sub("", path)
        if os.path.isfile(prefix + ".index"):
            catalog = tf_bundle.read(prefix)
            catalog.notes = (f"{os.path.basename(path)} is a data shard; opened its checkpoint {prefix}",) + \
                catalog.notes
            return catalog
        raise CheckpointNotFoundError(f"this is a data shard but its index {prefix}.index is missing: the "
                                      "checkpoint is incomplete", path=path)
    if os.path.isfile(path):
        for module in _other_formats():
            if module.sniff(path):
                return module.read(path)
        if tf_v1.is_v1(path):
            if _V1_SHARD.search(path):
                prefix = _V1_SHARD.sub("", path)
                return tf_v1.read(sorted(glob.glob(glob.escape(prefix) + "-?????-of-?????")), display_path=prefix)
            return tf_v1.read(path)
        raise UnsupportedError("not a checkpoint this version can read (no TF index, bundle or V1 table)", path=path)
    shards = sorted(glob.glob(glob.escape(path) + "-?????-of-?????"))
    if shards and all(tf_v1.is_v1(s) for s in shards):
        return tf_v1.read(shards, display_path=path)
    raise CheckpointNotFoundError(_not_found(path), path=path)


# Non-TensorFlow formats, tried in this order by content sniffing (magic bytes; the suffix is only a hint).
# Each module has ``sniff(path) -> bool`` (cheap: reads a few bytes) and ``read(path) -> Catalog``.
_OTHER_FORMATS: tuple[str, ...] = ()


def _other_formats():
    import importlib

    return [importlib.import_module(f"{__name__}.{name}") for name in _OTHER_FORMATS]


def _no_checkpoint_in(found: discovery.Discovery) -> str:
    msg = "no complete checkpoint in this directory"
    return "; ".join([msg, *found.notes]) if found.notes else msg


def _not_found(path: str) -> str:
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"no such checkpoint (directory {parent} does not exist either)"
    try:
        prefixes = [f.prefix for f in discovery.scan(parent)]
    except (OSError, CheckpointError):
        prefixes = []
    if not prefixes:
        return f"no such checkpoint, and {parent} holds none"
    base = os.path.basename(path)
    close = difflib.get_close_matches(base, [os.path.basename(p) for p in prefixes], n=3, cutoff=0.3)
    nearest = close or sorted(os.path.basename(p) for p in prefixes)[-3:]
    hint = ", ".join(os.path.join(parent, n) for n in nearest)
    return f"no such checkpoint; nearest existing: {hint} (a checkpoint is named by its prefix, without .index)"
