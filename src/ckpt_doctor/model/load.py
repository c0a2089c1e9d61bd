"""Turning whatever the user points at into a ModelSpec: a JSON spec, ``file.py:function`` or
``package.module:function`` (a builder called with no arguments), another checkpoint, or a live model object.

Frameworks are never imported here unless the user's own code did so first: live objects are recognised
through ``sys.modules`` (the einops approach), so a PyTorch user never pays for TensorFlow and vice versa.
"""

from __future__ import annotations

import functools
import glob
import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from ..catalog import Catalog, is_counter_name
from ..errors import CheckpointError, ModelError
from ..formats._io import local_path
from .spec import SPEC_FORMAT, ModelSpec, VariableSpec

_BUILDER = re.compile(r"^(?P<target>.+?):(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")


def load_model(model: Any, *, root: str | None = None) -> ModelSpec:
    """A ModelSpec for ``model``: a ModelSpec, JSON spec path, builder reference, checkpoint (path or Catalog),
    or live model (tf.Module / Keras model / tf.train.Checkpoint, torch.nn.Module, TF1 graph, state dict).

    ``root`` is the name under which a TF2 object is attached to its ``tf.train.Checkpoint`` (``"model"`` for
    ``tf.train.Checkpoint(model=m)``, ``""`` for ``Checkpoint(root=m)`` and Keras ``save_weights``); None lets
    the comparison pick the root that the checkpoint uses.
    """
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, Catalog):
        return from_catalog(model)
    if isinstance(model, (str, os.PathLike)):
        return _from_reference(local_path(os.fspath(model)), root)  # (`file://` names a local path, as for checkpoints)
    return from_object(model, root=root, source=type(model).__name__)


def _config_is_no_model(ref: str, doc: dict) -> str:
    """A Hugging Face config.json (or a PEFT adapter_config.json) given as --model: it names a model class and its
    sizes, not its variables; the builder that makes the model from it is one line."""
    directory = os.path.dirname(ref) or "."
    if "peft_type" in doc:
        return (f"--model names a PEFT adapter config ({doc.get('peft_type')}), not a model: give a builder that "
                "returns the PEFT model (build.py:build with `return PeftModel.from_pretrained(base_model, "
                f"{directory!r})`), or a spec written from it by ckpt-doctor spec")
    kind = ", ".join(doc.get("architectures") or []) or doc.get("model_type")
    return (f"--model names a transformers config ({kind}), which gives the model's sizes, not its variables: give a "
            "builder (build.py:build with `return AutoModel.from_config(AutoConfig.from_pretrained("
            f"{directory!r}))`, or the task class you load), or a spec written from it by ckpt-doctor spec")


def _rule_file(ref: str, doc: Any) -> bool:
    """Whether ``ref`` is a ckpt-doctor rule file (given as --model instead of --rules)."""
    if isinstance(doc, dict):
        return doc.get("format") == "ckpt-doctor-rules" or ("rules" in doc and "variables" not in doc)
    if ref.endswith((".yaml", ".yml")) and os.path.isfile(ref):
        try:
            with open(ref, encoding="utf-8") as f:
                head = f.read(1 << 16)
        except (OSError, UnicodeDecodeError):
            return False
        return "ckpt-doctor-rules" in head or head.lstrip().startswith("rules:") or "\nrules:" in head
    return False


_RULES_AS_MODEL = ("--model names a rule file (it maps checkpoint names to model names): pass it as --rules; --model "
                   "is the model: a JSON spec, path/to/file.py:function, package.module:function or a checkpoint")


