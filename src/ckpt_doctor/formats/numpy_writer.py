"""Writer for NumPy ``.npz`` archives as ``np.savez`` makes them: one stored (uncompressed) ``<name>.npy`` member
per tensor, written with numpy's own ``.npy`` header code. One tensor in memory at a time."""

from __future__ import annotations

import os
import zipfile

from ..errors import CheckpointError, UnsupportedError

FORMAT = "numpy"


def write(tensors, path: str | os.PathLike) -> list[str]:
    import numpy as np

    from ._writing import checked_value, tensors_from

    path = os.fspath(path)
    seen = set()
    with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for t in tensors_from(tensors):
            if t.name in seen:
                raise CheckpointError("two tensors have the same name", path=path, tensor=t.name)
            seen.add(t.name)
            if t.dtype == "string" or t.dtype.startswith(("bfloat16", "float8", "q")):
                raise UnsupportedError(f"dtype {t.dtype} cannot be stored in a .npz without pickle", path=path,
                                       tensor=t.name)
            value = checked_value(t.read(), t, path)
            with zf.open(t.name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(value) if value.ndim else value,
                                          allow_pickle=False)
    return [path]
