"""Restore semantics as data: one record per way of loading a checkpoint into a model.

Each record says how the framework call pairs checkpoint values with model variables (``pairs_by``), what it
does when a value is missing or has another shape, and whether a failure undoes everything (``atomic``). The
comparison (match/compare.py) follows these records; the loader is inferred from the checkpoint's format and the
model's kind, shown in the report header, chosen with ``--load-with`` and recorded in JSON specs.
Facts checked against TF 2.21, Keras 3.15, tf-keras 2.21, PyTorch 2.13 (see docs/restore-semantics.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError


@dataclass(frozen=True)
class Loader:
    name: str  # the --load-with value
    call: str  # the framework call it models
    # the key both sides are matched on: "name" | "object" | "keras-h5" | "keras-h5-by-name" | "keras3" | "keras3-tfk"
    pairs_by: str
    on_missing: str  # what the call does when a model variable has no value
    on_shape: str  # what the call does on a shape mismatch
    atomic: bool = False  # a failure assigns nothing (else everything before or beside the failure is assigned)
    casts_dtypes: bool = False  # values are converted to the variable's dtype on assignment
    strict: bool = True  # a missing value makes the call raise


LOADERS: dict[str, Loader] = {loader.name: loader for loader in (
    Loader("saver", "tf.compat.v1.train.Saver(var_list).restore(sess, path)", "name",
           "NotFoundError; nothing is assigned", "error (ref and eager variables)", atomic=True),
    Loader("init_from_checkpoint", "tf.compat.v1.train.init_from_checkpoint(path, assignment_map)", "name",
           "ValueError at the call; nothing is assigned", "ValueError at the call", atomic=True),
    Loader("checkpoint", "tf.train.Checkpoint(...).restore(path) / tf-keras load_weights(prefix)", "object",
           "silently keeps the initial value", "ValueError; values bound earlier stay", strict=False),
    Loader("keras-h5", "model.load_weights('w.h5') / load_model('m.h5') (layers with weights, in order)",
           "keras-h5", "layer or weight count mismatch: ValueError before anything is assigned",
           "error while assigning; earlier layers are already set", casts_dtypes=True),
    Loader("keras-h5-by-name", "model.load_weights('w.h5', by_name=True)", "keras-h5-by-name",
           "a layer missing from the file is skipped silently", "ValueError before anything is assigned",
           atomic=True, casts_dtypes=True, strict=False),
    Loader("keras3", "Keras 3 model.load_weights('w.weights.h5') / keras.models.load_model('m.keras')", "keras3",
           "that layer fails, the others load; one ValueError at the end",
           "that variable fails (earlier ones of its layer are set), the others load; one ValueError at the end",
           casts_dtypes=True),
    Loader("keras3-tfk", "tf-keras model.load_weights('w.weights.h5') (a Keras 3 file, read by the same paths)",
           "keras3-tfk", "ValueError at that layer; the layers before it are assigned, the rest are not",
           "ValueError at that variable; what came before it is assigned, the rest is not", casts_dtypes=True),
    Loader("torch", "model.load_state_dict(state, strict=True)", "name",
           "RuntimeError after copying everything else", "RuntimeError after copying everything else",
           casts_dtypes=True),
    Loader("torch-nonstrict", "model.load_state_dict(state, strict=False)", "name",
           "reported in missing_keys", "RuntimeError after copying everything else", casts_dtypes=True,
           strict=False),
    Loader("hf", "PreTrainedModel.from_pretrained(dir) (base-model prefix added or stripped)", "name",
           "initialised fresh, with a warning", "RuntimeError unless ignore_mismatched_sizes", casts_dtypes=True,
           strict=False),
    # transformers' TF models read their sharded tf_model.h5 set by variable name without the model's own scope
    # (load_tf_sharded_weights); a weight missing from the file keeps its initial value, with a warning
    Loader("hf-tf", "TFPreTrainedModel.from_pretrained(dir) (sharded tf_model.h5, by variable name without the "
                    "model's own scope)", "name",
           "initialised fresh, with a warning", "ValueError unless ignore_mismatched_sizes", strict=False),
    # A TensorFlow / Keras model has no call of its own that reads a PyTorch, safetensors or NumPy file: naming
    # load_state_dict (and its RuntimeError) would describe a call this model does not have.
    Loader("none", "none: a TensorFlow / Keras model has no call that loads this format; compared by name, the fix "
                   "reads the values with ckpt-doctor and assigns them", "name", "nothing is loaded",
           "nothing is loaded", casts_dtypes=True, strict=False),
)}

_KERAS3_FORMATS = {"keras3-weights", "keras-zip"}
_TF_FORMATS = {"keras-h5", "keras-h5-transformers", *_KERAS3_FORMATS}  # files only a TensorFlow / Keras call loads

# Which loaders can load into a live model of each framework: PyTorch's calls take a torch.nn.Module, TensorFlow's
# and Keras' a TF graph, tf.Module or Keras model. A JSON spec or a checkpoint as model may name any loader.
_TORCH_LOADERS = ("torch", "torch-nonstrict", "hf")
_TF_LOADERS = tuple(name for name in LOADERS if name not in _TORCH_LOADERS)
_FRAMEWORKS = {"torch": ("a PyTorch model", _TORCH_LOADERS), "state_dict": ("a PyTorch state dict", _TORCH_LOADERS),
               "tf1": ("a TF1 graph", _TF_LOADERS), "tf2": ("a TensorFlow / Keras model", _TF_LOADERS),
               "keras3": ("a Keras 3 file", _TF_LOADERS)}


def check_applies(name: str, framework: str, source: str | None = None) -> None:
    """Refuse a loader (``--load-with``, a spec's ``"loader"``) whose call cannot take a model of this framework:
    ``keras3`` for a torch.nn.Module would compare by keys no call of this model ever uses."""
    if framework not in _FRAMEWORKS or name not in LOADERS:
        return
    what, applies = _FRAMEWORKS[framework]
    if name not in applies:
        model = f"{what} ({source})" if source else what
        raise UsageError(f"the loader {name} ({LOADERS[name].call}) cannot load into {model}; the loaders for "
                         f"{what}: {', '.join(applies)}")


def infer_loader(checkpoint_format: str, spec) -> Loader:
    """The call a user of this model most likely makes to load a checkpoint of this format."""
    if spec.loader:
        return LOADERS[spec.loader]
    if spec.framework in ("torch", "state_dict") and checkpoint_format in _TF_FORMATS:
        # no Keras or TensorFlow call loads into a torch.nn.Module (and --load-with keras3 is refused for one):
        # the printed fix reads the file with ckpt-doctor and calls load_state_dict
        return LOADERS["torch"]
    if checkpoint_format == "keras-h5-transformers":  # transformers' sharded TF weights: by name, not layer order
        return LOADERS["hf-tf"]
    if checkpoint_format == "keras-h5":
        has_keys = any("keras-h5" in v.keys for v in spec.variables)
        return LOADERS["keras-h5" if has_keys else "keras-h5-by-name"]
    if checkpoint_format in _KERAS3_FORMATS:
        return LOADERS["keras3-tfk" if any("keras3-tfk" in v.keys for v in spec.variables) else "keras3"]
    if checkpoint_format in ("torch", "safetensors", "numpy", "torch-dcp") and spec.framework in ("tf1", "tf2"):
        return LOADERS["none"]
    if checkpoint_format in ("torch", "safetensors", "numpy") or spec.framework in ("torch", "state_dict"):
        return LOADERS["torch"]
    return LOADERS["checkpoint" if spec.restore == "object" else "saver"]
