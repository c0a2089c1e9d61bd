"""Writer for TensorFlow V2 tensor bundles, byte-identical to TensorFlow's ``BundleWriter`` for the same tensors
added in the same order (docs/tf-checkpoint-format.md §1).

Data files hold the tensors densely in ``add`` order; the index holds a header record under key ``""`` and one
``BundleEntryProto`` per tensor in bytewise key order. Memory: one tensor at a time plus the index records.
"""

from __future__ import annotations

import os
import re
import struct
from typing import BinaryIO

from ..dtypes import OPAQUE, TF_ENUM
from ..errors import CheckpointError, UnsupportedError
from . import _crc
from ._table_writer import build_table, varint
from ._writing import RawBytes, Tensor, checked_value, checksum, contiguous_bytes, tensors_from
from .tf_bundle import data_path

FORMAT = "tf-v2"
_BUFFER = 8 << 20  # TF's BundleWriter buffers 8 MiB too


def _field_varint(number: int, v: int) -> bytes:
    return varint(number << 3) + varint(v & ((1 << 64) - 1))


def _field_bytes(number: int, b: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(b)) + b


def header_record(num_shards: int) -> bytes:
    """BundleHeaderProto{num_shards, endianness LITTLE (omitted), version{producer 1}}."""
    return _field_varint(1, num_shards) + _field_bytes(3, _field_varint(1, 1))


def entry_record(dtype: str, shape, shard: int, offset: int, size: int, masked_crc: int) -> bytes:
    dims = b"".join(_field_bytes(2, _field_varint(1, d) if d else b"") for d in shape)
    out = _field_varint(1, TF_ENUM[dtype]) + _field_bytes(2, dims)  # proto3: zeros omitted, but shape always present
    for number, v in ((3, shard), (4, offset), (5, size)):
        if v:
            out += _field_varint(number, v)
    if masked_crc:
        out += b"\x35" + struct.pack("<I", masked_crc)
    return out


def tensor_bytes(value, t: Tensor, path: str) -> tuple[list, int, int]:
    """(buffers to write, total size, crc32c) of one tensor as a bundle stores it."""
    if t.dtype == "string":
        value = checked_value(value, t, path)
        items = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in value.reshape(-1)]
        crc, lengths = 0, bytearray()
        for item in items:
            lengths += varint(len(item))
            crc = _crc.crc32c(len(item).to_bytes(4 if len(item) <= 0xFFFFFFFF else 8, "little"), crc)
        length_crc = struct.pack("<I", _crc.mask(crc))
        crc = _crc.crc32c(length_crc, crc)
        body = b"".join(items)
        crc = _crc.crc32c(body, crc)
        return [bytes(lengths), length_crc, body], len(lengths) + 4 + len(body), crc
    raw = contiguous_bytes(value, t, path)
    return [raw], raw.size, checksum(value)


class BundleWriter:
    """Add tensors one by one (``add``), then ``finish``; files appear under ``prefix`` only then.

    ``max_shard_bytes`` starts a new data file before a tensor that would take the current one past that size
    (a tensor larger than it gets a file of its own).
    """

    def __init__(self, prefix: str | os.PathLike, *, max_shard_bytes: int | None = None):
        self.prefix = os.fspath(prefix)
        self.max_shard_bytes = max_shard_bytes
        self._records: dict[bytes, tuple[str, tuple, int, int, int, int]] = {}
        self._shards: list[str] = []
        self._file: BinaryIO | None = None
        self._offset = 0

    def _tmp_shard(self, i: int) -> str:
        return f"{self.prefix}.data-{i:05d}.partial"

    def _shard_for(self, size: int) -> BinaryIO:
        """The data file the next ``size`` bytes go to: the current one, or a new one when it would overflow."""
        if self._file is None or (self.max_shard_bytes and self._offset and
                                  self._offset + size > self.max_shard_bytes):
            return self._open_shard()
        return self._file

    def _open_shard(self) -> BinaryIO:
        self._close_shard()
        path = self._tmp_shard(len(self._shards))
        self._shards.append(path)
        self._file = open(path, "wb", buffering=_BUFFER)
        self._offset = 0
        return self._file

    def _close_shard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def add(self, t: Tensor, value) -> int:
        """Append tensor ``t`` with value ``value``; returns the crc32c of the stored bytes."""
        key = t.name.encode("utf-8", "surrogateescape")
        if key in self._records or not key:
            raise CheckpointError("tensor name is empty or given twice", path=self.prefix, tensor=t.name)
        if t.dtype in OPAQUE or t.dtype not in TF_ENUM:
            raise UnsupportedError(f"dtype {t.dtype} cannot be written to a TF bundle", path=self.prefix,
                                   tensor=t.name)
        buffers, size, crc = tensor_bytes(value, t, self.prefix)
        f = self._shard_for(size)
        offset = self._offset
        for b in buffers:
            f.write(b)
        self._offset += size
        self._records[key] = (t.dtype, tuple(t.shape), len(self._shards) - 1, offset, size, _crc.mask(crc))
        return crc

    def add_raw(self, t: Tensor, raw: RawBytes) -> int:
        """Append tensor ``t`` by copying its stored bytes ``raw`` (``t.raw``; in the kernel where the OS can);
        returns the crc32c they claim. Nothing is read into memory: the read-back check after writing proves them."""
        key = t.name.encode("utf-8", "surrogateescape")
        if key in self._records or not key:
            raise CheckpointError("tensor name is empty or given twice", path=self.prefix, tensor=t.name)
        path, offset, size, crc, _ = raw
        f = self._shard_for(size)
        f.flush()
        start = self._offset
        with open(path, "rb") as src:
            _copy_range(src, f, offset, size, path, t.name)
        self._offset += size
        self._records[key] = (t.dtype, tuple(t.shape), len(self._shards) - 1, start, size, _crc.mask(crc))
        return crc

    def finish(self) -> list[str]:
        """Close the data files, write the index; returns every file of the bundle (index first)."""
        if self._file is None:
            self._open_shard()
        self._close_shard()
        n = len(self._shards)
        files = []
        for i, tmp in enumerate(self._shards):
            final = data_path(self.prefix, i, n)
            os.replace(tmp, final)
            files.append(final)
        records = [(b"", header_record(n))]
        records += [(key, entry_record(*self._records[key])) for key in sorted(self._records)]
        index = self.prefix + ".index"
        with open(index, "wb") as f:
            f.write(build_table(records))
        return [index, *files]

    def abandon(self) -> None:
        self._close_shard()
        for path in self._shards:
            if os.path.exists(path):
                os.unlink(path)


