"""What every writer consumes: tensors known by name, dtype and shape before their values are read."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import CheckpointError
from . import _crc

_CRC_CHUNK = 1 << 20


class RawBytes(NamedTuple):
    """Where a fixed-width value's stored bytes already are (little-endian, row-major) and their crc32c: a TF
    bundle writer copies them in the kernel instead of reading the value; the read-back check then proves them."""

    path: str
    offset: int
    size: int
    crc: int
    copied: Callable[[], None] | None = None  # called after the copy (progress)


@dataclass(frozen=True)
class Tensor:
    """One tensor to write. ``read()`` returns its value (a numpy array; object arrays of bytes for strings) and is
    called once, when the writer reaches it, so a checkpoint streams through memory one tensor at a time."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    read: Callable[[], object]
    raw: RawBytes | None = None

    @property
    def nbytes(self) -> int:
        from ..dtypes import ITEMSIZE

        return math.prod(self.shape) * ITEMSIZE.get(self.dtype, 0)


def tensors_from(items) -> list[Tensor]:
    """Accept ``Tensor``s, anything with name/dtype/shape/read() (``TensorInfo``), a mapping name -> array or
    name -> ``TensorInfo`` (a ``Catalog``: written under the mapping's names), or (name, array) pairs."""
    if hasattr(items, "items") and not hasattr(items, "read"):
        items = items.items()
    out = []
    for item in items:
        if isinstance(item, Tensor):
            out.append(item)
        elif hasattr(item, "read") and hasattr(item, "name"):
            out.append(Tensor(item.name, item.dtype, tuple(item.shape), item.read, getattr(item, "raw", None)))
        else:
            name, value = item
            if hasattr(value, "read") and hasattr(value, "dtype"):
                out.append(Tensor(name, value.dtype, tuple(value.shape), value.read))
            else:
                value = _array(name, value)
                out.append(Tensor(name, dtype_of(value), tuple(value.shape), _constant(value)))
    return out


def _array(name: str, value):
    """``value`` (an array, a torch tensor, a number, nested lists) as a numpy array, or an error naming it."""
    import sys

    import numpy as np

    from ..dtypes import to_numpy

    dtype = str(getattr(value, "dtype", ""))
    try:
        if dtype.startswith("torch."):  # a state_dict(): parameters may require grad or live on a device
            value = value.detach().cpu()
            if dtype[6:].startswith(("bfloat16", "float8")):  # numpy has no such type: the same bits, as ml_dtypes'
                torch = sys.modules["torch"]
                bits = torch.int16 if value.element_size() == 2 else torch.uint8
                return value.contiguous().view(bits).numpy().view(to_numpy(dtype[6:]))
        return np.asarray(value)
    except (TypeError, ValueError, RuntimeError, KeyError) as e:
        raise CheckpointError(f"value is not an array ({type(value).__name__}, {dtype or 'no dtype'}: {e})",
                              tensor=name) from None


def _constant(value) -> Callable[[], object]:
    return lambda: value


def dtype_of(value) -> str:
    import numpy as np

    arr = np.asarray(value)
    return "string" if arr.dtype.kind in "OSU" else arr.dtype.name


def checked_value(value, t: Tensor, path: str):
    """``value`` as a native-order numpy array, after checking it is what ``t`` declares."""
    import numpy as np

    from ..dtypes import to_numpy

    arr = np.asarray(value)
    if t.dtype == "string":
        if arr.dtype.kind not in "OSU":
            raise CheckpointError(f"value is {arr.dtype}, expected strings", path=path, tensor=t.name)
    elif arr.dtype.newbyteorder("=") != to_numpy(t.dtype):
        raise CheckpointError(f"value is {arr.dtype}, expected {t.dtype}", path=path, tensor=t.name)
    if tuple(arr.shape) != tuple(t.shape):
        raise CheckpointError(f"value has shape {list(arr.shape)}, expected {list(t.shape)}", path=path, tensor=t.name)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def contiguous_bytes(value, t: Tensor, path: str):
    """The row-major bytes of a fixed-width value, as a flat uint8 array (no copy when already contiguous)."""
    import numpy as np

    arr = checked_value(value, t, path)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr.reshape(-1).view(np.uint8)


def array_crc(raw, crc: int = 0) -> int:
    """crc32c of a flat uint8 array (google_crc32c takes only bytes: copied in cache-sized chunks)."""
    for start in range(0, raw.size, _CRC_CHUNK):
        crc = _crc.crc32c(raw[start:start + _CRC_CHUNK].tobytes(), crc)
    return crc


_last: list = [None, 0]  # (weak reference to the last fixed-width array checksummed, its crc): one pass, not two


def checksum(value) -> int:
    """A crc32c of a value's contents, independent of how a format stores it (strings: length, then bytes). For a
    fixed-width array it is the crc32c of its native row-major bytes, which is what a TF bundle entry stores."""
    import weakref

    import numpy as np

    arr = np.asarray(value)
    if _last[0] is not None and _last[0]() is arr:
        return _last[1]
    if arr.dtype.kind in "OSU":
        crc = 0
        for item in arr.reshape(-1):
            b = item.encode("utf-8") if isinstance(item, str) else bytes(item)
            crc = _crc.crc32c(len(b).to_bytes(8, "little") + b, crc)
        return crc
    original = arr
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    crc = array_crc(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
    _last[:] = [weakref.ref(original), crc]
    return crc
