"""CRC32C with LevelDB/TensorFlow masking."""

from __future__ import annotations

import google_crc32c

_MASK_DELTA = 0xA282EAD8


def crc32c(data, crc: int = 0) -> int:
    """CRC-32C of ``data`` (any bytes-like), continuing from ``crc``."""
    return google_crc32c.extend(crc, data) if crc else google_crc32c.value(data)


def mask(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
