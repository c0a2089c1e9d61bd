"""Building a live model from a ``--model`` reference for ``restore-check`` (a builder, not a spec: values need
a model to go into)."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import ModelError
from ..model.load import _BUILDER, _call_builder


def build(ref: str) -> Any:
    """Call ``path/to/file.py:function`` or ``package.module:function``; a TF1 builder's graph gets a session with
    its variables initialised (the session is what restore assigns into)."""
    m = _BUILDER.match(ref)
    if m is None or os.path.exists(ref):
        raise ModelError("restore-check needs a model builder (path/to/file.py:function or package.module:function)"
                         "; a JSON spec or a checkpoint has no variables to restore into", path=ref)
    obj = _call_builder(m["target"], m["function"])
    tf = sys.modules.get("tensorflow")
    if tf is not None and (obj is None or isinstance(obj, tf.Graph)):
        graph = obj if obj is not None else tf.compat.v1.get_default_graph()
        with graph.as_default():
            init = tf.compat.v1.global_variables_initializer()
        session = tf.compat.v1.Session(graph=graph)
        session.run(init)
        return session
    return obj
