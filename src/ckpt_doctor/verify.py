"""Read every tensor of a checkpoint, check what the format lets us check, and say exactly what that was.

TF bundles and V1 tables protect every block and tensor with a CRC32C, zip containers (PyTorch, ``.npz``,
``.keras``) every member with a CRC-32: those are checked. safetensors, ``.npy``, legacy ``.pt`` and HDF5 store no
checksum of their values: ``verify`` reads them in full and checks their structure, and says so. A content
manifest (``manifest=True``: sha256 of every tensor, with dtype and shape) proves a later copy identical with
``against=``, for every format.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from ._parallel import ordered_map
from .catalog import Catalog
from .errors import (
    CheckpointError,
    ChecksumError,
    MissingShardError,
    NotACheckpointError,
    PermissionDeniedError,
    TruncatedError,
    UnsupportedError,
    UsageError,
)
from .formats import open_checkpoint

MANIFEST_VERSION = 1
NO_CHECKSUMS = "structure checked, values read; this format stores no checksums"

# What the problem is, for a reader of the report (most specific first).
TRUNCATED, MISSING_SHARD, MISSING_TENSOR, BAD_INDEX, BAD_CHECKSUM, UNSUPPORTED, CORRUPT, DIFFERS, UNREADABLE, \
    CHANGED = ("truncated file", "missing shard", "missing tensor", "bad index block", "bad tensor checksum",
               "unsupported", "corrupt", "differs from manifest", "unreadable", "changed while read")


@dataclass
class Problem:
    tensor: str | None
    file: str | None
    error: str  # exception class name, e.g. "ChecksumError"
    message: str
    kind: str = CORRUPT  # one of the kinds above
    tensors: list[str] = field(default_factory=list)  # a missing shard: every tensor it holds


@dataclass
class VerifyReport:
    """What ``verify`` read and checked: ``ok``, ``problems`` (each damaged file or tensor), ``checked`` (what was
    verified, in a sentence), ``intact`` (the tensors read without a problem) and, when asked, ``manifest``."""

    path: str
    format: str | None
    tensors_checked: int = 0
    bytes_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    checked: str = ""  # what was checked, in a sentence: checksums, or only structure and values
    checksums: bool = False  # whether the format's own checksums were verified
    intact: list[str] = field(default_factory=list)  # tensors read (and checked) without a problem
    manifest: dict[str, dict] | None = None  # name -> {"dtype", "shape", "sha256"} when asked for

    @property
    def ok(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:  # a notebook shows the verdict, not every intact tensor's name
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"<VerifyReport {self.path!r} ({self.format}): {verdict}; {self.tensors_checked} tensors, "
                f"{self.bytes_checked} bytes checked" + (f"; {self.checked}" if self.checked else "") + ">")

    def summary(self) -> str:
        """The verdict line ``ckpt-doctor verify`` prints: status, tensors and bytes read, what was checked."""
        from .report.text import human_bytes

        status = "OK" if self.ok else f"FAILED ({len(self.problems)} problem(s))"
        return (f"{status}: {self.tensors_checked} tensors, {human_bytes(self.bytes_checked)} read; {self.checked} "
                f"({self.path})")

    def to_json(self) -> dict:
        """The report as ``verify --json`` prints it."""
        out = {"path": self.path, "format": self.format, "ok": self.ok, "checked": self.checked,
               "checksums": self.checksums, "tensors_checked": self.tensors_checked,
               "bytes_checked": self.bytes_checked, "problems": [vars(p) for p in self.problems],
               "intact": self.intact}
        return out

    def manifest_json(self) -> dict:
        """The content manifest (``verify(..., manifest=True)``) as a document for ``against=``."""
        if self.manifest is None:
            raise ValueError("this report was made without manifest=True")
        return {"ckpt_doctor_manifest": MANIFEST_VERSION, "path": self.path, "format": self.format,
                "tensors": self.manifest}


def verify(checkpoint: str | os.PathLike | Catalog, progress: Callable[[str, int], None] | None = None, *,
           manifest: bool = False, against: str | os.PathLike | dict | None = None, jobs: int = 1) -> VerifyReport:
    """Read every tensor, check every checksum the format has, collect every problem instead of stopping.

    Args:
        checkpoint: a path (anything ``open_checkpoint`` accepts) or an opened ``Catalog``.
        progress: called with (tensor name, bytes) as each tensor's check completes.
        manifest: also compute the sha256 of every tensor's values (``report.manifest``; save
            ``report.manifest_json()`` to compare a later copy).
        against: a manifest (path or loaded document): every tensor must be present with the same dtype, shape
            and sha256, and no other tensor may appear.
        jobs: tensors checked at a time, in threads.

    ``report.checked`` says what was verified: for formats without checksums, only that the structure is sound
    and every value could be read. Peak memory is about the ``jobs`` largest tensors: each value is dropped as
    soon as it has been checked (without a manifest, TF bundles, and safetensors and PyTorch files on local disk,
    stream through a small buffer instead).
    """
    expected = _load_manifest(against) if against is not None else None
    if isinstance(checkpoint, Catalog):
        catalog = checkpoint
    else:
        try:
            catalog = open_checkpoint(checkpoint)
        except CheckpointError as e:
            if isinstance(e, UsageError | NotACheckpointError):
                raise  # no checkpoint named, or an extra missing: nothing was checked, so no report says "FAILED"
            report = VerifyReport(os.fspath(checkpoint), None, checked="the checkpoint could not be opened")
            report.problems.append(_problem(e))
            return report
    checked, checksums = _what_is_checked(catalog)
    report = VerifyReport(catalog.path, catalog.format, checked=checked, checksums=checksums,
                          manifest={} if manifest or expected is not None else None)
    if not isinstance(checkpoint, Catalog):
        report.problems += _incomplete_latest(os.fspath(checkpoint), catalog.path)
    before = _file_states(catalog)
    lost: dict[str, list[str]] = {f: list(catalog.unlisted.get(f, ())) for f in catalog.missing_files}
    denied: dict[str, list[str]] = {}  # a data file this user may not read: nothing said about its bytes
    cut: dict[str, list] = {}  # a truncated file: one line for it, naming its tensors past the end
    digests = report.manifest is not None
    crc_before = _crc_counts(catalog) if checksums else {}
    results = ordered_map(lambda t: _check(t, digests), catalog.values(), jobs)
    for (name, info), (error, digest) in zip(catalog.items(), results, strict=False):
        if progress:
            progress(name, info.nbytes)
        if isinstance(error, MissingShardError):
            lost.setdefault(error.path or "", []).append(name)
            continue
        if isinstance(error, PermissionDeniedError):
            denied.setdefault(error.path or "", []).append(name)
            continue
        if isinstance(error, TruncatedError) and error.tensor is not None:
            cut.setdefault(error.path or "", []).append((name, error))
            continue
        if error is not None:
            if error.tensor is None:
                error.tensor = name
            report.problems.append(_problem(error))
            continue
        if digest is not None and report.manifest is not None:
            report.manifest[name] = {"dtype": info.dtype, "shape": list(info.shape), "sha256": digest}
        report.tensors_checked += 1
        report.bytes_checked += info.nbytes
        report.intact.append(name)
    for shard, names in lost.items():  # one line per shard, not one per tensor
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        report.problems.append(Problem(None, shard, "MissingShardError",
                                       f"data shard is missing: {len(names)} tensor(s) cannot be read"
                                       + (f" ({shown})" if names else ""), MISSING_SHARD, names))
    for shard, absent in catalog.unlisted.items():
        if shard not in lost:  # the shard exists and lacks them: the index promises values no file holds
            shown = ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else "")
            report.problems.append(Problem(None, shard, "CorruptCheckpointError",
                                           f"the index puts {len(absent)} tensor(s) in this shard, which does not hold "
                                           f"them, and no other shard does ({shown}): from_pretrained counts them as "
                                           "loaded and says nothing, so their variables keep their initial values",
                                           MISSING_TENSOR, list(absent)))
    for file, errors in cut.items():
        if len(errors) == 1:
            report.problems.append(_problem(errors[0][1]))
            continue
        names = [n for n, _ in errors]
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        report.problems.append(Problem(None, file, "TruncatedError", f"truncated: {len(names)} tensor(s) lie (partly) "
                                       f"beyond the end of the file ({shown}); the first: {errors[0][1].message}",
                                       TRUNCATED, names))
    for shard, names in denied.items():
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        report.problems.append(Problem(None, shard, "PermissionDeniedError",
                                       f"permission denied: this user may not read it, so {len(names)} tensor(s) "
                                       f"were not checked ({shown})", UNREADABLE, names))
    if checksums:
        _check_zip_members(catalog, report, crc_before)
    if expected is not None:
        _compare(report, expected)
    after = _file_states(catalog)
    for file in (f for f, state in before.items() if after.get(f) != state):
        report.problems.insert(0, Problem(None, file, "CheckpointError", "the file changed while it was read (its "
                                          "size or modification time differs from when it was opened): it is being "
                                          "written or replaced; verify again once the writer has finished", CHANGED))
    return report


def _file_states(catalog: Catalog) -> dict[str, tuple[int, int]]:
    """(size, modification time) of each local file of the checkpoint: a file still being written changes."""
    from .formats import _io

    states = {}
    for f in catalog.files:
        if f in catalog.missing_files or _io.is_url(f):
            continue
        try:
            st = os.stat(f)
        except OSError:
            continue
        states[f] = (st.st_size, st.st_mtime_ns)
    return states


def _incomplete_latest(path: str, checked: str) -> list[Problem]:
    """A directory whose state file names an incomplete checkpoint: what tf.train.latest_checkpoint returns and a
    restore reads is damaged, whatever the complete checkpoint checked instead holds."""
    from .formats import _io, discovery

    if _io.is_url(path) or not os.path.isdir(path):
        return []
    try:
        found = discovery.discover(path).recorded_incomplete
    except CheckpointError:
        return []
    if found is None:
        return []
    missing = ", ".join(os.path.basename(f) for f in found.missing_files)
    return [Problem(None, found.missing_files[0], "MissingShardError",
                    f"the state file's latest checkpoint {discovery.display_name(found.prefix)} is incomplete "
                    f"(missing {missing}): tf.train.latest_checkpoint returns it and a restore from it fails; "
                    f"checked instead: {discovery.display_name(checked)}", MISSING_SHARD)]


def _check(info, digest: bool) -> tuple[CheckpointError | None, str | None]:
    """Check one tensor (run in a worker thread): its error, or the sha256 of its values when asked."""
    try:
        if not digest:
            info.check()
            return None, None
        return None, _digest(info.read())
    except CheckpointError as e:
        return e, None


def _what_is_checked(catalog: Catalog) -> tuple[str, bool]:
    if catalog.format == "tf-v2":
        return "CRC32C of every index block and every tensor checked", True
    if catalog.format == "tf-v1":
        return "CRC32C of every table block (they hold the values) checked", True
    if _zip_paths(catalog):
        return "CRC-32 of every zip member checked, values read", True
    if catalog.format == "torch-dcp" and _dcp_chunks_are_zips(catalog):
        return "CRC-32 of every chunk's zip members checked, values read (.metadata stores no checksum)", True
    return NO_CHECKSUMS, False


def _dcp_chunks_are_zips(catalog: Catalog) -> bool:
    """DCP's default serialization: each chunk a torch.save zip, read with its CRC-32s (safetensors: none)."""
    from .formats.torch_dcp import _safetensors_file

    data = [f for f in catalog.files[1:] if f not in catalog.missing_files]
    return bool(data) and not any(_safetensors_file(f) for f in data)


