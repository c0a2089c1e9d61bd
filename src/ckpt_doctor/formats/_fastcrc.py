"""CRC32C over any buffer, computed with the GIL released.

``google_crc32c.value`` accepts only immutable ``bytes`` and holds the GIL, which forces a copy of every chunk
and serialises threads. The same wheel ships the C library it wraps (``libcrc32c``); calling its
``crc32c_extend`` through ctypes checksums a numpy array or bytearray in place, and ctypes releases the GIL for
the call. When the library cannot be found (another build of the package), ``crc32c_buffer`` falls back to
copying into ``bytes`` - same result, slower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _crc

# The library's crc32c_extend (None: not found), looked up on first use (listing never needs it: no ctypes import).
_extend: Callable[[int, Any, int], int] | None = None
_loaded = False


def _load() -> Callable[[int, Any, int], int] | None:
    import ctypes
    import glob
    import os

    try:
        import google_crc32c
    except ImportError:
        return None
    here = os.path.dirname(os.path.dirname(os.path.abspath(google_crc32c.__file__)))
    for path in sorted(glob.glob(os.path.join(here, "google_crc32c.libs", "libcrc32c*.so*"))):
        try:
            lib = ctypes.CDLL(path)
            fn = lib.crc32c_extend
        except (OSError, AttributeError):
            continue
        fn.argtypes = (ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t)
        fn.restype = ctypes.c_uint32
        if fn(0, b"123456789", 9) == 0xE3069283:  # the standard CRC-32C check value
            return fn
    return None


def _function() -> Callable[[int, Any, int], int] | None:
    global _extend, _loaded
    if not _loaded:
        _extend, _loaded = _load(), True
    return _extend


def crc32c_buffer(array, crc: int = 0) -> int:
    """CRC32C of a contiguous numpy uint8 array (or a slice of one), continuing from ``crc``."""
    extend = _extend if _loaded else _function()
    if extend is not None:
        return extend(crc, array.ctypes.data, array.nbytes)
    return _crc.crc32c(array.tobytes(), crc)


def crc32c_bytes(data: bytes, crc: int = 0) -> int:
    """CRC32C of ``bytes``, continuing from ``crc`` (GIL released when the library was found)."""
    extend = _extend if _loaded else _function()
    return extend(crc, data, len(data)) if extend is not None else _crc.crc32c(data, crc)
