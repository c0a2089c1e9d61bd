"""``guard``: make the frameworks' own load calls report (and in strict mode fail) on weights left unrestored.

Inside ``with ckpt_doctor.guard(strict=True) as g:`` these calls are checked after they return:
``torch.nn.Module.load_state_dict`` (a ``register_load_state_dict_post_hook`` collects the missing and unexpected
keys, also with ``strict=False``; every loaded value is compared with the one given), ``tf.train.Checkpoint
.restore``, ``tf.compat.v1.train.Saver.restore``, Keras 3 and tf-keras ``Model.load_weights`` and Hugging Face
``PreTrainedModel.from_pretrained``. For the last four the check needs no knowledge of their matching rules:
every model weight must hold a value that is in the checkpoint (fingerprints of all values are compared).
On exit, every value loaded inside the block is read again: a weight re-initialised after loading is caught.

Patches are installed when the first guard is entered and the originals put back when the last one exits
(a lock protects both). Checks apply to loads in the thread that entered the guard; other threads run the
original calls unchanged. Loads nested in a checked call (``from_pretrained`` calling ``load_state_dict``) are
checked once, by the outer call.
"""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import RestoreError

_lock = threading.Lock()
_installed: list[tuple[object, str, object]] = []  # (owner, attribute, original)
_entered = 0
_local = threading.local()


@contextmanager
def suspended():
    """Loads inside are not checked (ckpt-doctor's own restore, and calls nested in a checked call)."""
    _local.busy = getattr(_local, "busy", 0) + 1
    try:
        yield
    finally:
        _local.busy -= 1


def _active():
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack and not getattr(_local, "busy", 0) else None


@dataclass
class GuardEvent:
    """One checked load call."""

    call: str
    model: str
    checkpoint: str
    not_restored: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    reinitialised: list[str] = field(default_factory=list)
    checked: int = 0  # weights compared

    @property
    def ok(self) -> bool:
        """Every model weight holds its checkpoint value, and none changed after loading."""
        return not self.not_restored and not self.reinitialised

    def __repr__(self) -> str:  # the verdict line, not every name (message() lists them)
        return f"<GuardEvent {self.message().splitlines()[0]}>"

    def message(self, limit: int = 20) -> str:
        """The verdict, then the names not restored, re-initialised and unused (``limit`` of each)."""
        if self.ok:
            head = f"{self.call}: all {self.checked} model weights hold checkpoint values"
        else:
            head = (f"{self.call}: {len(self.not_restored)} of {self.checked} model weights not restored"
                    + (f", {len(self.reinitialised)} re-initialised after loading" if self.reinitialised else ""))
        lines = [f"{head}; {len(self.unused)} checkpoint values unused ({self.model} <- {self.checkpoint})"]
        for title, items in (("not restored, keep their initial values", self.not_restored),
                             ("changed after loading (re-initialised?)", self.reinitialised),
                             ("checkpoint values unused", self.unused)):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [f"  {x}" for x in items[:limit]] + ([f"  ... and {len(items) - limit} more"]
                                                               if len(items) > limit else [])
        return "\n".join(lines)


class guard:
    """Context manager: check every framework load call made inside it (see the module docstring).

    ``strict=True`` raises ``RestoreError`` right after a load that left weights unrestored, and on exit if a
    loaded weight changed; ``strict=False`` only records. ``g.events`` lists every checked call.
    """

    def __init__(self, strict: bool = True):
        self.strict = strict
        self.events: list[GuardEvent] = []
        self._loaded: list[tuple[GuardEvent, dict]] = []  # event, {name: (read function, fingerprint)}

    def __enter__(self) -> guard:
        global _entered
        with _lock:
            if _entered == 0:
                _install()
            _entered += 1
        _local.stack = getattr(_local, "stack", []) + [self]
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        global _entered
        _local.stack = _local.stack[:-1]
        try:
            if exc_type is None:
                self._recheck()
        finally:
            with _lock:
                _entered -= 1
                if _entered == 0:
                    _uninstall()

    @property
    def ok(self) -> bool:
        """Every checked load call restored every weight, and none changed after loading."""
        return all(e.ok for e in self.events)

    def __repr__(self) -> str:
        bad = sum(not e.ok for e in self.events)
        return (f"<guard strict={self.strict}: {len(self.events)} load call(s) checked"
                + (f", {bad} with weights not restored or changed>" if bad else ", all ok>"))

    def _record(self, event: GuardEvent, loaded: dict) -> None:
        self.events.append(event)
        self._loaded.append((event, loaded))
        if self.strict and not event.ok:
            raise RestoreError(event.message(), path=event.checkpoint)

    def _recheck(self) -> None:
        from .verified import fingerprint

        failed = []
        for event, loaded in self._loaded:
            for name, (read, fp) in loaded.items():
                if fingerprint(read()) != fp:
                    event.reinitialised.append(name)
            if event.reinitialised:
                failed.append(event)
        if failed and self.strict:
            raise RestoreError("\n".join(e.message() for e in failed), path=failed[0].checkpoint)


