"""ckpt-doctor: read, verify and diagnose checkpoints without importing their frameworks.

Public names are resolved on first use (PEP 562), so ``import ckpt_doctor`` and the command line stay fast:
listing a checkpoint does not pay for the alignment engine, and nothing here imports a framework.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "open_checkpoint": ".formats",
    "latest_checkpoint": ".formats.discovery",
    "discover": ".formats.discovery",
    "verify": ".verify",
    "diagnose": ".api",
    "align": ".api",
    "Catalog": ".catalog",
    "TensorInfo": ".catalog",
    "Diagnosis": ".match.compare",
    "Alignment": ".match.align",
    "Rules": ".match.rules",
    "RuleError": ".match.rules",
    "Prefix": ".match.rules",
    "Regex": ".match.rules",
    "Rename": ".match.rules",
    "Renumber": ".match.rules",
    "Drop": ".match.rules",
    "Transform": ".match.rules",
    "ModelSpec": ".model.spec",
    "VariableSpec": ".model.spec",
    "load_model": ".model.load",
    "CheckpointError": ".errors",
    "CheckpointNotFoundError": ".errors",
    "ChecksumError": ".errors",
    "CorruptCheckpointError": ".errors",
    "MissingShardError": ".errors",
    "ModelError": ".errors",
    "TensorNotFoundError": ".errors",
    "UnsupportedError": ".errors",
    "UnsafePickleError": ".errors",
    "TruncatedError": ".errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ckpt_doctor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
