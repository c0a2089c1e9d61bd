"""PyTorch modules: the ``state_dict`` keys ``load_state_dict`` matches, parameters and persistent buffers."""

from __future__ import annotations

from ..catalog import is_counter_name
from .spec import ModelSpec, VariableSpec


def spec(module, source: str = "") -> ModelSpec:
    params = dict(module.named_parameters())
    variables: list[VariableSpec] = []
    # Tied weights appear under several names: the first one (in state_dict order) owns the value, the others are
    # its aliases. The same Parameter object, or two tensors over the same memory with the same layout.
    first_of: dict[object, int] = {}
    for i, (name, value) in enumerate(module.state_dict(keep_vars=True).items()):
        if is_counter_name(name):  # BatchNorm bookkeeping, not a weight
            kind, trainable = "counter", False
        elif name in params:
            kind, trainable = "variable", bool(params[name].requires_grad)
        else:
            kind, trainable = "buffer", False
        dtype = str(value.dtype).removeprefix("torch.")
        same = [k for k in (id(value), _memory(value)) if k is not None]
        owner = next((variables[first_of[k]] for k in same if k in first_of), None)
        if owner is not None:  # named_parameters() lists a tied parameter once: it is its owner's kind
            kind, trainable = owner.kind, owner.trainable
        for k in same:
            first_of.setdefault(k, len(variables))
        variables.append(VariableSpec(name=name, shape=tuple(value.shape), dtype=dtype, trainable=trainable,
                                      kind=kind, index=i, tied_to=owner.tied_to or owner.name if owner else None))
    prefix = getattr(module, "base_model_prefix", None)  # Hugging Face PreTrainedModel
    # a wrapper forwarding attributes to one (peft's PeftModel) answers both, but its from_pretrained loads an adapter
    is_hf = isinstance(prefix, str) and callable(getattr(module, "from_pretrained", None)) and \
        any(c.__name__ == "PreTrainedModel" and c.__module__.startswith("transformers.") for c in type(module).__mro__)
    return ModelSpec(variables, framework="torch", restore="name", source=source, casts_dtypes=True,
                     loader="hf" if is_hf else None, base_model_prefix=prefix if is_hf else None)


def _memory(t):
    """Where and how a tensor lays out its values, or None when it has no memory of its own (meta, empty)."""
    try:
        if t.is_meta or t.numel() == 0:
            return None
        return ("memory", t.device.type, t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.dtype)
    except (RuntimeError, NotImplementedError):  # tensor subclasses without storage (e.g. some wrappers)
        return None