def _copy_range(src, dst, offset: int, size: int, path: str, name: str) -> None:
    done = 0
    try:
        while done < size:
            n = os.copy_file_range(src.fileno(), dst.fileno(), size - done, offset + done)
            if n == 0:
                break
            done += n
    except (AttributeError, OSError):  # no copy_file_range here (or across these filesystems): copy by hand
        src.seek(offset + done)
        dst.seek(0, os.SEEK_END)
        while done < size:
            chunk = src.read(min(_BUFFER, size - done))
            if not chunk:
                break
            dst.write(chunk)
            done += len(chunk)
        dst.flush()
    if done != size:
        raise CheckpointError(f"source ended after {done} of {size} bytes", path=path, tensor=name)


def write(tensors, prefix: str | os.PathLike, *, max_shard_bytes: int | None = None) -> list[str]:
    """Write ``tensors`` (objects with ``name``, ``dtype``, ``shape`` and ``read()``, e.g. ``TensorInfo``s, in the
    order they go into the data file) as a bundle at ``prefix``. Returns the files written."""
    writer = BundleWriter(prefix, max_shard_bytes=max_shard_bytes)
    try:
        for t in tensors_from(tensors):
            if t.raw is not None:
                writer.add_raw(t, t.raw)
                if t.raw.copied is not None:
                    t.raw.copied()
            else:
                writer.add(t, t.read())
        return writer.finish()
    except BaseException:
        writer.abandon()
        raise


# --- the `checkpoint` state file ------------------------------------------------------------------------------

def _quote(text: str) -> str:
    out = []
    for b in text.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def state_file_text(latest: str, all_paths: list[str] | None = None) -> str:
    """A text-format CheckpointState naming ``latest`` (and ``all_paths``, oldest first, ending with latest)."""
    paths = [p for p in (all_paths or []) if p != latest] + [latest]
    return f"model_checkpoint_path: {_quote(latest)}\n" + \
        "".join(f"all_model_checkpoint_paths: {_quote(p)}\n" for p in paths)


def update_state_file(prefix: str) -> str:
    """Make ``prefix`` the latest checkpoint of its directory's ``checkpoint`` file (written atomically, with paths
    relative to the directory, as tf.train.Checkpoint and CheckpointManager write them). Returns the file's path."""
    from .._files import atomic_write_text
    from .discovery import parse_state_file

    directory = os.path.dirname(os.path.abspath(prefix))
    state_path = os.path.join(directory, "checkpoint")
    previous: list[str] = []
    if os.path.isfile(state_path):
        try:
            previous = [os.path.relpath(p, directory) if os.path.isabs(p) else p
                        for p in parse_state_file(state_path)["all_model_checkpoint_paths"]]
        except (OSError, ValueError):
            previous = []
        previous = [p for p in previous if os.path.exists(os.path.join(directory, p) + ".index")]
    atomic_write_text(state_path, state_file_text(os.path.basename(prefix), previous))
    return state_path


_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")


def bundle_files(prefix: str) -> list[str]:
    """The index and data files that exist for ``prefix``."""
    directory = os.path.dirname(os.path.abspath(prefix)) or "."
    base = os.path.basename(prefix)
    out = [prefix + ".index"] if os.path.exists(prefix + ".index") else []
    try:
        names = os.listdir(directory)
    except OSError:
        return out
    return out + sorted(os.path.join(directory, n) for n in names
                        if n.startswith(base + ".data-") and _SHARD.search(n) and len(n) == len(base) + 20)

