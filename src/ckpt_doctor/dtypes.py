"""Canonical dtype names (numpy-style strings) and the TensorFlow DataType table.

Names are plain strings so that listing a checkpoint never imports numpy; ``to_numpy`` resolves a
name to a numpy dtype only when bytes are actually read.
"""

from __future__ import annotations

from functools import lru_cache

# TensorFlow DataType enum value -> (canonical name, itemsize in bytes; 0 = variable width).
# Quantized types are stored as their plain integer counterparts.
TF_DTYPES: dict[int, tuple[str, int]] = {
    1: ("float32", 4),
    2: ("float64", 8),
    3: ("int32", 4),
    4: ("uint8", 1),
    5: ("int16", 2),
    6: ("int8", 1),
    7: ("string", 0),
    8: ("complex64", 8),
    9: ("int64", 8),
    10: ("bool", 1),
    11: ("qint8", 1),
    12: ("quint8", 1),
    13: ("qint32", 4),
    14: ("bfloat16", 2),
    15: ("qint16", 2),
    16: ("quint16", 2),
    17: ("uint16", 2),
    18: ("complex128", 16),
    19: ("float16", 2),
    20: ("resource", 0),
    21: ("variant", 0),
    22: ("uint32", 4),
    23: ("uint64", 8),
    24: ("float8_e5m2", 1),
    25: ("float8_e4m3fn", 1),
    26: ("float8_e4m3fnuz", 1),
    27: ("float8_e4m3b11fnuz", 1),
    28: ("float8_e5m2fnuz", 1),
    # INT4/UINT4/INT2/UINT2/FLOAT4 (29..33) are deliberately absent: their byte layout in bundles
    # is not verified, and guessing would return garbage. They surface as UnsupportedError.
}

# Bytes per element by canonical name (0: variable width, e.g. strings).
ITEMSIZE: dict[str, int] = {name: size for name, size in TF_DTYPES.values()}

# Names numpy itself knows; the rest come from ml_dtypes.
_QUANTIZED_STORAGE = {"qint8": "int8", "quint8": "uint8", "qint32": "int32", "qint16": "int16", "quint16": "uint16"}
_ML_DTYPES = {"bfloat16", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2fnuz",
              "float8_e8m0fnu"}


@lru_cache(maxsize=None)
def to_numpy(name: str):
    """The numpy dtype that holds values of canonical dtype ``name`` (native byte order)."""
    import numpy as np

    if name in _ML_DTYPES:
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, name))
    if name == "string":
        return np.dtype(object)
    return np.dtype(_QUANTIZED_STORAGE.get(name, name))