def _from_reference(ref: str, root: str | None) -> ModelSpec:
    doc: Any = None
    if ref.endswith(".json") and os.path.isfile(ref):
        try:
            with open(ref, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ModelError(f"cannot read model spec: {e}", path=ref) from None
        if isinstance(doc, dict) and (doc.get("format") == SPEC_FORMAT or "variables" in doc):
            spec = ModelSpec.from_json(doc, source=ref)
            if root is not None:
                spec.object_root = root
            return spec
        if isinstance(doc, dict) and ("model_type" in doc or "architectures" in doc or "peft_type" in doc):
            raise ModelError(_config_is_no_model(ref, doc), path=ref)
    if _rule_file(ref, doc):
        raise ModelError(_RULES_AS_MODEL, path=ref)
    m = _BUILDER.match(ref)
    if m and not os.path.exists(ref) and (m["target"].endswith(".py") or _is_module_name(m["target"])):
        return from_object(_call_builder(m["target"], m["function"]), root=root, source=ref)
    if ref.endswith(".py") and os.path.isfile(ref):
        raise ModelError(f"--model {ref} names a Python file but no function: write {ref}:build, where build() "
                         "returns the model", path=ref)
    if os.path.exists(ref) or os.path.exists(ref + ".index") or glob.glob(glob.escape(ref) + "-?????-of-?????"):
        from ..formats import open_checkpoint

        try:
            return from_catalog(open_checkpoint(ref))
        except CheckpointError as e:
            if doc is not None:  # JSON, but neither a spec nor a checkpoint's index
                raise ModelError("--model names a JSON file that is not a model spec (a spec is an object with a "
                                 "\"variables\" list: ckpt-doctor spec --model BUILDER -o spec.json writes one) and "
                                 "not a checkpoint index", path=ref) from None
            raise ModelError(f"--model names a file that is neither a model spec nor a readable checkpoint: "
                             f"{e.message}", path=ref) from None
    raise ModelError("--model must be a JSON spec, path/to/file.py:function, package.module:function or a "
                     "checkpoint; nothing by this name exists" + _nearest(ref), path=ref)


def _nearest(ref: str) -> str:
    """``; nearest existing: ...`` for a mistyped file name (``spec.jsn`` for ``spec.json``), else nothing."""
    import difflib  # only for this message

    path = ref.split(":", 1)[0] if ":" in ref and not os.path.exists(ref) else ref
    parent = os.path.dirname(path) or "."
    try:
        names = [e for e in os.listdir(parent) if not e.startswith(".")]
    except OSError:
        return ""
    close = difflib.get_close_matches(os.path.basename(path), names, n=3, cutoff=0.6)
    return f"; nearest existing: {', '.join(os.path.join(parent, n) for n in close)}" if close else ""


def _is_module_name(s: str) -> bool:
    return all(part.isidentifier() for part in s.split("."))


def _call_builder(target: str, function: str):
    _quiet_tensorflow()
    argv = sys.argv
    # A training script that parses sys.argv when imported must not see ckpt-doctor's arguments: it sees none, as
    # under `python model.py`; one that exits anyway is a model that cannot be built, not a silent exit.
    sys.argv = [target]
    try:
        with _quiet_stderr_fd():
            return _call_builder_loud(target, function)
    except SystemExit as e:
        raise ModelError(f"the model's module or {function}() called sys.exit({e.code!r}) (an argument parser run "
                         "at import?); have the builder take no command-line arguments", path=target) from None
    finally:
        sys.argv = argv


class _quiet_stderr_fd:
    """The lines TensorFlow's C++ runtime writes to fd 2 before its log level applies (absl's "All log messages
    before absl::InitializeLog()", "Could not find cuda drivers") are dropped; every other line is passed on."""

    _NOISE = ("absl::InitializeLog", "cudart_stub.cc", "cuda_executor", "cpu_feature_guard", "oneDNN custom "
              "operations", "TensorFlow binary is optimized", "tensorflow/core/util/port.cc", "computation placer",
              "Unable to register cu", "rebuild TensorFlow with the appropriate compiler flags", "cuInit")

    def __enter__(self):
        import tempfile

        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            self.tmp = tempfile.TemporaryFile()
            os.dup2(self.tmp.fileno(), 2)
        except (OSError, ValueError):  # no real fd 2 (embedded interpreters, some test runners)
            self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is None:
            return False
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.tmp.seek(0)
        for line in self.tmp.read().decode("utf-8", "replace").splitlines(keepends=True):
            if not any(n in line for n in self._NOISE):
                sys.stderr.write(line)
        self.tmp.close()
        return False


def _call_builder_loud(target: str, function: str):
    if target.endswith(".py"):
        if not os.path.isfile(target):
            raise ModelError("model builder file does not exist" + _nearest(target), path=target)
        directory = os.path.dirname(os.path.abspath(target))
        if directory not in sys.path:
            sys.path.insert(0, directory)  # so the builder can import its neighbours
        name = "_ckpt_doctor_model_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(target))[0])
        spec = importlib.util.spec_from_file_location(name, target)
        assert spec is not None and spec.loader is not None  # a .py file always gets a source file loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        runner: Callable[[], ModuleType | None] = functools.partial(spec.loader.exec_module, module)
    else:
        module = None
        runner = functools.partial(importlib.import_module, target)
    try:
        loaded = runner()
        module = module or loaded
    except ModuleNotFoundError as e:
        raise ModelError(_missing_framework(e) or f"cannot import the model's module: {e}", path=target) from None
    except Exception as e:
        raise ModelError(f"importing the model's module raised {_describe(e, target)}", path=target) from None
    fn = getattr(module, function, None)
    if not callable(fn):
        import difflib

        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        close = difflib.get_close_matches(function, names, n=3, cutoff=0.6)
        hint = f"; nearest: {', '.join(close)}" if close else ""
        raise ModelError(f"{target} has no function {function!r}{hint}", path=target)
    scopes = _variable_scope_snapshot()
    tf = sys.modules.get("tensorflow")
    how = "when run eagerly" if tf is None or tf.executing_eagerly() else "in the default graph"
    try:
        result = fn()
    except ModuleNotFoundError as e:
        _restore_variable_scopes(scopes)
        raise ModelError(_missing_framework(e) or f"the model builder raised {_describe(e, target)}",
                         path=target) from None
    except Exception as e:
        _restore_variable_scopes(scopes)  # a TF1 builder failing eagerly leaves its variable_scope entered
        graph = _in_tf1_graph(fn)  # TF1 code (placeholders, sessions) fails eagerly but is fine in a graph
        if isinstance(graph, BaseException):  # failed in the graph too: that error is the telling one
            raise ModelError(f"the model builder {function}() raised {_describe(graph, target)} (in a TF1 graph; "
                             f"{how} it raised {type(e).__name__}: {_first_line(e)}){_keras_hint(graph, e)}",
                             path=target) from None
        if graph is None:
            raise ModelError(f"the model builder {function}() raised {_describe(e, target)}{_keras_hint(e)}",
                             path=target) from None
        if graph is _NO_VARIABLES:
            raise ModelError(f"the model builder {function}() built no variables in a TF1 graph (and raised "
                             f"{type(e).__name__} {how})", path=target) from None
        return graph
    tf = sys.modules.get("tensorflow")
    if result is None and tf is not None and not tf.compat.v1.get_default_graph().get_collection("variables"):
        # TF1-style code run eagerly keeps no variable collections: build it again into a graph of its own.
        graph = _in_tf1_graph(fn)
        if isinstance(graph, BaseException):
            raise ModelError(f"the model builder {function}() raised {_describe(graph, target)} when built into a "
                             f"TF1 graph{_keras_hint(graph)}", path=target) from None
        if graph is _NO_VARIABLES:
            raise ModelError(f"the model builder {function}() built no variables", path=target)
        return graph
    return result


_NO_VARIABLES = object()


def _variable_scope_snapshot():
    """TF keeps eager variable-scope and name-scope state in process-wide places that a builder failing inside
    ``variable_scope`` leaves entered; remember them (best effort: these are TensorFlow internals)."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    try:
        from tensorflow.python.eager import context

        store = tf.compat.v1.get_default_graph().get_collection(("__varscope",))
        store = store[0] if store else None
        scopes = (store, store.current_scope, dict(store.variable_scopes_count)) if store is not None else None
        return scopes, context.context(), context.context().scope_name
    except Exception:  # the internals changed: nothing to restore
        return None


def _restore_variable_scopes(snapshot) -> None:
    if snapshot is None:
        return
    scopes, ctx, scope_name = snapshot
    if scopes is not None:
        store, scope, counts = scopes
        store.current_scope = scope
        store.variable_scopes_count.clear()
        store.variable_scopes_count.update(counts)
    ctx.scope_name = scope_name


def _in_tf1_graph(fn):
    """Run a TF1 builder in a fresh graph: the graph, _NO_VARIABLES if it built none, the exception if it failed,
    None if TensorFlow is not in use."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    # (in graph mode too: a TF1 builder that disabled eager execution the first time it ran built into the default
    # graph, where a second run finds its variables already there)
    graph = tf.Graph()
    try:
        with graph.as_default():
            fn()
    except Exception as e:
        return e
    return graph if graph.get_collection("variables") else _NO_VARIABLES


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [""])[0][:200]


