"""One adapter per framework: the live variables behind a ModelSpec, assigned and read back through the
framework's own machinery (``load_state_dict``, ``Variable.assign``, a TF1 session running the variables'
initializers with the value fed in, which is what ``Variable.load`` does).

Frameworks are imported only if the user's code already did (``sys.modules``), like ``model.load``.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from ..errors import ModelError
from ..model.load import from_object
from ..model.spec import ModelSpec, VariableSpec, _strip_output_suffix


class Adapter:
    framework = ""
    spec: ModelSpec

    def prefix_rule(self, catalog):
        """A rule the framework's own loader applies before matching names (Hugging Face's base-model prefix)."""
        return None

    def assign(self, items: list[tuple[VariableSpec, np.ndarray]]) -> None:
        raise NotImplementedError

    def read(self, var: VariableSpec) -> np.ndarray:
        """The variable's current value, read from the framework (a numpy array of the variable's dtype)."""
        raise NotImplementedError

    def storage_key(self, var: VariableSpec):
        """Identity of the memory behind the variable (variables sharing it are tied), or None if unknown."""
        return None

    def fresh(self, var: VariableSpec) -> np.ndarray | None:
        """A freshly initialised value of the variable, if the adapter can make one."""
        return None

    def unbuilt(self, entry, object_root: str | None, rules=None) -> str | None:
        """For an unused checkpoint entry: why the model cannot take it yet (a layer not built), or None."""
        return None

    def close(self) -> None:
        pass


def adapter_for(model: Any, *, root: str | None = None) -> Adapter:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return TorchAdapter(model)
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        if isinstance(model, (tf.compat.v1.Session, tf.Graph)) or _is_var_list(model, tf):
            return TF1Adapter(model, tf)
        from ..model import tf_objects

        if tf_objects.is_trackable(model):
            return TF2Adapter(model, tf, root)
    raise ModelError(f"cannot restore into a {type(model).__module__}.{type(model).__qualname__}: expected a "
                     "torch.nn.Module, a tf.Module / Keras model / tf.train.Checkpoint, or a TF1 session, graph "
                     "or variable list")


def _is_var_list(obj, tf) -> bool:
    return isinstance(obj, (list, tuple)) and bool(obj) and all(isinstance(v, tf.Variable) for v in obj)


# -- PyTorch ----------------------------------------------------------------------------------------------------

_TORCH_VIEWS = {"bfloat16": "int16", "float8_e4m3fn": "uint8", "float8_e5m2": "uint8"}


class TorchAdapter(Adapter):
    framework = "torch"

    def __init__(self, module):
        import torch

        self.torch, self.module = torch, module
        self.spec = from_object(module, source=type(module).__name__)
        self.meta = any(t.is_meta for t in module.state_dict(keep_vars=True).values())
        self._state = None

    def prefix_rule(self, catalog):
        """``from_pretrained``: add ``<base_model_prefix>.`` when the file lacks it and the model expects it,
        strip it in the opposite case."""
        prefix = getattr(self.module, "base_model_prefix", "")
        if not prefix or not hasattr(self.module, "config"):
            return None
        from ..match.rules import Prefix, Rules

        has = any(k.startswith(prefix) for k in catalog)
        expects = hasattr(self.module, prefix)
        if expects and not has:
            return Rules([Prefix("", prefix + ".")])
        if has and not expects:
            return Rules([Prefix(prefix + ".", "")])
        return None

    def _tensor(self, arr: np.ndarray, var: VariableSpec):
        torch = self.torch
        view = _TORCH_VIEWS.get(arr.dtype.name)
        with warnings.catch_warnings():  # read-only arrays: load_state_dict copies them, never writes
            warnings.simplefilter("ignore", UserWarning)
            t = torch.from_numpy(arr.view(view)).view(getattr(torch, arr.dtype.name)) if view else \
                torch.from_numpy(np.ascontiguousarray(arr))
        if self.meta:  # assign=True takes the tensor as it is: give it the model's dtype first
            t = t.to(getattr(torch, var.dtype))
        return t

    def assign(self, items) -> None:
        from .guard import suspended

        state = {var.name: self._tensor(arr, var) for var, arr in items}
        with suspended():
            self.module.load_state_dict(state, strict=False, assign=self.meta)
        self._state = None

    def storage_key(self, var: VariableSpec):
        t = self._live()[var.name]
        return None if t.is_meta else t.untyped_storage().data_ptr()

    def _live(self):
        if self._state is None:
            self._state = self.module.state_dict(keep_vars=True)
        return self._state

    def read(self, var: VariableSpec) -> np.ndarray:
        return self._tensor_to_numpy(self._live()[var.name])

    def _tensor_to_numpy(self, t) -> np.ndarray:
        t = t.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        t = t.contiguous()
        name = str(t.dtype).removeprefix("torch.")
        if name in _TORCH_VIEWS:
            from ..dtypes import to_numpy

            return t.view(getattr(self.torch, _TORCH_VIEWS[name])).numpy().view(to_numpy(name))
        return t.numpy()

    def fresh(self, var: VariableSpec) -> np.ndarray | None:
        if getattr(self, "_fresh", None) is None:
            self._fresh = _fresh_torch(self.module, self.torch)
        t = self._fresh.get(var.name) if self._fresh else None
        if t is None:
            return None
        name = str(t.dtype).removeprefix("torch.")
        return t.float().numpy() if name in _TORCH_VIEWS else t.numpy()


def _fresh_torch(module, torch) -> dict | None:
    """A deep copy of the module re-initialised by its own code: ``reset_parameters`` of every submodule that
    has one, then Hugging Face's ``_init_weights`` where the model defines it."""
    import copy

    try:
        with torch.no_grad():
            clone = copy.deepcopy(module).to("cpu")
            for m in clone.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
            if hasattr(clone, "_init_weights"):
                clone.apply(clone._init_weights)
        return {k: v.detach() for k, v in clone.state_dict().items()}
    except Exception:  # meta tensors, custom modules that cannot be copied: no fresh init, statistics only
        return None


