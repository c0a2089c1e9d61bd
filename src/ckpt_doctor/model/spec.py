"""The model side of a diagnosis, independent of any framework, and its JSON file format.

JSON spec format (``ckpt-doctor spec`` writes it; ``--model spec.json`` reads it)::

    {"format": "ckpt-doctor-model-spec", "version": 1,
     "framework": "tf1" | "tf2" | "torch" | "checkpoint" | "keras3" | "json",   # optional, informative
     "restore": "name" | "object",      # how the model looks values up (optional, default "name")
     "object_root": "model" | "" | null,  # object restore: the model's name in its tf.train.Checkpoint
                                        #   (null or absent: whatever root the checkpoint uses)
     "casts_dtypes": true,              # optional: restore converts dtypes (PyTorch's load_state_dict does)
     "loader": "keras3",                # optional: the way of loading (saver, checkpoint, keras-h5, ...)
     "base_model_prefix": "bert",       # optional, Hugging Face models: the prefix from_pretrained adds or strips
     "variables": [                     # in creation order
        {"name": "dense/kernel",        # required: the name used by name-based restore (TF1 Saver key,
                                        #   TF variable name without ":0", PyTorch state_dict key)
         "shape": [784, 128],           # required
         "dtype": "float32",            # required, numpy-style ("float32", "bfloat16", "int64", ...)
         "object_path": "model/layer_with_weights-0/kernel",   # optional: TF2 object-based restore path
         "aliases": ["optimizer/_trainable_variables/0"],      # optional: other object paths to it (TF2)
         "trainable": true,             # optional, default true
         "keys": {"keras3": "layers/dense/vars/0"},  # optional: what a loader pairs it by (model/loaders.py)
         "tied_to": "shared.weight",    # optional: an earlier variable whose storage this one shares (tied
                                        #   weights: one value under two names); older specs wrote it in "keys"
         "kind": "variable"}]}          # optional: "variable" (a model weight, default), "buffer" (state such
                                        #   as BatchNorm statistics: restored like weights), or bookkeeping:
                                        #   "slot", "optimizer", "counter" (never counted as model weights)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..catalog import BOOKKEEPING_KINDS
from ..dtypes import BITS
from ..errors import ModelError, UsageError
from .loaders import LOADERS, check_applies

SPEC_FORMAT = "ckpt-doctor-model-spec"
KINDS = {"variable", "buffer", *BOOKKEEPING_KINDS}
RESTORE_MODES = {"name", "object"}


@dataclass
class VariableSpec:
    """One model variable as a checkpoint sees it: name, shape, dtype, TF2 object path, kind (variable / buffer /
    slot / counter), the keys each loader pairs it by, and the variable it is tied to."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    object_path: str | None = None
    trainable: bool = True
    kind: str = "variable"
    index: int = 0  # creation order
    # Keys a loader pairs this variable by, when they are not its name or object path: "keras-h5" (rank among
    # the layers with weights / position), "keras-h5-by-name" (layer name / position), "keras3" (variable path;
    # a tf-keras model reading a Keras 3 file: "keras3-tfk", with its layer's place in the walk, "keras3-tfk-layer");
    # and what a fix relies on: "position" (index in model.variables).
    keys: dict[str, str] = field(default_factory=dict)
    # The first variable (in the model's order) this one shares its storage with: an alias of it, which holds
    # whatever value the owner holds (tied weights: T5's lm_head.weight and shared.weight).
    tied_to: str | None = None
    # TF2: the other object paths that reach this variable (a Keras optimizer lists the model's trainable variables
    # by position, ``optimizer/_trainable_variables/N``): tf.train.Checkpoint restores through whichever it meets
    # first, breadth first, so a value saved for another variable can arrive through one of them.
    aliases: tuple[str, ...] = ()

    @property
    def is_weight(self) -> bool:
        """A value the model computes with (weights and buffers), as opposed to optimizer state and counters."""
        return self.kind not in BOOKKEEPING_KINDS

    def to_json(self) -> dict[str, Any]:
        """This variable as one entry of the spec JSON's ``variables``."""
        out: dict[str, Any] = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.object_path:
            out["object_path"] = self.object_path
        if not self.trainable:
            out["trainable"] = False
        if self.kind != "variable":
            out["kind"] = self.kind
        if self.keys:
            out["keys"] = dict(self.keys)
        if self.tied_to:
            out["tied_to"] = self.tied_to
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


