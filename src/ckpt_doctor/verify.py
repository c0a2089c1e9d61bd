"""Read every byte of a checkpoint and check every checksum, one tensor at a time (streaming)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

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
           progress: Callable[[str, int], None] | None = None) -> VerifyReport:
    """Read and checksum every tensor; collect every problem instead of stopping at the first.

    Peak memory is about the largest tensor: each value is dropped before the next is read.
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
    for name, info in catalog.items():
        if progress:
            progress(name, info.nbytes)
        try:
            info.read()
        except CheckpointError as e:
            if e.tensor is None:
                e.tensor = name
            report.problems.append(_problem(e))
            continue
        report.tensors_checked += 1
        report.bytes_checked += info.nbytes
    return report


def _problem(e: CheckpointError) -> Problem:
    return Problem(e.tensor, e.path, type(e).__name__, e.message)
