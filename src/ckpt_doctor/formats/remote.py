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
from ..errors import CheckpointNotFoundError, UnsupportedError, UsageError
from . import _io, _shard_index
from .registry import FORMATS

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
        raise UsageError(f"option(s) {', '.join(sorted(options))} do not apply to this checkpoint (only to a PyTorch "
                         "DCP directory over URLs)", path=url)
    if url.endswith(".index"):
        return tf_bundle.read(url[:-len(".index")])
    if _DATA_SHARD.search(url):
        return tf_bundle.read(_DATA_SHARD.sub("", url))
    if url.endswith(".json") and not url.endswith(".safetensors.index.json") and _io.isfile(url) \
            and _shard_index.is_index(url, _LOCAL_ONLY):
        raise UsageError(f"the index of a sharded PyTorch checkpoint: {_READ_HERE}; {_COPY_DIRECTORY}",
                               path=url)
    if url.endswith((".safetensors", ".json")):
        return safetensors.read(url)
    if _io.isfile(url + ".index"):
        return tf_bundle.read(url)
    if _io.isdir(url):
        return _open(_in_directory(url), options)
    if url.lower().endswith(_LOCAL_ONLY) and _io.isfile(url):
        raise UsageError(f"a {_kind(url)} file: {_READ_HERE}; {_COPY}", path=url)
    raise CheckpointNotFoundError(f"no checkpoint at this URL ({_READ_HERE})", path=url)


_READ_HERE = "over URLs this version reads safetensors files and indexes, TF bundles and PyTorch DCP directories"
_COPY = "copy it to a local disk and name the copy"
_COPY_DIRECTORY = "copy the directory to a local disk and name the copy"
# formats read from local files only (registry suffixes of the readers that need a local file)
_LOCAL_ONLY = tuple(s for f in FORMATS if f.reader in ("torch_pickle", "numpy_npz", "keras_h5") for s in f.suffixes)


def _kind(url: str) -> str:
    lower = url.lower()
    return next(f.display for f in FORMATS if f.suffixes and lower.endswith(f.suffixes))


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
        local = sorted(n for n in names if n.lower().endswith((*_LOCAL_ONLY, ".index.json")))
        if local:
            shown = ", ".join(local[:5]) + (f" and {len(local) - 5} more" if len(local) > 5 else "")
            raise UsageError(f"this directory holds {shown}: {_READ_HERE}; {_COPY_DIRECTORY}",
                                   path=url)
        raise CheckpointNotFoundError("no checkpoint in this directory", path=url)
    raise UnsupportedError("this directory holds several checkpoints; name one: " + ", ".join(candidates[:10]),
                           path=url)