def _keras_hint(*errors: BaseException) -> str:
    """Code written for Keras 2 fails under Keras 3, the default Keras of TensorFlow >= 2.16."""
    text = " ".join(str(e) for e in errors)
    if "Keras 3" in text or "keras 3" in text or "tf_keras" in text:
        return ("; this code needs Keras 2: pip install tf-keras and run with TF_USE_LEGACY_KERAS=1 "
                "(e.g. TF_USE_LEGACY_KERAS=1 ckpt-doctor ...)")
    return ""


def _quiet_tensorflow() -> None:
    """TensorFlow's C++ log lines and Python deprecation warnings would bury the report on stderr: silence them
    before the user's code imports TensorFlow (an explicit TF_CPP_MIN_LOG_LEVEL is kept)."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    for module in ("tensorflow", "tf_keras", "keras", "absl", "h5py"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)


def _describe(e: BaseException, target: str | None = None) -> str:
    """The exception and where it happened, in the user's builder file if the traceback passes through it."""
    frames = traceback.extract_tb(e.__traceback__)
    own = [f for f in frames if target and os.path.abspath(f.filename) == os.path.abspath(target)]
    frame = own[-1] if own else frames[-1] if frames else None
    where = f" at {os.path.basename(frame.filename)}:{frame.lineno}" if frame else ""
    return f"{type(e).__name__}: {e}{where}"


