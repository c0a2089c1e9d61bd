"""TF1 graphs: the variables a ``tf.compat.v1.train.Saver`` would save, under the names it would use."""

from __future__ import annotations

from ..formats._tf_names import classify_tf1, is_step_counter
from .spec import ModelSpec, VariableSpec, _strip_output_suffix


def dtype_name(tf_dtype) -> str:
    name = tf_dtype.base_dtype.name
    return {"half": "float16", "float": "float32", "double": "float64"}.get(name, name)


def spec(obj, source: str = "") -> ModelSpec:
    """``obj``: None (the default graph), a ``tf.Graph`` or a list of variables (a Saver ``var_list``)."""
    import tensorflow as tf

    if isinstance(obj, (list, tuple)):
        variables, trainable = list(obj), {id(v) for v in obj if v.trainable}
    else:
        graph = obj if obj is not None else tf.compat.v1.get_default_graph()
        variables = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
        trainable = {id(v) for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)}
    out: dict[str, VariableSpec] = {}
    for v in variables:
        info = getattr(v, "_save_slice_info", None)
        if info is not None:  # one part of a partitioned variable: the Saver stores the full variable
            name, shape = info.full_name, tuple(int(d) for d in info.full_shape)
        else:
            name, shape = _strip_output_suffix(v.name), tuple(int(d) for d in v.shape)
        if name not in out:
            out[name] = VariableSpec(name=name, shape=shape, dtype=dtype_name(v.dtype), trainable=id(v) in trainable,
                                     index=len(out))
    for var in out.values():
        kind, _, _ = classify_tf1(var.name, out)
        if kind is not None:
            var.kind = kind
        elif is_step_counter(var.name, var.dtype, var.shape):
            var.kind = "counter"
    return ModelSpec(list(out.values()), framework="tf1", restore="name", source=source)