# -- checks -----------------------------------------------------------------------------------------------------

def _torch_check(module, state_dict, keys) -> None:
    g = _active()
    if g is None:
        return
    from .adapters import TorchAdapter
    from .verified import fingerprint, same_bytes

    adapter = TorchAdapter(module)
    missing, unexpected = keys
    event = GuardEvent("load_state_dict", type(module).__name__, "<state dict>", unused=list(unexpected))
    loaded = {}
    for var in adapter.spec.variables:
        if not var.is_weight:
            continue
        event.checked += 1
        if var.name in missing or var.name not in state_dict:
            event.not_restored.append(var.name)
            continue
        live = adapter.read(var)
        given = state_dict[var.name]
        given = given.detach().to(device="cpu", dtype=adapter._live()[var.name].dtype)
        want = adapter._tensor_to_numpy(given)
        if not same_bytes(live, want):
            event.not_restored.append(f"{var.name} (holds a value other than the one given)")
        else:
            loaded[var.name] = (functools.partial(_fresh_read, adapter, var), fingerprint(live))
    g._record(event, loaded)


def _fresh_read(adapter, var):
    adapter._state = None  # parameters may have been replaced since
    return adapter.read(var)


def _membership_check(call: str, model, checkpoint) -> None:
    """Every model weight must hold a value found in the checkpoint; names and matching rules do not matter."""
    g = _active()
    if g is None:
        return
    from ..formats import open_checkpoint
    from .adapters import adapter_for
    from .verified import _label, fingerprint

    try:
        catalog = open_checkpoint(checkpoint)
    except Exception as e:  # a hub id, a file format we cannot read: say so rather than pass silently
        g.events.append(GuardEvent(call, type(model).__name__, str(checkpoint),
                                   not_restored=[f"not checked: cannot read the checkpoint ({e})"]))
        if g.strict:
            raise RestoreError(g.events[-1].message(), path=str(checkpoint)) from None
        return
    values: dict[tuple, list[str]] = {}
    for key, info in catalog.items():
        if info.kind == "variable" and info.dtype != "string":
            values.setdefault((tuple(info.shape), fingerprint(info.read())), []).append(key)
    adapter = adapter_for(model)
    event = GuardEvent(call, type(model).__name__, catalog.path)
    found, loaded = set(), {}
    for var in adapter.spec.variables:
        if not var.is_weight:
            continue
        event.checked += 1
        live = adapter.read(var)
        fp = fingerprint(live)
        keys = values.get((tuple(live.shape), fp))
        if keys is None:
            event.not_restored.append(_label(var))
        else:
            found.update(keys)
            loaded[_label(var)] = (functools.partial(adapter.read, var), fp)
    event.unused = [k for ks in values.values() for k in ks if k not in found]
    g._record(event, loaded)


# -- patches ----------------------------------------------------------------------------------------------------

def _patch(owner, attribute: str, make) -> None:
    original = owner.__dict__[attribute]
    _installed.append((owner, attribute, original))
    setattr(owner, attribute, make(original))