_EXTRAS = {"tensorflow": "tf", "tf_keras": "keras", "keras": "keras", "h5py": "keras", "torch": "torch"}


def _missing_framework(e: ModuleNotFoundError) -> str | None:
    top = (e.name or "").split(".")[0]
    if top in _EXTRAS:
        return f"the model needs {top}, which is not installed: pip install ckpt-doctor[{_EXTRAS[top]}]"
    return None


def from_object(obj: Any, *, root: str | None = None, source: str = "") -> ModelSpec:
    """A ModelSpec for a live object (see ``load_model``)."""
    if isinstance(obj, ModelSpec):
        return obj
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        from . import torch_module

        return _non_empty(torch_module.spec(obj, source), source)
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        from . import tf_graph, tf_objects

        if obj is None or isinstance(obj, tf.Graph) or _is_variable_list(obj, tf):
            return _non_empty(tf_graph.spec(obj, source), source)
        if tf_objects.is_trackable(obj):
            return _non_empty(tf_objects.spec(obj, root=root, source=source), source)
    if isinstance(obj, Mapping) and obj and all(hasattr(v, "shape") and hasattr(v, "dtype") for v in obj.values()):
        return _non_empty(_from_state_dict(obj, source), source)
    if obj is None:
        raise ModelError("the model builder returned None and no TensorFlow graph variables exist; return the "
                         "model (tf.Module, Keras model, torch.nn.Module) or build TF1 variables in the default "
                         "graph", path=source or None)
    raise ModelError(f"the model builder returned a {type(obj).__module__}.{type(obj).__qualname__}, which is not a "
                     "model ckpt-doctor understands (expected a tf.Module, Keras model, tf.train.Checkpoint, "
                     "torch.nn.Module, TF1 graph or a state dict)", path=source or None)


def _is_variable_list(obj, tf) -> bool:
    return isinstance(obj, (list, tuple)) and bool(obj) and all(isinstance(v, tf.Variable) for v in obj)


def _non_empty(spec: ModelSpec, source: str) -> ModelSpec:
    if not spec.variables:
        raise ModelError("the model has no variables yet (build it first, e.g. call it once on an input or "
                         "model.build(input_shape))", path=source or None)
    return spec


def _dtype_name(dtype: Any) -> str:
    name = str(dtype).removeprefix("torch.")
    return {"half": "float16", "float": "float32", "double": "float64"}.get(name, name)


def _from_state_dict(state: Mapping, source: str) -> ModelSpec:
    variables = [VariableSpec(name=str(k), shape=tuple(int(d) for d in v.shape), dtype=_dtype_name(v.dtype),
                              kind="counter" if is_counter_name(str(k)) else "variable", index=i)
                 for i, (k, v) in enumerate(state.items())]
    return ModelSpec(variables, framework="state_dict", restore="name", source=source)


def from_catalog(catalog: Catalog) -> ModelSpec:
    """Treat a checkpoint as the model (compare two checkpoints): every entry but the object graph."""
    variables: list[VariableSpec] = []
    object_based = any(t.object_path for t in catalog.values())
    for info in catalog.values():
        if info.kind == "object_graph":
            continue
        variables.append(VariableSpec(name=info.full_name or info.object_path or info.name, shape=info.shape,
                                      dtype=info.dtype, object_path=info.object_path, kind=info.kind,
                                      index=len(variables)))
    # a Keras 3 file as the model: its variables are known by their Keras paths only
    framework = "keras3" if catalog.format in ("keras3-weights", "keras-zip") else "checkpoint"
    return ModelSpec(variables, framework=framework, restore="object" if object_based else "name",
                     source=catalog.path)
