"""``write_checkpoint``: write tensors in any supported format, safely.

Everything is written under temporary names in the destination directory, fsynced, then read back with this
package's own readers and compared with what was meant to be written (names, dtypes, shapes and a crc32c of every
value); only then are the files renamed into place (a TF bundle's index last, so a reader never sees a checkpoint
without its data). An existing output is refused unless ``overwrite=True``; files in ``protect`` (the input of a
rewrite) are never written over, whatever ``overwrite`` says.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .._files import local_output
from ..errors import CheckpointError, UsageError
from ._writing import RawBytes, Tensor, checksum, tensors_from
from .registry import WRITABLE

# --to name -> (writer module, reader module, default file suffix)
FORMATS: dict[str, tuple[str, str, str]] = {name: (f.writer or "", f.reader, f.suffix) for name, f in WRITABLE.items()}


class OutputExistsError(UsageError):
    """The output already exists (and overwriting was not asked for), or is the input itself."""


@dataclass
class WriteResult:
    path: str  # the checkpoint written: a TF prefix or a file
    format: str
    files: list[str]
    tensors: int = 0
    bytes: int = 0
    checksums: dict[str, int] = field(default_factory=dict)  # name -> crc32c of the value, verified on read-back


def targets(out: str, format: str) -> list[str]:
    """Existing files that writing ``out`` in ``format`` would replace."""
    if format == "tf":
        from .tf_bundle_writer import bundle_files

        return bundle_files(out)
    return [out] if os.path.lexists(out) else []


def write_checkpoint(tensors, out: str | os.PathLike, format: str = "tf", *, overwrite: bool = False,
                     protect=(), progress: Callable[[str, int], None] | None = None, state_file: bool = True,
                     **options) -> WriteResult:
    """Write ``tensors`` to ``out`` in ``format`` (``tf``, ``safetensors``, ``npz``, ``torch``, ``keras3``), verified.

    Args:
        tensors: ``Tensor``/``TensorInfo``-like objects (name, dtype, shape, read()), a dict name -> array (numpy,
            or torch tensors: a ``state_dict()``, bfloat16 too) or (name, array) pairs; written in this order (TF
            data files keep it), each read exactly once.
        out: a TF prefix (``dir/model.ckpt-1``) or a file path.
        overwrite: replace an existing output.
        protect: files that must never be written over (e.g. the checkpoint being rewritten).
        progress: called as ``progress(name, nbytes)`` after each tensor is written.
        state_file: TF only: make ``out`` the latest checkpoint in its directory's ``checkpoint`` file.
        options: for the format's writer, e.g. ``max_shard_bytes`` (tf) or ``metadata`` (safetensors; default
            ``{"format": "pt"}``, as ``save_pretrained`` writes it and transformers' ``from_pretrained`` needs it).

    Returns:
        ``WriteResult`` with the files written and the crc32c of every value (all read back and matched).

    Example:
        >>> import numpy as np, tempfile
        >>> out = tempfile.mkdtemp() + "/model.ckpt-1"
        >>> r = write_checkpoint({"w": np.ones((2, 2), np.float32)}, out)
        >>> r.format, r.tensors, sorted(f.rsplit("/", 1)[1] for f in r.files)
        ('tf', 1, ['checkpoint', 'model.ckpt-1.data-00000-of-00001', 'model.ckpt-1.index'])
    """
    if format not in FORMATS:
        raise CheckpointError(f"unknown output format {format!r} (one of: {', '.join(FORMATS)})")
    out = local_output(out)
    writer_name, reader_name, _ = FORMATS[format]
    writer = importlib.import_module(f"{__package__}.{writer_name}")
    items = tensors_from(tensors)
    names = [t.name for t in items]
    if len(set(names)) != len(names) or "" in names:
        dup = next((n for n in names if names.count(n) > 1), "")
        raise CheckpointError("tensor names must be unique and non-empty", path=out, tensor=dup)
    if os.path.isdir(out):
        raise CheckpointError("output is a directory: name the file (or TF prefix) to write", path=out)
    if format == "tf" and state_file and os.path.basename(out) == "checkpoint":
        # the prefix and TF's state file would share one name: TF's savers and CheckpointManager keep their list of
        # checkpoints (with timestamps) in that file, which writing the bundle's state would replace
        raise UsageError("a TF prefix named `checkpoint` is the name of the directory's state file (TF's list of its "
                         "checkpoints): choose another, e.g. `ckpt` or `model.ckpt`", path=out)
    directory = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the output directory {directory}: {e.strerror or e}"
                         + (" (a file of that name is in the way)" if isinstance(e, FileExistsError) else ""),
                         path=directory) from None
    existing = targets(out, format)
    protected = [p for p in protect if os.path.exists(p)]
    for path in existing + ([out] if format == "tf" and os.path.exists(out) else []):
        if any(os.path.samefile(path, p) for p in protected):
            raise OutputExistsError("the output would replace the input checkpoint: write somewhere else",
                                    path=path)
    if existing and not overwrite:
        raise OutputExistsError("output exists (overwrite=True / --force replaces it)", path=existing[0])

    base, tag = os.path.basename(out), f".{secrets.token_hex(4)}.ckpt-doctor-tmp."
    # A legal output name must give a legal temporary one (names stop at 255 bytes; a bundle's shard suffix is
    # added to both): a long name gives up its front, never its suffix, which the readers may look at.
    tmp = os.path.join(directory, tag + (base[len(tag):] if len(os.fsencode(base)) > 200 else base))
    result = WriteResult(out, format, [])

    def watched(t: Tensor) -> Tensor:
        def read():
            value = t.read()
            result.checksums[t.name] = checksum(value)
            result.tensors += 1
            result.bytes += getattr(value, "nbytes", 0)
            if progress is not None:
                progress(t.name, getattr(value, "nbytes", 0))
            return value

        if t.raw is None or format != "tf":
            return Tensor(t.name, t.dtype, t.shape, read)

        def copied():
            result.checksums[t.name] = t.raw.crc  # what the bytes claim; the read-back check proves it
            result.tensors += 1
            result.bytes += t.raw.size
            if progress is not None:
                progress(t.name, t.raw.size)

        return Tensor(t.name, t.dtype, t.shape, read, RawBytes(*t.raw[:4], copied))

    written: list[str] = []
    try:
        written = writer.write([watched(t) for t in items], tmp, **options)
        with ThreadPoolExecutor(1) as pool:  # the disk flushes while the read-back check runs from the page cache
            flushed = pool.submit(_fsync_files, written)
            _verify(importlib.import_module(f"{__package__}.{reader_name}"), tmp, items, result)
            flushed.result()
        _fsync_dir(directory)
        finals = [out + w[len(tmp):] for w in written]
        order = sorted(range(len(written)), key=lambda i: written[i].endswith(".index"))  # index last
        for i in order:
            os.replace(written[i], finals[i])
        written = []
        kept = {os.path.abspath(f) for f in finals}  # `existing` may name them otherwise (absolute, `./`)
        for stale in {os.path.abspath(f) for f in existing} - kept:  # e.g. a replaced bundle's extra data shards
            os.unlink(stale)
        _fsync_dir(directory)
        result.files = finals
    except OSError as e:  # disk full, permissions, ...: nothing was renamed into place unless all was
        if isinstance(e, CheckpointError):  # an input that cannot be read (PermissionDeniedError) is not a write
            raise
        # a read-only directory or disk, a full disk, permissions: the user's to fix (as for every other output);
        # named by the output, not by the temporary name it was being written under
        failed = getattr(e, "filename", None) or out
        if os.path.basename(failed).startswith(os.path.basename(tmp)):
            failed = out + failed[len(os.path.join(directory, os.path.basename(tmp))):]
            if failed.endswith(".partial"):  # a TF data shard being written: its final name is not known yet
                failed = out
        raise UsageError(f"cannot write {failed}: {e.strerror or e}", path=failed) from None
    except CheckpointError as e:  # the user knows the output by its name, not by our temporary one
        if e.path is not None and os.path.basename(e.path).startswith(os.path.basename(tmp)):
            e.path = out + e.path[len(os.path.join(directory, os.path.basename(tmp))):]
        raise
    finally:
        for path in written:
            if os.path.exists(path):
                os.unlink(path)
        for path in _leftovers(directory, os.path.basename(tmp)):
            os.unlink(path)
    if format == "tf" and state_file:
        from .tf_bundle_writer import update_state_file

        result.files.append(update_state_file(out))
    return result


def _leftovers(directory: str, base: str) -> list[str]:
    return [os.path.join(directory, n) for n in os.listdir(directory) if n.startswith(base)]


def _verify(reader, tmp: str, items: list[Tensor], result: WriteResult) -> None:
    """Read the written files back and compare every tensor with what was meant to be written."""
    catalog = reader.read(tmp)
    wanted = {t.name: t for t in items}
    extra, missing = set(catalog) - set(wanted), set(wanted) - set(catalog)
    if extra or missing:
        raise CheckpointError(f"read-back mismatch: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}",
                              path=tmp)
    ranges = _byte_ranges(tmp, catalog.format)
    for name, t in wanted.items():
        info = catalog[name]
        if info.dtype != t.dtype or tuple(info.shape) != tuple(t.shape):
            raise CheckpointError(f"read back as {info.dtype}{list(info.shape)}, written as {t.dtype}{list(t.shape)}",
                                  path=tmp, tensor=name)
        if info.dtype == "variant" and t.raw is not None:  # copied as stored: TF's own checksums, checked
            if ranges.get(name, (None,) * 4)[3] != result.checksums[name]:
                raise CheckpointError("index checksum differs from the value written", path=tmp, tensor=name)
            info.check()
        elif info.dtype != "string" and name in ranges:
            # The value's native row-major bytes are stored as they are: their crc32c on disk must be the value's
            # (and a bundle's index must record it).
            path, offset, size, stored = ranges[name]
            if stored is not None and stored != result.checksums[name]:
                raise CheckpointError("index checksum differs from the value written", path=tmp, tensor=name)
            if _file_crc(path, offset, size) != result.checksums[name]:
                if t.raw is not None:  # copied unread: the input's reader names damage there, in the input
                    t.read()
                raise CheckpointError("bytes read back differ from the value written", path=tmp, tensor=name)
        elif checksum(info.read()) != result.checksums[name]:
            raise CheckpointError("read-back value differs from the value written", path=tmp, tensor=name)


def _byte_ranges(path: str, fmt: str) -> dict[str, tuple[str, int, int, int | None]]:
    """name -> (file, offset, size, crc32c the file records or None) for formats that store values as raw bytes."""
    if fmt == "tf-v2":
        from .tf_bundle import data_path

        entries = bundle_entries(path)
        n = 1 + max((e[0] for e in entries.values()), default=0)
        return {name: (data_path(path, shard, n), offset, size, crc)
                for name, (shard, offset, size, crc) in entries.items()}
    if fmt == "safetensors":
        import json

        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        return {name: (path, 8 + n + e["data_offsets"][0], e["data_offsets"][1] - e["data_offsets"][0], None)
                for name, e in header.items() if name != "__metadata__"}
    return {}


_CHUNK = 4 << 20


def _file_crc(path: str, offset: int, size: int) -> int:
    from . import _crc

    crc = done = 0
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        while done < size:
            chunk = f.read(min(_CHUNK, size - done))
            if not chunk:
                return -1
            crc = _crc.crc32c(chunk, crc)
            done += len(chunk)
    return crc


def bundle_entries(prefix: str) -> dict[str, tuple[int, int, int, int]]:
    """(shard, offset, size, unmasked crc32c) of every entry of a bundle's index, by name."""
    from . import _crc
    from ._sstable import read_table
    from ._wire import FIXED32, VARINT, message

    out = {}
    for key, value in read_table(prefix + ".index")[1:]:
        f = dict(message(value, {3: VARINT, 4: VARINT, 5: VARINT, 6: FIXED32}))
        out[key.decode("utf-8", "surrogateescape")] = (f.get(3, 0), f.get(4, 0), f.get(5, 0),
                                                       _crc.unmask(f.get(6, 0)))
    return out


def _fsync_files(paths: list[str]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
