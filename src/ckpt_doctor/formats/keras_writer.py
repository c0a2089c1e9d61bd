"""Writer for Keras 3 ``.weights.h5`` files (needs h5py): each tensor is a dataset at its name's path, e.g.
``layers/dense/vars/0``, so a catalog read from a ``.weights.h5`` file is written back to the same layout.
bfloat16 and float8 values are stored as opaque bytes with a ``dtype`` attribute, as Keras stores them."""

from __future__ import annotations

import os
import re

from ..errors import CheckpointError, UnsupportedError

FORMAT = "keras3-weights"
_VARS = re.compile(r"(^|/)vars/\d+$")
_TAGGED = {"bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e4m3b11fnuz"}


def write(tensors, path: str | os.PathLike) -> list[str]:
    from ._writing import checked_value, tensors_from
    from .keras_h5 import _KERAS3_ROOTS, _h5py

    h5py = _h5py()
    path = os.fspath(path)
    tensors = tensors_from(tensors)
    # a subclassed model's weights sit at its attributes' paths (`encoder/dense/vars/0`), under no common root
    if tensors and not any(t.name.split("/", 1)[0] in _KERAS3_ROOTS for t in tensors) \
            and not all(_VARS.search(t.name) for t in tensors):
        raise UnsupportedError("Keras 3 weights are named by object path (layers/dense/vars/0, optimizer/vars/1): "
                               f"map the names there with rules first (e.g. {tensors[0].name!r})", path=path)
    with h5py.File(path, "w") as f:
        for t in tensors:
            if t.dtype == "string" or t.dtype.startswith("q"):
                raise UnsupportedError(f"dtype {t.dtype} is not written to Keras files", path=path, tensor=t.name)
            if not t.name or t.name.startswith("/") or "//" in t.name:
                raise CheckpointError("not a dataset path", path=path, tensor=t.name)
            if t.name in f:
                raise CheckpointError("name is given twice, or is also a group of other tensors", path=path,
                                      tensor=t.name)
            value = checked_value(t.read(), t, path)
            if t.dtype in _TAGGED:
                ds = f.create_dataset(t.name, data=value.view(f"V{value.dtype.itemsize}"))
                ds.attrs["dtype"] = t.dtype
            else:
                f.create_dataset(t.name, data=value)
        f.require_group("vars")  # the model's own variables: Keras writes the group, empty or not, and reads it
        f.flush()
    return [path]
