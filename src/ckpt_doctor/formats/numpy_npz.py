"""NumPy ``.npy`` files and ``.npz`` archives, read without pickle (numpy's ``allow_pickle=False``).

``.npy``: magic ``\\x93NUMPY``, version byte pair (1.0: 2-byte header length; 2.0 and 3.0: 4-byte; 3.0 is UTF-8),
then a Python dict literal ``{'descr': ..., 'fortran_order': ..., 'shape': ...}`` (parsed with
``ast.literal_eval``, which evaluates no code), then the raw array bytes. Object arrays (``descr`` ``'|O'``) hold
pickles: they are listed but never read.

``.npz``: a zip of ``<name>.npy`` members (``np.savez``: STORED, read by offset; ``np.savez_compressed``: DEFLATED,
inflated with a size cap). ``np.savez(a, b)`` names its arrays ``arr_0``, ``arr_1``, ...: the names the model uses
must come from elsewhere, which the catalog notes say.

A pickle of arrays (``pickle.dump`` of a dict of NumPy arrays: g2pM's ``np_ckpt.pkl``, JAX and Haiku parameter
trees): unpickled by the allow-list of ``_unpickler`` (arrays and plain containers only; nothing in the file runs),
every array named by its keys joined with ``/``. A pickle holds its values inline, so the file is read whole, up to
a size limit.
"""

from __future__ import annotations

import ast
import math
import os
import re
import sys

from ..catalog import Catalog, TensorInfo
from ..dtypes import FROM_NUMPY
from ..errors import CheckpointError, CorruptCheckpointError, NotACheckpointError, UnsupportedError
from . import _zip

FORMAT = "numpy"
NPY_MAGIC = b"\x93NUMPY"
_MAX_HEADER = 1 << 20
_HEAD_GUESS = 4096  # most headers are 128 bytes; one read of this size usually covers it
# numpy kind + itemsize -> canonical dtype name (byte order handled separately).
_DTYPES = FROM_NUMPY
_POSITIONAL = re.compile(r"^arr_\d+$")
# A well-formed type string (byte order, kind letter, itemsize), such as the '<f1' np.save writes for ml_dtypes'
# float8_e5m2, which numpy itself cannot read back: its bytes are kept as raw void elements of that size.
_TYPESTR = re.compile(r"^[<>|=]([a-zA-Z])([1-9]\d{0,3})$")


_PICKLE_SUFFIXES = (".pkl", ".pickle")
_PICKLE_PROBE = 1 << 16
MAX_PICKLE_BYTES = 2 << 30  # read whole: beyond this, .npz or safetensors (which are read by offset) are the way


def sniff(path: str) -> bool:
    """True for a ``.npy`` file (magic), a zip whose members are ``.npy`` files, or a pickle (protocol 2 to 5) named
    ``.pkl``/``.pickle`` or naming NumPy near its start, that is not a legacy ``torch.save`` file."""
    head = _zip.read_magic(path, 6)
    if head == NPY_MAGIC:
        return True
    if _is_pickle(head) and head[2:4] != b"\x8a\x0a":  # (torch.save's legacy files begin with a 10-byte LONG1)
        return path.lower().endswith(_PICKLE_SUFFIXES) or b"numpy" in _zip.read_magic(path, _PICKLE_PROBE)
    if head[:4] not in _zip.ZIP_MAGICS:
        return False
    first = _zip.first_member_name(path)
    if first is not None:
        return first.endswith(".npy")
    try:
        names = _zip.open_archive(path).names()
    except CheckpointError:  # sniffing never raises; read() reports what is wrong
        return path.endswith(".npz")
    return bool(names) and all(n.endswith(".npy") for n in names)