def _zip_paths(catalog: Catalog) -> list[str]:
    """The zip files a checkpoint is: a torch.save file, or each shard of a sharded PyTorch set (behind its JSON
    index); empty when any of its files is something else."""
    from .formats import _zip

    files = [f for f in (catalog.files or (catalog.path,)) if f not in catalog.missing_files]
    sharded = len(files) > 1 and files[0].endswith(".json")
    zips = files[1:] if sharded else files[:1]
    return zips if zips and all(os.path.isfile(f) and _zip.is_zip(f) for f in zips) else []


def _crc_counts(catalog: Catalog) -> dict[str, dict[str, int]]:
    """Per zip file of the checkpoint, how often each member's CRC-32 has passed so far (see _check_zip_members)."""
    from .formats import _zip

    counts = {}
    for path in _zip_paths(catalog):
        try:
            counts[path] = dict(_zip.open_archive(path).crc_passed)
        except CheckpointError:
            pass  # reported by the pass over the members
    return counts


def _check_zip_members(catalog: Catalog, report: VerifyReport, crc_before: dict[str, dict[str, int]]) -> None:
    """Every member's CRC-32, also of members only partly read for the tensors (views) or not read at all; a member
    whose CRC-32 passed while the tensors were checked (``crc_before``: the counts before) is not read again."""
    from .formats import _zip

    paths = _zip_paths(catalog)
    by_member: dict[str, list[str]] = {}  # a shard's tensors are located as `shard:member`
    for name, info in catalog.items():
        by_member.setdefault(info.location, []).append(name)
    for path in paths:
        shard = f"{os.path.basename(path)}:" if len(paths) > 1 or path != catalog.files[0] else ""
        try:
            archive = _zip.open_archive(path)
            before = crc_before.get(path, {})
            for member in archive.names():
                if archive.crc_passed[member] > before.get(member, 0):
                    continue
                try:
                    archive.check(member)
                except CheckpointError as e:
                    names = by_member.get(shard + member, [])
                    unreported = [n for n in names if n in report.intact]  # e.g. views, which read only part
                    if names and not unreported:
                        continue  # reading the tensors already reported it
                    report.intact = [n for n in report.intact if n not in unreported]
                    problem = _problem(e)
                    problem.tensor = unreported[0] if len(unreported) == 1 else None
                    problem.tensors = unreported
                    if isinstance(e, ChecksumError):
                        problem.kind = BAD_CHECKSUM
                    if len(unreported) > 1:
                        problem.message += (f" (tensors {', '.join(unreported[:5])}"
                                            f"{' ...' if len(unreported) > 5 else ''})")
                    report.problems.append(problem)
        except CheckpointError as e:
            report.problems.append(_problem(e))


