"""Read every byte of a checkpoint and check every checksum, one tensor at a time (streaming)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ._parallel import ordered_map
from .catalog import Catalog
from .errors import CheckpointError
from .formats import open_checkpoint


@dataclass
class Problem:
    tensor: str | None
    file: str | None
    error: str  # exception class name, e.g. "ChecksumError"
    message: str


@dataclass
class VerifyReport:
    path: str
    format: str | None
    tensors_checked: int = 0
    bytes_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {"path": self.path, "format": self.format, "ok": self.ok, "tensors_checked": self.tensors_checked,
                "bytes_checked": self.bytes_checked, "problems": [vars(p) for p in self.problems]}


def verify(checkpoint: str | os.PathLike | Catalog,
           progress: Callable[[str, int], None] | None = None, *, jobs: int = 1) -> VerifyReport:
    """Read and checksum every tensor; collect every problem instead of stopping at the first.

    ``jobs`` tensors are read at a time, in threads. Peak memory is about the ``jobs`` largest tensors: each
    value is dropped as soon as it has been checked.
    """
    try:
        catalog = checkpoint if isinstance(checkpoint, Catalog) else open_checkpoint(checkpoint)
    except CheckpointError as e:
        report = VerifyReport(os.fspath(checkpoint), None)
        report.problems.append(_problem(e))
        return report
    report = VerifyReport(catalog.path, catalog.format)
    for missing in catalog.missing_files:
        report.problems.append(Problem(None, missing, "MissingShardError", "data shard is missing"))
    for (name, info), error in zip(catalog.items(), ordered_map(_check, catalog.values(), jobs)):
        if progress:
            progress(name, info.nbytes)
        if error is not None:
            if error.tensor is None:
                error.tensor = name
            report.problems.append(_problem(error))
            continue
        report.tensors_checked += 1
        report.bytes_checked += info.nbytes
    return report


def _check(info) -> CheckpointError | None:
    try:
        info.check()
    except CheckpointError as e:
        return e
    return None


def _problem(e: CheckpointError) -> Problem:
    return Problem(e.tensor, e.path, type(e).__name__, e.message)