@dataclass
class ModelSpec:
    """A model described without its framework: its variables in creation order, how it restores (by name or
    object path) and the loader its checkpoints go through; ``to_json``/``save`` write the ``spec`` JSON."""

    variables: list[VariableSpec]
    framework: str = "json"
    restore: str = "name"  # "object": TF2 object-based restore matches object paths first
    source: str = ""  # where the spec came from, for messages
    notes: list[str] = field(default_factory=list)
    casts_dtypes: bool = False  # PyTorch's load_state_dict copies across dtypes; TF does not
    # Object paths are relative to this root ("model" for tf.train.Checkpoint(model=m), "" for Checkpoint(root=m)
    # and Keras save_weights); None: not chosen by the user, the comparison uses the root the checkpoint uses.
    object_root: str | None = ""
    loader: str | None = None  # the way of loading (model/loaders.py); None: inferred from the checkpoint
    base_model_prefix: str | None = None  # Hugging Face models: from_pretrained adds or strips this prefix

    def __repr__(self) -> str:  # a notebook shows what the spec is, not every variable (to_json() has them)
        source = f" {self.source!r}" if self.source else ""
        return f"<ModelSpec{source} ({self.framework}, restore by {self.restore}): {len(self.variables)} variables>"

    def to_json(self) -> dict[str, Any]:
        """The spec JSON document (``ckpt-doctor spec`` writes it, ``--model spec.json`` reads it)."""
        doc: dict[str, Any] = {"format": SPEC_FORMAT, "version": 1, "framework": self.framework,
                               "restore": self.restore}
        if self.restore == "object":
            doc["object_root"] = self.object_root  # null: whatever root the checkpoint uses
        if self.casts_dtypes:
            doc["casts_dtypes"] = True
        if self.loader:
            doc["loader"] = self.loader
        if self.base_model_prefix:
            doc["base_model_prefix"] = self.base_model_prefix
        doc["variables"] = [v.to_json() for v in self.variables]
        return doc

    def save(self, path: str | os.PathLike) -> None:
        """Write the spec JSON to ``path``, atomically."""
        from .._files import atomic_write_text

        doc = self.to_json()
        rows = ",\n".join("  " + json.dumps(v) for v in doc.pop("variables"))  # one variable per line
        head = json.dumps(doc)[:-1]
        atomic_write_text(path, f'{head}, "variables": [\n{rows}\n]}}\n')

    @classmethod
    def from_json(cls, doc: Any, source: str = "") -> ModelSpec:
        def bad(msg: str) -> ModelError:
            return ModelError(f"invalid model spec: {msg}", path=source or None)

        if not isinstance(doc, dict) or not isinstance(doc.get("variables"), list):
            raise bad('expected an object with a "variables" list')
        if doc.get("format", SPEC_FORMAT) != SPEC_FORMAT:
            raise bad(f'"format" is {doc.get("format")!r}, expected {SPEC_FORMAT!r}')
        restore = doc.get("restore", "name")
        if restore not in RESTORE_MODES:
            raise bad(f'"restore" must be one of {sorted(RESTORE_MODES)}, got {restore!r}')
        if not doc["variables"]:
            raise bad('"variables" is empty: the spec describes no variables')
        object_root = doc.get("object_root", None if restore == "object" else "")
        if object_root is not None and not isinstance(object_root, str):
            raise bad('"object_root" must be a string or null')
        variables, seen = [], set()
        owners: dict[str, VariableSpec] = {}
        for i, v in enumerate(doc["variables"]):
            where = f"variables[{i}]"
            if not isinstance(v, dict):
                raise bad(f"{where} is not an object")
            name, shape, dtype = v.get("name"), v.get("shape"), v.get("dtype")
            if not isinstance(name, str) or not name:
                raise bad(f'{where}: "name" must be a non-empty string')
            if _strip_output_suffix(name) in seen:
                raise bad(f"{where}: duplicate name {_strip_output_suffix(name)!r}")
            seen.add(_strip_output_suffix(name))
            if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                      for d in shape):
                raise bad(f'{where} ({name}): "shape" must be a list of non-negative integers')
            if not isinstance(dtype, str) or not dtype:
                raise bad(f'{where} ({name}): "dtype" must be a string such as "float32"')
            if dtype not in BITS:  # a typo would otherwise be reported as the checkpoint's dtype "differing"
                raise bad(f'{where} ({name}): unknown "dtype" {dtype!r} (canonical names such as "float32", '
                          f'"bfloat16", "int64")')
            if not isinstance(v.get("trainable", True), bool):
                raise bad(f'{where} ({name}): "trainable" must be true or false')
            kind = v.get("kind", "variable")
            if kind not in KINDS:
                raise bad(f'{where} ({name}): "kind" must be one of {sorted(KINDS)}, got {kind!r}')
            path = v.get("object_path")
            if path is not None and not isinstance(path, str):
                raise bad(f'{where} ({name}): "object_path" must be a string')
            aliases = v.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
                raise bad(f'{where} ({name}): "aliases" must be a list of object paths')
            keys = v.get("keys", {})
            if not isinstance(keys, dict) or not all(isinstance(x, str) for kv in keys.items() for x in kv):
                raise bad(f'{where} ({name}): "keys" must map loader names to strings')
            keys = dict(keys)
            tied_to = v.get("tied_to", keys.pop("tied_to", None))  # earlier specs kept it among the "keys"
            owner = owners.get(_strip_output_suffix(tied_to)) if isinstance(tied_to, str) else None
            if tied_to is not None and owner is None:
                raise bad(f'{where} ({name}): "tied_to" must name an earlier variable, got {tied_to!r}')
            if owner is not None and owner.shape != tuple(shape):
                raise bad(f'{where} ({name}): tied to {owner.name}, whose shape {list(owner.shape)} differs')
            variables.append(VariableSpec(name=_strip_output_suffix(name), shape=tuple(shape), dtype=dtype,
                                          object_path=path, trainable=bool(v.get("trainable", True)), kind=kind,
                                          index=i, keys=keys, tied_to=owner.tied_to or owner.name if owner else None,
                                          aliases=tuple(aliases)))
            owners[variables[-1].name] = variables[-1]
        prefix = doc.get("base_model_prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise bad('"base_model_prefix" must be a string or null')
        if not isinstance(doc.get("casts_dtypes", False), bool):
            raise bad('"casts_dtypes" must be true or false')
        loader = doc.get("loader")
        if loader is not None and loader not in LOADERS:
            raise bad(f'"loader" must be one of {sorted(LOADERS)}, got {loader!r}')
        if loader is not None:
            try:
                check_applies(loader, doc.get("framework", "json"))
            except UsageError as e:
                raise bad(f'"loader": {e.message}') from None
        return cls(variables, framework=doc.get("framework", "json"), restore=restore, source=source,
                   object_root=object_root, casts_dtypes=bool(doc.get("casts_dtypes", False)), loader=loader,
                   base_model_prefix=doc.get("base_model_prefix") or None)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ModelSpec:
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except OSError as e:
            raise ModelError(f"cannot read model spec: {e.strerror}", path=path) from None
        except json.JSONDecodeError as e:
            raise ModelError(f"model spec is not valid JSON: {e}", path=path) from None
        return cls.from_json(doc, source=path)


def _strip_output_suffix(name: str) -> str:
    """TF variable names carry the output index (``dense/kernel:0``); checkpoints never do."""
    head, sep, tail = name.rpartition(":")
    return head if sep and tail.isdigit() else name