def _install() -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        _patch(torch.nn.Module, "load_state_dict", _wrap_load_state_dict)
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        _patch(tf.train.Checkpoint, "restore",
               lambda orig: _wrap_after(orig, "tf.train.Checkpoint.restore",
                                        lambda self, a, k: (self, _arg(a, k, 0, "save_path"))))
        _patch(tf.compat.v1.train.Saver, "restore", _wrap_saver)
    for name in ("keras", "tf_keras"):
        keras = sys.modules.get(name)
        model = getattr(keras, "Model", None) if keras is not None else None
        if model is not None and "load_weights" in model.__dict__:
            _patch(model, "load_weights", lambda orig, name=name: _wrap_after(
                orig, f"{name}.Model.load_weights", lambda self, a, k: (self, _arg(a, k, 0, "filepath"))))
    modeling = sys.modules.get("transformers.modeling_utils")  # not `transformers`: its lazy import pulls in TF
    if modeling is not None:
        _patch(modeling.PreTrainedModel, "from_pretrained", _wrap_from_pretrained)
    else:  # `transformers.BertModel` first touched inside the block imports it then: patch it as it loads
        sys.meta_path.insert(0, _patch_on_import)


def _uninstall() -> None:
    if _patch_on_import in sys.meta_path:
        sys.meta_path.remove(_patch_on_import)
    while _installed:
        owner, attribute, original = _installed.pop()
        setattr(owner, attribute, original)


class _PatchOnImport:
    """An import hook for transformers.modeling_utils alone: the module is found and run as it would be without
    the hook, then its ``from_pretrained`` is patched (while a guard is active)."""

    name = "transformers.modeling_utils"

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            run(module)
            with _lock:
                if _entered and _patch_on_import in sys.meta_path:
                    _patch(module.PreTrainedModel, "from_pretrained", _wrap_from_pretrained)

        loader.exec_module = exec_module
        return spec


_patch_on_import = _PatchOnImport()


def _arg(args, kwargs, i, name):
    return args[i] if len(args) > i else kwargs.get(name)


def _wrap_load_state_dict(original):
    @functools.wraps(original)
    def load_state_dict(self, state_dict, *args, **kwargs):
        if _active() is None:
            return original(self, state_dict, *args, **kwargs)
        seen = []
        handle = self.register_load_state_dict_post_hook(
            lambda module, keys: seen.append((list(keys.missing_keys), list(keys.unexpected_keys))))
        try:
            with suspended():
                result = original(self, state_dict, *args, **kwargs)
        finally:
            handle.remove()
        _torch_check(self, state_dict, seen[-1] if seen else ([], []))
        return result
    return load_state_dict


def _wrap_after(original, call: str, target):
    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        if _active() is None:
            return original(self, *args, **kwargs)
        with suspended():
            result = original(self, *args, **kwargs)
        model, path = target(self, args, kwargs)
        _membership_check(call, model, path)
        return result
    return wrapper


def _wrap_saver(original):
    @functools.wraps(original)
    def restore(self, sess, save_path, *args, **kwargs):
        if _active() is None:
            return original(self, sess, save_path, *args, **kwargs)
        with suspended():
            result = original(self, sess, save_path, *args, **kwargs)
        var_list = getattr(self, "_var_list", None)
        variables = list(var_list.values()) if isinstance(var_list, dict) else list(var_list or [])
        with sess.as_default():
            _membership_check("tf.compat.v1.train.Saver.restore", variables or sess, save_path)
        return result
    return restore


def _wrap_from_pretrained(original):
    function = original.__func__

    @functools.wraps(function)
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        if _active() is None:
            return function(cls, pretrained_model_name_or_path, *args, **kwargs)
        with suspended():
            result = function(cls, pretrained_model_name_or_path, *args, **kwargs)
        model = result[0] if isinstance(result, tuple) else result
        _membership_check(f"{cls.__name__}.from_pretrained", model, _hf_weights(pretrained_model_name_or_path))
        return result
    return classmethod(from_pretrained)


def _hf_weights(path) -> str:
    import os

    for name in ("model.safetensors", "pytorch_model.bin"):
        candidate = os.path.join(os.fspath(path), name)
        if os.path.isfile(candidate):
            return candidate
    return os.fspath(path)
