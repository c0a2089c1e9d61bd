"""ckpt-doctor: read, verify and diagnose checkpoints without importing their frameworks.

Public names are resolved on first use (PEP 562), so ``import ckpt_doctor`` and the command line stay fast:
listing a checkpoint does not pay for the alignment engine, and nothing here imports a framework.

The built-in example (a TF1 checkpoint saved under ``model_scope`` and a model rebuilt under
``different_model_scope``) shows the main verbs:

    >>> import importlib.resources, ckpt_doctor
    >>> seed = importlib.resources.files("ckpt_doctor") / "examples" / "seed"
    >>> ckpt = ckpt_doctor.open_checkpoint(str(seed))          # a directory: its latest checkpoint
    >>> [(name, t.dtype, t.shape) for name, t in ckpt.items()]
    [('model_scope/bias', 'float32', (1,)), ('model_scope/weight', 'float32', (2, 1))]
    >>> ckpt_doctor.verify(ckpt).ok
    True
    >>> d = ckpt_doctor.diagnose(ckpt, str(seed / "changed_model.spec.json"))
    >>> d.ok, d.summary()
    (False, '2 of 2 model variables would keep their initial values; 2 of 2 checkpoint values go unused')
    >>> ckpt_doctor.align(ckpt, str(seed / "changed_model.spec.json")).sentences
    ['scope `model_scope/` was renamed to `different_model_scope/` (2 variables)']
"""

from __future__ import annotations

import importlib
import sys
import types

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
    "rewrite": ".restore.rewrite",
    "salvage": ".restore.rewrite",
    "rewrite_aligned": ".restore.rewrite",
    "write_checkpoint": ".formats.write",
    "CheckpointError": ".errors",
    "CheckpointNotFoundError": ".errors",
    "ChecksumError": ".errors",
    "CorruptCheckpointError": ".errors",
    "MissingShardError": ".errors",
    "ModelError": ".errors",
    "TensorNotFoundError": ".errors",
    "UnsupportedError": ".errors",
    "UnsafePickleError": ".errors",
    "UsageError": ".errors",
    "RestoreError": ".errors",
    "restore": ".restore.verified",
    "RestoreReport": ".restore.verified",
    "check_restored": ".restore.check",
    "RestoreCheck": ".restore.check",
    "guard": ".restore.guard",
    "TruncatedError": ".errors",
    "MissingExtraError": ".errors",
    "NotACheckpointError": ".errors",
    "PermissionDeniedError": ".errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name == "testing":  # ``ckpt_doctor.testing.assert_restored(...)`` after a plain ``import ckpt_doctor``
        return importlib.import_module(".testing", __name__)
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ckpt_doctor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """Importing a submodule binds it as an attribute of its package, which would replace a public function of
    the same name (``verify`` after ``import ckpt_doctor.verify``): the functions keep their names."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in _EXPORTS:
            return  # the submodule stays reachable through sys.modules and ``from ckpt_doctor.x import ...``
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