# -- TensorFlow 1 -----------------------------------------------------------------------------------------------

class TF1Adapter(Adapter):
    framework = "tf1"

    def __init__(self, model, tf):
        v1 = tf.compat.v1
        self.tf = tf
        if isinstance(model, v1.Session):
            self.session, graph, variables = model, model.graph, None
        else:
            graph = model if isinstance(model, tf.Graph) else model[0].graph
            variables = list(model) if not isinstance(model, tf.Graph) else None
            self.session = v1.get_default_session()
            if self.session is None or self.session.graph is not graph:
                raise ModelError("a TF1 graph or variable list is restored into a session: pass the session, or "
                                 "call restore inside `with session.as_default():` of a session on that graph")
        if variables is None:
            variables = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
        from ..model import tf_graph

        self.graph = graph
        self.spec = tf_graph.spec(variables if not isinstance(model, (v1.Session, tf.Graph)) else graph,
                                  source=type(model).__name__)
        self.parts: dict[str, list] = {}
        for v in variables:
            info = getattr(v, "_save_slice_info", None)
            self.parts.setdefault(info.full_name if info else _strip_output_suffix(v.name), []).append(v)

    def _slices(self, v):
        info = getattr(v, "_save_slice_info", None)
        if info is None:
            return ()
        return tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape, strict=False))

    def assign(self, items) -> None:
        ops, feed = [], {}
        for var, arr in items:
            for part in self.parts[var.name]:
                init = part.initializer
                ops.append(init)
                feed[init.inputs[1]] = arr[self._slices(part)]
        with self.graph.as_default():
            self.session.run(ops, feed_dict=feed)

    def _assemble(self, var: VariableSpec, tensors) -> np.ndarray:
        parts = self.parts[var.name]
        with self.graph.as_default():
            values = self.session.run([tensors(p) for p in parts])
        if len(parts) == 1 and not self._slices(parts[0]):
            return np.asarray(values[0])
        # zeros where no part lies: a TF1 optimizer's slot of one part of a partitioned variable holds that part
        # only, and is read from a checkpoint so (formats/tf_bundle.py)
        out = np.zeros(var.shape, dtype=values[0].dtype)
        for p, value in zip(parts, values, strict=False):
            out[self._slices(p)] = value
        return out

    def storage_key(self, var: VariableSpec):
        return id(self.parts[var.name][0])

    def read(self, var: VariableSpec) -> np.ndarray:
        return self._assemble(var, lambda p: p)  # the variable's own read of its value: no new op per call

    def fresh(self, var: VariableSpec) -> np.ndarray | None:
        try:
            return self._assemble(var, lambda p: p.initial_value)
        except Exception:  # an initializer that depends on a placeholder or another variable's value
            return None