def _problem(e: CheckpointError) -> Problem:
    if isinstance(e, MissingShardError):
        kind = MISSING_SHARD
    elif isinstance(e, TruncatedError):
        kind = TRUNCATED
    elif isinstance(e, ChecksumError):
        kind = BAD_CHECKSUM if e.tensor is not None else BAD_INDEX
    elif isinstance(e, UnsupportedError):
        kind = UNSUPPORTED
    else:
        kind = CORRUPT
    return Problem(e.tensor, e.path, type(e).__name__, e.message, kind)


# --- content manifests --------------------------------------------------------------------------------------

def _digest(value) -> str:
    """sha256 of a tensor's values: little-endian element bytes in C order; strings as (uint64 length, bytes)."""
    import numpy as np

    h = hashlib.sha256()
    if value.dtype == object:
        for item in value.reshape(-1):
            raw = bytes(item)
            h.update(len(raw).to_bytes(8, "little"))
            h.update(raw)
        return h.hexdigest()
    arr = np.ascontiguousarray(value).reshape(-1)
    if arr.dtype.itemsize > 1 and (arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and
                                                                   sys.byteorder == "big")):
        arr = arr.byteswap()
    h.update(arr.view(np.uint8).data)
    return h.hexdigest()


def _load_manifest(against) -> dict:
    if isinstance(against, dict):
        doc = against
    else:
        path = os.fspath(against)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read the manifest: {e}", path=path) from None
    if not isinstance(doc, dict) or doc.get("ckpt_doctor_manifest") != MANIFEST_VERSION \
            or not isinstance(doc.get("tensors"), dict):
        raise UsageError("not a ckpt-doctor manifest (write one with verify --manifest)",
                              path=None if isinstance(against, dict) else os.fspath(against))
    for name, entry in doc["tensors"].items():  # an edited or foreign file: name the entry, never compare garbage
        if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str) and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("shape"), list) and all(type(d) is int for d in entry["shape"])):
            raise UsageError("manifest entry is not {\"dtype\": str, \"shape\": [int, ...], \"sha256\": str}",
                             path=None if isinstance(against, dict) else os.fspath(against), tensor=name)
    return doc


