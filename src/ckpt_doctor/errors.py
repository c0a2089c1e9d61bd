"""One exception root for everything that can go wrong with a checkpoint.

Every error carries the file (``.path``) and, where one is involved, the tensor (``.tensor``),
so a message can always say *which* file and *which* tensor.
"""

from __future__ import annotations

import os


class CheckpointError(Exception):
    """Root of all ckpt-doctor errors. ``exit_code`` is what the command line returns for it: 1 (a problem
    found) unless a subclass says the input cannot be used as given (2: a usage error, or a file that cannot be
    read)."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | os.PathLike | None = None, tensor: str | None = None):
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.tensor = tensor
        super().__init__(message)

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"file {self.path}")
        if self.tensor is not None:
            where.append(f"tensor {self.tensor!r}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class UsageError(CheckpointError):
    """The request cannot be carried out as given: a path that names nothing, a model that cannot be built,
    an invalid spec or rule file, an option that does not apply. CLI exit code 2."""

    exit_code = 2


class CheckpointNotFoundError(UsageError, FileNotFoundError):
    """The path names no checkpoint (message suggests the nearest existing ones)."""


class MissingShardError(CheckpointError):
    """The index exists but a data shard it needs does not (an incomplete or partly copied checkpoint). Like a
    corrupt file, the input cannot be read: exit code 2 (``verify`` reports it as what it found: exit 1)."""

    exit_code = 2


class CorruptCheckpointError(CheckpointError):
    """The bytes on disk contradict the format: bad magic, truncation, impossible sizes or offsets. A file that
    cannot be read is the user's input, like an empty file: exit code 2 for every command but ``verify``, whose
    finding it is (its report lists it; exit 1)."""

    exit_code = 2


class ChecksumError(CorruptCheckpointError):
    """A stored CRC32C does not match the bytes it protects."""


class UnsupportedError(CheckpointError):
    """A valid checkpoint uses something this reader cannot represent (e.g. DT_VARIANT values)."""


class UnsafePickleError(UnsupportedError):
    """A pickle asks for a global outside the allow-list (e.g. ``os.system``); nothing of it was executed."""


class TensorNotFoundError(CheckpointError, KeyError):
    """A name was looked up that the checkpoint does not hold."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return CheckpointError.__str__(self)


class ModelError(UsageError):
    """The model side could not be obtained: a builder that raises or builds nothing, an invalid spec file,
    a framework extra that is not installed. A usage error (CLI exit code 2)."""


class RestoreError(CheckpointError):
    """A verified restore left model weights without their checkpoint values (or a value read back differs).
    The message is the report's headline and grouped lists; ``.report`` holds the full ``RestoreReport``."""

    def __init__(self, message: str, *, report=None, path: str | os.PathLike | None = None):
        super().__init__(message, path=path)
        self.report = report

    def __str__(self) -> str:  # the report names the checkpoint in its own lines
        return self.message


class TruncatedError(CorruptCheckpointError):
    """The file ends before the bytes its own header or index declares: an interrupted write or partial copy."""


class MissingExtraError(UsageError):
    """Reading this file or model needs an optional package that is not installed; the message names the extra
    (``pip install ckpt-doctor[keras]``). A usage error: nothing is wrong with the file."""


class NotACheckpointError(UnsupportedError):
    """The path is a file, but not a checkpoint in any format ckpt-doctor reads (text, ONNX, TFLite, an empty
    file, ...): the path names no checkpoint, a usage error (exit code 2)."""

    exit_code = 2


class PermissionDeniedError(UsageError, PermissionError):
    """The path exists but this user may not read it (the file's permissions or a directory's on its path):
    nothing is known about the checkpoint, a usage error (exit code 2)."""