# -- TensorFlow 2 objects -----------------------------------------------------------------------------------------

class TF2Adapter(Adapter):
    framework = "tf2"

    def __init__(self, model, tf, root):
        from ..model import tf_objects

        self.tf, self.model = tf, model
        self.spec = tf_objects.spec(model, root=root, source=type(model).__name__)
        self.objects: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}
        view = tf.train.TrackableView(model)
        queue, seen = [("", model)], {id(model)}
        self.objects[""] = model
        for path, obj in queue:  # breadth first, first path wins: the paths a checkpoint of the model has
            try:
                children = view.children(obj)
            except Exception:  # an object that cannot list its children holds nothing we can assign
                continue
            for name, child in children.items():
                p = f"{path}/{name}" if path else name
                if _is_tf2_variable(child):
                    # every path to a variable: a Keras optimizer lists the model's at shorter paths
                    # (`optimizer/_trainable_variables/N`) than the model's own, by which the spec names them
                    self.variables.setdefault(p, child)
                    self.objects.setdefault(p, child)
                    continue
                if id(child) in seen:
                    continue
                seen.add(id(child))
                self.objects[p] = child
                queue.append((p, child))
        owners = {v.name: v for v in self.spec.variables}  # a tied alias has its owner's variable

        def handle(v: VariableSpec):
            v = owners.get(v.tied_to, v) if v.tied_to else v
            return next((self.variables[p] for p in (v.object_path, *v.aliases) if p in self.variables), None)

        self.handles = {v.name: handle(v) for v in self.spec.variables}
        if any(h is None for h in self.handles.values()):
            # variables TensorFlow's object graph does not reach (a Keras 3 model's plain list of layers, which a
            # .keras file holds but tf.train.Checkpoint does not): by the name the spec gives them, Keras 3's
            # `variable.path` (tf-keras: the name without `:0`)
            named = {}
            for v in list(getattr(model, "variables", None) or ()) + list(getattr(model, "weights", None) or ()):
                for key in (getattr(v, "path", None), str(getattr(v, "name", "")).split(":")[0]):
                    if key:
                        named.setdefault(key, v)
            for v in self.spec.variables:
                if self.handles[v.name] is None:
                    self.handles[v.name] = named.get(v.tied_to or v.name)
        missing = [v.name for v, h in zip(self.spec.variables, self.handles.values(), strict=False) if h is None]
        if missing:
            raise ModelError(f"cannot find the live variables behind {', '.join(missing[:4])} in the model")

    def assign(self, items) -> None:
        for var, arr in items:
            self.handles[var.name].assign(arr)

    def read(self, var: VariableSpec) -> np.ndarray:
        return np.asarray(self.handles[var.name].numpy())

    def storage_key(self, var: VariableSpec):
        return id(self.handles[var.name])

    def unbuilt(self, entry, object_root: str | None, rules=None) -> str | None:
        path = entry.object_path
        if not path:
            return None
        candidates = [path[len(object_root) + 1:] if object_root and path.startswith(object_root + "/") else path]
        if "/" in path:
            candidates.append(path.split("/", 1)[1])  # under the root object tf.train.Checkpoint(model=...) added
        if rules is not None:
            candidates += [x for x in (rules.rename(c) for c in list(candidates)) if x]
            candidates += [x for x in (rules.rename(path),) if x]
        for candidate in candidates:
            head, _, attribute = candidate.rpartition("/")
            owner = self.objects.get(head)
            if owner is None:
                continue
            if getattr(owner, "built", True) is False:
                return f"`{head}` ({type(owner).__name__}) is not built yet: it has no `{attribute}`"
            if attribute in getattr(owner, "__dict__", {}) and getattr(owner, attribute) is None:
                return f"`{head}.{attribute}` is None: the variable is not created yet"
        return None


def _is_tf2_variable(obj) -> bool:
    tf = sys.modules["tensorflow"]
    if isinstance(obj, tf.Variable):
        return True
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, getattr(keras, "Variable", ()))
