"""Writer for safetensors files, byte-identical to the ``safetensors`` library's ``save_file`` for the same dict.

The library orders tensors by dtype (its enum order, descending) then by name, writes the header as compact JSON
(``__metadata__`` first) padded with spaces to a multiple of 8 bytes, then the data in that order.
"""

from __future__ import annotations

import json
import math
import os

from ..errors import CheckpointError, UnsupportedError
from .safetensors import DTYPES

FORMAT = "safetensors"
# The library's Dtype enum, in declaration order (sorting is by this order, descending; the FNUZ float8s as
# safetensors 0.8's save_file places them).
_ENUM_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
               "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
_CODE = {canonical: code for code, (canonical, bits) in DTYPES.items() if code in _ENUM_ORDER and bits % 8 == 0}
_RANK = {code: i for i, code in enumerate(_ENUM_ORDER)}


# What ``save_pretrained`` and ``safetensors.torch.save_file`` users write: transformers' ``from_pretrained``
# (4.46) reads ``metadata.get("format")`` and fails on a file without ``__metadata__`` ("'NoneType' object has no
# attribute 'get'"); "pt" says the values are in PyTorch's layout, which is what a file read by name takes.
DEFAULT_METADATA = {"format": "pt"}


def header(tensors, metadata: dict[str, str] | None = None) -> tuple[bytes, list]:
    """(the 8-byte length + padded JSON header, the tensors in file order); ``metadata`` None: DEFAULT_METADATA,
    ``{}``: no ``__metadata__``."""
    metadata = DEFAULT_METADATA if metadata is None else metadata
    for t in tensors:
        if t.dtype not in _CODE:
            raise UnsupportedError(f"dtype {t.dtype} has no safetensors equivalent", tensor=t.name)
    ordered = sorted(tensors, key=lambda t: (-_RANK[_CODE[t.dtype]], t.name))
    doc: dict = {}
    if metadata:
        doc["__metadata__"] = dict(metadata)
    offset = 0
    for t in ordered:
        size = math.prod(t.shape) * _itemsize(t.dtype)
        doc[t.name] = {"dtype": _CODE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw, ordered


def _itemsize(dtype: str) -> int:
    from ..dtypes import to_numpy

    return to_numpy(dtype).itemsize


def write(tensors, path: str | os.PathLike, *, metadata: dict[str, str] | None = None) -> list[str]:
    """Write ``tensors`` (objects with name, dtype, shape, read()) to ``path``; one tensor in memory at a time."""
    from ._writing import contiguous_bytes, tensors_from

    path = os.fspath(path)
    tensors = tensors_from(tensors)
    if len({t.name for t in tensors}) != len(tensors):
        raise CheckpointError("two tensors have the same name", path=path)
    head, ordered = header(tensors, metadata)
    with open(path, "wb") as f:
        f.write(head)
        for t in ordered:
            f.write(contiguous_bytes(t.read(), t, path))
    return [path]
