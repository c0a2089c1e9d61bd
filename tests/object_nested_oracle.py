#!/usr/bin/env python
"""tf-keras as the oracle for a model nested in another, read through the object graph (a SavedModel's
``variables/``, ``save_weights`` in the TF format). Run as a script with TF_USE_LEGACY_KERAS=1, never imported by the
test process::

    python tests/object_nested_oracle.py OUT write      # base/ckpt (the base model's TF checkpoint),
                                                         #   wrapped.spec.json (a fresh wrapper, as ckpt-doctor
                                                         #   describes it), truth.json: the base's values in order
    python tests/object_nested_oracle.py OUT load PREFIX # a fresh wrapper: load_weights(PREFIX); which of its nested
                                                         #   base's values equal the truth, and the new layer's
    python tests/object_nested_oracle.py OUT fix CODE    # a fresh wrapper as `model`, the printed fix run verbatim

The wrapper applies a new BatchNormalization to the input before the base model (as a layer). The object graph
numbers a model's layers that have weights (``layer_with_weights-0``): the wrapper's new norm takes the base's
``layer_with_weights-0``, of the same shape (one channel), and the base moves to ``layer_with_weights-1/``.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
OUT, MODE = sys.argv[1], sys.argv[2]


def base(tf):
    L = tf.keras.layers
    i = tf.keras.Input((8, 8, 1))
    x = L.BatchNormalization()(i)
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Conv2D(1, 1)(x)
    return tf.keras.Model(i, x)


def wrapped(tf):
    inner = base(tf)
    i = tf.keras.Input((8, 8, 1))
    return tf.keras.Model(i, inner(tf.keras.layers.BatchNormalization(name="extra_input_bn")(i))), inner


def main() -> None:
    import tensorflow as tf

    from ckpt_doctor.model.load import load_model

    if MODE == "write":
        model = base(tf)
        rng = np.random.default_rng(7)
        for v in model.weights:
            v.assign(rng.uniform(0.5, 1.5, tuple(v.shape)).astype("float32"))  # (a variance stays positive)
        model.save_weights(os.path.join(OUT, "base", "ckpt"))
        load_model(wrapped(tf)[0]).save(os.path.join(OUT, "wrapped.spec.json"))
        with open(os.path.join(OUT, "truth.json"), "w") as f:
            json.dump({"values": [np.asarray(v.numpy()).tolist() for v in model.weights]}, f)
    else:
        with open(os.path.join(OUT, "truth.json")) as f:
            truth = json.load(f)["values"]
        outer, inner = wrapped(tf)
        new = [v.numpy().copy() for v in outer.layers[1].weights]
        raised = None
        try:
            if MODE == "fix":
                with open(sys.argv[3]) as f:
                    exec(f.read(), {"model": outer})  # noqa: S102 - the printed fix, verbatim
            else:
                outer.load_weights(sys.argv[3]).expect_partial()
        except Exception as e:  # the framework's verdict is part of the record
            raised = type(e).__name__
        equal = [bool(np.array_equal(v.numpy(), np.asarray(t, "float32")))
                 for v, t in zip(inner.weights, truth, strict=True)]
        kept = all(np.array_equal(v.numpy(), x) for v, x in zip(outer.layers[1].weights, new, strict=True))
        print(json.dumps({"raised": raised, "equal": equal, "new_layer_kept": bool(kept)}))


if __name__ == "__main__":
    main()