def read(path: str | os.PathLike, *, max_member_bytes: int = _zip.DEFAULT_MAX_MEMBER_BYTES) -> Catalog:
    """Open a ``.npy`` or ``.npz`` file.

    Args:
        path (`str`): the file.
        max_member_bytes (`int`, *optional*): limit on what one compressed ``.npz`` member may inflate to.

    Returns:
        A ``Catalog`` by array name (``.npz``: member name without ``.npy``; ``.npy``: the file name without it).

    Example:
        >>> import numpy as np, tempfile
        >>> path = tempfile.mkdtemp() + "/weights.npz"
        >>> np.savez(path, np.zeros((2, 3), np.float32))
        >>> ckpt = read(path)
        >>> ckpt["arr_0"].shape, ckpt["arr_0"].dtype, ckpt.notes[:1]   # doctest: +ELLIPSIS
        ((2, 3), 'float32', ...)
    """
    path = os.fspath(path)
    head = _zip.read_magic(path, 6)
    if head == NPY_MAGIC:
        return _read_npy(path)
    if _is_pickle(head):
        return _read_pickle(path)
    if not _zip.is_zip(path):
        raise UnsupportedError("not a .npy file or .npz archive", path=path)
    return _read_npz(path, max_member_bytes)


def _is_pickle(head: bytes) -> bool:
    return head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def _read_pickle(path: str) -> Catalog:
    from . import _unpickler

    size = os.path.getsize(path)
    if size > MAX_PICKLE_BYTES:
        raise UnsupportedError(f"a pickle of {size} bytes: a pickle holds its arrays inline and is read whole, up to "
                               f"{MAX_PICKLE_BYTES >> 30} GiB; save the arrays with np.savez or safetensors, which "
                               "are read by offset", path=path)
    with open(path, "rb") as f:
        tree = _unpickler.load(f, path=path)
    arrays: list[tuple[str, _unpickler.NumpyValue]] = []
    other = 0  # values that are no array (numbers, strings, scalars): a pickle's bookkeeping, or not a checkpoint
    todo: list[tuple[str, object]] = [("", tree)]
    while todo:  # (depth first, in the pickle's own order: a dict's insertion order)
        prefix, value = todo.pop()
        if isinstance(value, dict):
            todo.extend((f"{prefix}/{k}" if prefix else str(k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list | tuple):
            todo.extend((f"{prefix}/{i}" if prefix else str(i), v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, _unpickler.NumpyValue) and value.shape is not None:
            arrays.append((prefix or "arr", value))
        else:
            other += 1
    if not arrays:
        raise NotACheckpointError(f"a Python pickle holding no NumPy arrays ({other} other value(s)): no weights in "
                                  "it", path=path)
    tensors: dict[str, TensorInfo] = {}
    for rank, (name, value) in enumerate(arrays):
        shape, dtype = value.shape, value.dtype
        assert shape is not None and dtype is not None  # (set together)
        order = dtype.order if dtype.order in "<>|" else "<" if sys.byteorder == "little" else ">"
        header = _parse_descr(order + dtype.descr, shape, value.fortran, path, name)
        if header.nbytes != len(value.raw):
            raise CorruptCheckpointError(f"the pickle gives {header.dtype}{list(shape)} ({header.nbytes} bytes) "
                                         f"{len(value.raw)} bytes", path=path, tensor=name)
        tensors[name] = TensorInfo(name=name, dtype=header.dtype, shape=shape, nbytes=header.nbytes,
                                   location=os.path.basename(path), written=rank, _reader=_held(header, value.raw))
    nested = " (nested keys joined with '/')" if any("/" in name for name in tensors) else ""
    notes = [f"a pickle of NumPy arrays, read with an allow-list (nothing in it ran); named by their keys{nested}"
             + (f"; {other} value(s) that are no array left out" if other else "")]
    return Catalog(path, FORMAT, tensors, files=(path,), notes=tuple(notes))


def _held(header: _Header, raw: bytes):
    """A reader of an array whose bytes are in memory (a new array each time, as every reader gives)."""
    return lambda: header.array(raw, 0).copy()


def _parse_descr(descr: str, shape: tuple[int, ...], fortran: bool, path: str, name: str) -> _Header:
    dtype, itemsize = _dtype(descr, path, name)
    if dtype in ("object", "structured"):
        raise UnsupportedError(f"a pickled array of dtype {dtype}: only plain numeric arrays are read", path=path,
                               tensor=name)
    return _Header(descr, dtype, shape, fortran, 0, itemsize)


def _read_npy(path: str) -> Catalog:
    name = os.path.basename(path)
    name = name[:-4] if name.endswith(".npy") else name
    size = os.path.getsize(path)
    head = bytes(_zip.read_file_range(path, 0, min(size, _HEAD_GUESS), tensor=name))
    need = _header_length(head, path, name)
    if need > len(head):
        head = bytes(_zip.read_file_range(path, 0, min(size, need), tensor=name))
    header = _parse_header(head, path, name)
    if header.dtype == "object":
        raise UnsupportedError("this .npy holds an object array (pickled Python objects): it is never unpickled",
                               path=path, tensor=name)
    _check_size(header, size, path, name)

    def read():
        buf = _zip.read_file_range(path, header.offset, header.nbytes, tensor=name)
        return header.array(buf, 0)

    info = TensorInfo(name=name, dtype=header.dtype, shape=header.shape, nbytes=header.nbytes,
                      location=os.path.basename(path), _reader=read)
    return Catalog(path, FORMAT, {name: info}, files=(path,),
                   notes=(f"a single .npy array, named {name!r} after its file", *filter(None, [header.note(name)])))


def _read_npz(path: str, max_member_bytes: int) -> Catalog:
    archive = _zip.open_archive(path, max_member_bytes=max_member_bytes)
    tensors: dict[str, TensorInfo] = {}
    notes: list[str] = []
    skipped = [n for n in archive.names() if not n.endswith(".npy")]
    for member in archive.names():  # in the order np.savez wrote them: its arguments' order, a model's own often
        if not member.endswith(".npy"):
            continue
        name = member[:-4]
        m = archive.member(member)
        head = archive.head(member, _HEAD_GUESS, tensor=name)
        need = _header_length(head, path, name)
        if need > len(head):
            head = archive.head(member, need, tensor=name)
        header = _parse_header(head, path, name)
        if header.dtype == "object":
            notes.append(f"{name!r} is an object array (pickled Python objects): listed, never unpickled")
            tensors[name] = TensorInfo(name=name, dtype="object", shape=header.shape, nbytes=m.size - header.offset,
                                       location=member, _reader=_refuse_object(path, name))
            continue
        _check_size(header, m.size, path, name)
        notes += filter(None, [header.note(name)])
        tensors[name] = TensorInfo(name=name, dtype=header.dtype, shape=header.shape, nbytes=header.nbytes,
                                   location=member, written=len(tensors),
                                   _reader=_member_reader(archive, member, header, name))
    if tensors and all(_POSITIONAL.match(n) for n in tensors):
        notes.insert(0, "arrays were saved by position (np.savez(a, b, ...)), so they are named arr_0, arr_1, ...: "
                        "the names the model uses must come from elsewhere")
    if skipped:
        notes.append(f"{len(skipped)} member(s) are not .npy arrays and were ignored: {', '.join(skipped[:5])}")
    return Catalog(path, FORMAT, tensors, files=(path,), notes=tuple(notes))


def _member_reader(archive: _zip.Archive, member: str, header: _Header, name: str):
    def read():
        buf = archive.read(member, tensor=name)  # whole member: CRC-32 checked
        return header.array(buf, header.offset)

    return read


def _refuse_object(path: str, name: str):
    def read():
        raise UnsupportedError("object arrays hold pickled Python objects and are never unpickled "
                               "(allow_pickle=False)", path=path, tensor=name)

    return read


class _Header:
    def __init__(self, descr, dtype: str, shape: tuple[int, ...], fortran: bool, offset: int, itemsize: int):
        self.descr, self.dtype, self.shape, self.fortran, self.offset = descr, dtype, shape, fortran, offset
        self.nbytes = math.prod(shape) * itemsize
        self.unread: str | None = None  # the file's descr, where numpy cannot read it and raw bytes stand for it

    def note(self, name: str) -> str | None:
        if self.unread is None:
            return None
        return (f"{name!r}: descr {self.unread!r} is a type numpy cannot read back (np.save writes it for "
                f"ml_dtypes' float8_e5m2); its bytes are read as {self.dtype} elements, unconverted")

    def array(self, buf, offset: int):
        import numpy as np

        dt = _numpy_dtype(self.descr)
        arr = np.frombuffer(buf, dtype=dt, count=math.prod(self.shape), offset=offset)
        if not dt.isnative:  # a big-endian file: return native values, as the canonical dtype promises
            arr = arr.astype(dt.newbyteorder("="))
        if self.fortran:
            return arr.reshape(self.shape[::-1]).transpose()
        return arr.reshape(self.shape)


def _numpy_dtype(descr):
    import numpy as np

    if isinstance(descr, str):
        return np.dtype(descr)
    return np.lib.format.descr_to_dtype(descr)


def _header_length(head: bytes, path: str, name: str) -> int:
    """Total bytes of magic + version + length + header dict, from the first 12 bytes."""
    if head[:6] != NPY_MAGIC or len(head) < 10:
        raise CorruptCheckpointError("not a .npy array (bad magic)", path=path, tensor=name)
    major = head[6]
    if major == 1:
        return 10 + int.from_bytes(head[8:10], "little")
    if major in (2, 3):
        if len(head) < 12:
            raise CorruptCheckpointError(".npy header truncated", path=path, tensor=name)
        n = int.from_bytes(head[8:12], "little")
        if n > _MAX_HEADER:
            raise CorruptCheckpointError(f".npy header claims {n} bytes, more than the {_MAX_HEADER} allowed",
                                         path=path, tensor=name)
        return 12 + n
    raise UnsupportedError(f".npy format version {major}.{head[7]} (known: 1.0, 2.0, 3.0)", path=path, tensor=name)


def _parse_header(head: bytes, path: str, name: str) -> _Header:
    end = _header_length(head, path, name)
    if len(head) < end:
        raise CorruptCheckpointError(f".npy header needs {end} bytes but the data ends after {len(head)}", path=path,
                                     tensor=name)
    start = 10 if head[6] == 1 else 12
    try:
        text = head[start:end].decode("utf-8" if head[6] == 3 else "latin1")
        d = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeDecodeError) as e:
        raise CorruptCheckpointError(f".npy header is not a dict literal: {type(e).__name__}", path=path,
                                     tensor=name) from None
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        raise CorruptCheckpointError(f".npy header must have exactly descr, fortran_order and shape: {text[:120]!r}",
                                     path=path, tensor=name)
    shape, fortran, descr = d["shape"], d["fortran_order"], d["descr"]
    if not isinstance(shape, tuple) or len(shape) > 64 or not all(type(n) is int and n >= 0 for n in shape):
        raise CorruptCheckpointError(f".npy shape {shape!r} is not a tuple of non-negative integers", path=path,
                                     tensor=name)
    if not isinstance(fortran, bool):
        raise CorruptCheckpointError(f".npy fortran_order is {fortran!r}", path=path, tensor=name)
    typestr = _TYPESTR.match(descr) if isinstance(descr, str) else None
    try:
        dtype, itemsize = _dtype(descr, path, name)
    except CorruptCheckpointError:
        if typestr is None:
            raise
        raw = _Header(f"|V{typestr[2]}", f"void{8 * int(typestr[2])}", shape, fortran, end, int(typestr[2]))
        raw.unread = descr
        return raw
    return _Header(descr, dtype, shape, fortran, end, itemsize)


def _dtype(descr, path: str, name: str) -> tuple[str, int]:
    """Canonical dtype name and itemsize for a ``descr``; numpy is consulted only for unusual ones."""
    if isinstance(descr, str) and len(descr) >= 2 and descr[0] in "<>|=" and descr[1:] in _DTYPES:
        return _DTYPES[descr[1:]], int(descr[2:])
    if isinstance(descr, str) and descr[1:2] == "O" or descr == "O":
        return "object", 0
    try:
        dt = _numpy_dtype(descr)
    except (TypeError, ValueError, KeyError, IndexError, SyntaxError) as e:
        raise CorruptCheckpointError(f".npy descr {str(descr)[:80]!r} is not a dtype: {e}", path=path,
                                     tensor=name) from None
    if dt.hasobject:
        return "object", 0
    if dt.itemsize == 0 and not dt.fields:
        raise UnsupportedError(f".npy dtype {dt} has no fixed size", path=path, tensor=name)
    return ("structured" if dt.fields else dt.newbyteorder("=").name), dt.itemsize


def _check_size(header: _Header, size: int, path: str, name: str) -> None:
    if header.offset + header.nbytes != size:
        raise CorruptCheckpointError(f"header says {header.dtype}{list(header.shape)} ({header.nbytes} bytes) but "
                                     f"{size - header.offset} data bytes follow it", path=path, tensor=name)
