"""Checkpoints in object storage or behind HTTP, opened by URL (any fsspec protocol), read by byte ranges.

What a URL can name: a safetensors file or sharded index (``model.safetensors.index.json``), a TF bundle
(its prefix, ``.index`` or a data shard), a PyTorch DCP directory, or a directory holding one of these (a TF
``checkpoint`` state file is followed). Opening reads only the small files and headers that describe a checkpoint
- a TF ``.index``, the safetensors headers (the shards' heads in one concurrent batch), DCP's ``.metadata`` -
never a data file; tensor bytes are fetched as byte ranges when read.
"""

from __future__ import annotations

import re

from ..catalog import Catalog
from ..errors import CheckpointNotFoundError, UnsupportedError
from . import _io

_DATA_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")
_STATE_PATH = re.compile(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', re.M)


def open_url(url: str, **options) -> Catalog:
    """Open the checkpoint a URL names (see the module docstring); ``options`` as for ``open_checkpoint``."""
    _io.forget()  # sizes and heads learned by an earlier open may be stale
    _io.filesystem(url)  # a missing fsspec backend is named for this URL, not for the first file probed under it
    return _open(url.rstrip("/"), options)


def _open(url: str, options: dict) -> Catalog:
    from . import safetensors, tf_bundle, torch_dcp

    if _io.basename(url) == torch_dcp.METADATA_NAME or torch_dcp.is_dcp(url):
        return torch_dcp.read(url, **options)
    if options:
        raise TypeError(f"open_checkpoint() options {sorted(options)} do not apply to this checkpoint")
    if url.endswith(".index"):
        return tf_bundle.read(url[:-len(".index")])
    if _DATA_SHARD.search(url):
        return tf_bundle.read(_DATA_SHARD.sub("", url))
    if url.endswith((".safetensors", ".json")):
        return safetensors.read(url)
    if _io.isfile(url + ".index"):
        return tf_bundle.read(url)
    if _io.isdir(url):
        return _open(_in_directory(url), options)
    raise CheckpointNotFoundError("no checkpoint at this URL (over URLs this version reads safetensors files and "
                                  "indexes, TF bundles and PyTorch DCP directories)", path=url)


def _in_directory(url: str) -> str:
    """The checkpoint a remote directory holds: a safetensors index, the TF state file's latest, or one file."""
    from .safetensors import INDEX_NAME

    names = set(_io.listdir(url))
    if INDEX_NAME in names:
        return _io.join(url, INDEX_NAME)
    if "checkpoint" in names:
        text = bytes(_io.read_range(_io.join(url, "checkpoint"), 0, min(_io.getsize(_io.join(url, "checkpoint")),
                                                                        1 << 20))).decode("utf-8", "replace")
        found = _STATE_PATH.search(text)
        if found:
            prefix = found.group(1).rsplit("/", 1)[-1]  # the state file may hold the writer's absolute path
            if prefix + ".index" in names:
                return _io.join(url, prefix)
    candidates = sorted(n[:-len(".index")] for n in names if n.endswith(".index")) or \
        sorted(n for n in names if n.endswith(".safetensors"))
    if len(candidates) == 1:
        return _io.join(url, candidates[0])
    if not candidates:
        raise CheckpointNotFoundError("no checkpoint in this directory", path=url)
    raise UnsupportedError("this directory holds several checkpoints; name one: " + ", ".join(candidates[:10]),
                           path=url)
