"""PyTorch modules: the ``state_dict`` keys ``load_state_dict`` matches, parameters and persistent buffers."""

from __future__ import annotations

from ..catalog import is_counter_name
from .spec import ModelSpec, VariableSpec


def spec(module, source: str = "") -> ModelSpec:
    params = dict(module.named_parameters())
    variables: list[VariableSpec] = []
    first_of: dict[int, int] = {}  # tied parameters appear under several names: the first one owns the value
    for i, (name, value) in enumerate(module.state_dict(keep_vars=True).items()):
        if is_counter_name(name):  # BatchNorm bookkeeping, not a weight
            kind, trainable = "counter", False
        elif name in params:
            kind, trainable = "variable", bool(params[name].requires_grad)
        else:
            kind, trainable = "buffer", False
        dtype = str(value.dtype).removeprefix("torch.")
        keys = {}
        if id(value) in first_of:  # named_parameters() lists a tied parameter once: it is its owner's kind
            owner = variables[first_of[id(value)]]
            kind, trainable, keys = owner.kind, owner.trainable, {"tied_to": owner.name}
        first_of.setdefault(id(value), len(variables))
        variables.append(VariableSpec(name=name, shape=tuple(value.shape), dtype=dtype, trainable=trainable,
                                      kind=kind, index=i, keys=keys))
    prefix = getattr(module, "base_model_prefix", None)  # Hugging Face PreTrainedModel
    is_hf = isinstance(prefix, str) and callable(getattr(module, "from_pretrained", None))
    return ModelSpec(variables, framework="torch", restore="name", source=source, casts_dtypes=True,
                     loader="hf" if is_hf else None, base_model_prefix=prefix if is_hf else None)
