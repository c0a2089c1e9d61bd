#!/usr/bin/env python
"""TensorFlow as the oracle for the TF2 fix printed for a model known by object paths only (a ``tf.train.Checkpoint``
as the model: it has no ``model.variables``). Run as a script, never imported by the test process::

    python tests/object_fix_oracle.py OUT write     # OUT/ckpt-1: tf.train.Checkpoint(q_net=net).save, values by
                                                    #   path in OUT/truth.json; OUT/model.spec.json: a
                                                    #   tf.train.Checkpoint(network=Net()) as ckpt-doctor sees it
    python tests/object_fix_oracle.py OUT fix CODE  # a fresh tf.train.Checkpoint(network=Net()) as `model`, CODE run
                                                    #   verbatim; which of its variables hold the saved values
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
OUT, MODE = sys.argv[1], sys.argv[2]


def main() -> None:
    import tensorflow as tf

    class Dense(tf.Module):
        def __init__(self, n_in, n_out, seed):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.kernel = tf.Variable(rng.standard_normal((n_in, n_out)).astype("float32"))
            self.bias = tf.Variable(rng.standard_normal(n_out).astype("float32"))

    class Net(tf.Module):
        def __init__(self, seed):
            super().__init__()
            self.layers = [Dense(4, 4, seed), Dense(4, 4, seed + 1)]  # equal shapes: paths, not shapes, decide
            self.head = Dense(4, 2, seed + 2)

    def values(net) -> dict:
        return {f"{i}/{v}": getattr(layer, v).numpy().tolist() for i, layer in enumerate([*net.layers, net.head])
                for v in ("kernel", "bias")}

    if MODE == "write":
        net = Net(1)
        tf.train.Checkpoint(q_net=net).save(os.path.join(OUT, "ckpt"))
        with open(os.path.join(OUT, "truth.json"), "w") as f:
            json.dump(values(net), f)
        from ckpt_doctor.model.load import load_model

        load_model(tf.train.Checkpoint(network=Net(7))).save(os.path.join(OUT, "model.spec.json"))
        return
    net = Net(7)
    model = tf.train.Checkpoint(network=net)
    with open(sys.argv[3]) as f:
        exec(f.read(), {"model": model})  # noqa: S102 - the printed fix, verbatim
    with open(os.path.join(OUT, "truth.json")) as f:
        truth = json.load(f)
    print(json.dumps({k: bool(np.array_equal(np.asarray(v), np.asarray(truth[k]))) for k, v in values(net).items()}))


if __name__ == "__main__":
    main()
