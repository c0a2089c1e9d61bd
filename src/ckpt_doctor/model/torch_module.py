"""PyTorch modules: the ``state_dict`` keys ``load_state_dict`` matches, parameters and persistent buffers."""

from __future__ import annotations

from .spec import ModelSpec, VariableSpec


def spec(module, source: str = "") -> ModelSpec:
    params = dict(module.named_parameters())
    variables = []
    for i, (name, value) in enumerate(module.state_dict(keep_vars=True).items()):
        if name.endswith("num_batches_tracked"):  # BatchNorm bookkeeping, not a weight
            kind, trainable = "counter", False
        elif name in params:
            kind, trainable = "variable", bool(params[name].requires_grad)
        else:
            kind, trainable = "buffer", False
        dtype = str(value.dtype).removeprefix("torch.")
        variables.append(VariableSpec(name=name, shape=tuple(value.shape), dtype=dtype, trainable=trainable,
                                      kind=kind, index=i))
    return ModelSpec(variables, framework="torch", restore="name", source=source, casts_dtypes=True)