def _compare(report: VerifyReport, expected: dict) -> None:
    want: dict[str, dict] = expected["tensors"]
    have = report.manifest or {}
    unreadable = {p.tensor for p in report.problems} | {n for p in report.problems for n in p.tensors}
    differs = set()
    for name, entry in want.items():
        if name in unreadable:
            continue  # already reported
        got = have.get(name)
        if got is None:
            message = "listed in the manifest but not in this checkpoint"
        elif [got["dtype"], got["shape"]] != [entry.get("dtype"), entry.get("shape")]:
            message = f"is {got['dtype']}{got['shape']}, the manifest says {entry.get('dtype')}{entry.get('shape')}"
        elif got["sha256"] != entry.get("sha256"):
            message = f"values differ from the manifest (sha256 {got['sha256'][:16]}..., expected " \
                      f"{str(entry.get('sha256'))[:16]}...)"
        else:
            continue
        differs.add(name)
        report.problems.append(Problem(name, None, "ContentMismatch", message, DIFFERS))
    for name in have:
        if name not in want:
            differs.add(name)
            report.problems.append(Problem(name, None, "ContentMismatch", "not in the manifest", DIFFERS))
    report.intact = [n for n in report.intact if n not in differs]
    report.checked += f"; every tensor compared with the manifest of {expected.get('path', '?')} (sha256)"
