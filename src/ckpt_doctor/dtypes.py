"""Canonical dtype names (numpy-style strings) and how every format spells them: one table for all readers
and writers.

Names are plain strings so that listing a checkpoint never imports numpy; ``to_numpy`` resolves a
name to a numpy dtype only when bytes are actually read.
"""

from __future__ import annotations

from functools import cache

# One row per dtype: every spelling of it that a format uses. Columns: canonical name, bits per element
# (0 = variable width), TensorFlow DataType enum, safetensors, PyTorch (torch.<name>), numpy kind+itemsize
# (``np.dtype.kind + str(itemsize)``, also HDF5's as h5py reports it). None: that format has no such dtype.
# Quantized TF types are stored as their plain integer counterparts. TF's INT4/UINT4/INT2/UINT2/FLOAT4 enums
# (29..33) are deliberately absent: their byte layout in bundles is not verified, and guessing would return garbage.
_TABLE: tuple[tuple[str, int, int | None, str | None, str | None, str | None], ...] = (
    # name                 bits  TF    safetensors    torch                 numpy
    ("float32",             32,  1,    "F32",         "float32",            "f4"),
    ("float64",             64,  2,    "F64",         "float64",            "f8"),
    ("int32",               32,  3,    "I32",         "int32",              "i4"),
    ("uint8",                8,  4,    "U8",          "uint8",              "u1"),
    ("int16",               16,  5,    "I16",         "int16",              "i2"),
    ("int8",                 8,  6,    "I8",          "int8",               "i1"),
    ("string",               0,  7,    None,          None,                 None),
    ("complex64",           64,  8,    "C64",         "complex64",          "c8"),
    ("int64",               64,  9,    "I64",         "int64",              "i8"),
    ("bool",                 8,  10,   "BOOL",        "bool",               "b1"),
    ("qint8",                8,  11,   None,          "qint8",              None),
    ("quint8",               8,  12,   None,          "quint8",             None),
    ("qint32",              32,  13,   None,          "qint32",             None),
    ("bfloat16",            16,  14,   "BF16",        "bfloat16",           None),
    ("qint16",              16,  15,   None,          None,                 None),
    ("quint16",             16,  16,   None,          None,                 None),
    ("uint16",              16,  17,   "U16",         "uint16",             "u2"),
    ("complex128",         128,  18,   None,          "complex128",         "c16"),
    ("float16",             16,  19,   "F16",         "float16",            "f2"),
    ("resource",             0,  20,   None,          None,                 None),
    ("variant",              0,  21,   None,          None,                 None),
    ("uint32",              32,  22,   "U32",         "uint32",             "u4"),
    ("uint64",              64,  23,   "U64",         "uint64",             "u8"),
    ("float8_e5m2",          8,  24,   "F8_E5M2",     "float8_e5m2",        None),
    ("float8_e4m3fn",        8,  25,   "F8_E4M3",     "float8_e4m3fn",      None),
    ("float8_e4m3fnuz",      8,  26,   "F8_E4M3FNUZ", "float8_e4m3fnuz",    None),
    ("float8_e4m3b11fnuz",   8,  27,   None,          None,                 None),
    ("float8_e5m2fnuz",      8,  28,   "F8_E5M2FNUZ", "float8_e5m2fnuz",    None),
    ("float8_e8m0fnu",       8,  None, "F8_E8M0",     "float8_e8m0fnu",     None),
    ("float4_e2m1fn",        4,  None, "F4",          None,                 None),
    ("float6_e2m3fn",        6,  None, "F6_E2M3",     None,                 None),
    ("float6_e3m2fn",        6,  None, "F6_E3M2",     None,                 None),
    # PyTorch only (listed, never read as arrays: see torch_pickle)
    ("quint4x2",             8,  None, None,          "quint4x2",           None),
    ("quint2x4",             8,  None, None,          "quint2x4",           None),
    ("complex32",           32,  None, None,          "complex32",          None),
    ("float4_e2m1fn_x2",     8,  None, None,          "float4_e2m1fn_x2",   None),
    ("bits8",                8,  None, None,          "bits8",              None),
    ("bits16",              16,  None, None,          "bits16",             None),
    ("bits1x8",              8,  None, None,          "bits1x8",            None),
    ("bits2x4",              8,  None, None,          "bits2x4",            None),
    ("bits4x2",              8,  None, None,          "bits4x2",            None),
)

# TensorFlow DataType enum value -> (canonical name, itemsize in bytes; 0 = variable width).
TF_DTYPES: dict[int, tuple[str, int]] = {tf: (name, bits // 8) for name, bits, tf, *_ in _TABLE if tf is not None}
TF_ENUM: dict[str, int] = {name: tf for tf, (name, _) in TF_DTYPES.items()}
# Bits per element by canonical name (0: variable width, e.g. strings).
BITS: dict[str, int] = {row[0]: row[1] for row in _TABLE}
# Bytes per element by canonical name (0: variable width, e.g. strings; sub-byte types are absent).
ITEMSIZE: dict[str, int] = {name: bits // 8 for name, bits, *_ in _TABLE if bits % 8 == 0}
SAFETENSORS: dict[str, str] = {row[0]: row[3] for row in _TABLE if row[3]}  # canonical -> "F32"
FROM_SAFETENSORS: dict[str, str] = {v: k for k, v in SAFETENSORS.items()}
TORCH: dict[str, str] = {row[0]: row[4] for row in _TABLE if row[4]}  # canonical -> torch attribute name
FROM_NUMPY: dict[str, str] = {row[5]: row[0] for row in _TABLE if row[5]}  # "f4" -> "float32"
# Handles and opaque values (TF's resource and variant: a tf.data iterator's state): no bits per element and not
# strings; stored, checked and copied, never decoded into an array.
OPAQUE: frozenset[str] = frozenset(name for name, bits, *_ in _TABLE if bits == 0 and name != "string")

# Names numpy itself knows; the rest come from ml_dtypes.
_QUANTIZED_STORAGE = {"qint8": "int8", "quint8": "uint8", "qint32": "int32", "qint16": "int16", "quint16": "uint16"}
_ML_DTYPES = {"bfloat16", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2fnuz",
              "float8_e8m0fnu"}


@cache
def to_numpy(name: str):
    """The numpy dtype that holds values of canonical dtype ``name`` (native byte order)."""
    import numpy as np

    if name in _ML_DTYPES:
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, name))
    if name == "string":
        return np.dtype(object)
    return np.dtype(_QUANTIZED_STORAGE.get(name, name))
