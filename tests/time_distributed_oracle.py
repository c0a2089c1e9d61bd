#!/usr/bin/env python
"""tf-keras and Keras 3 as the oracle for ``TimeDistributed`` weights across Keras generations. Run as a script,
never imported by the test process (TensorFlow and Keras stay out of pytest)::

    TF_USE_LEGACY_KERAS=1 python tests/time_distributed_oracle.py OUT write  # old.h5 by tf-keras (weights named by
                                                      #   the wrapper: time_distributed_3/kernel), truth.json
    python tests/time_distributed_oracle.py OUT spec  # model.spec.json: the Keras 3 model (time_distributed/dense/
                                                      #   kernel), a Dense inserted before the output
    python tests/time_distributed_oracle.py OUT fix CODE  # a fresh Keras 3 model as `model`, CODE run verbatim;
                                                      #   which of its variables hold the file's values
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
OUT, MODE = sys.argv[1], sys.argv[2]


def build(keras, inserted: bool):
    L = keras.layers
    i = keras.Input((5, 4))
    x = L.BatchNormalization()(L.Conv1D(4, 1)(L.Conv1D(4, 1)(i)))  # layers that names pair, as in deepcut's model
    for _ in range(3):  # wrapped layers of one shape: names alone must tell them apart
        x = L.TimeDistributed(L.Dense(4))(x)
    x = L.Flatten()(x)
    if inserted:
        x = L.Dense(20)(x)  # new: Keras' legacy loader by layer order refuses the file (layer counts differ)
    return keras.Model(i, L.Dense(2)(x))


def main() -> None:
    if MODE == "write":
        import tf_keras as keras

        build(keras, inserted=False)  # the file's session numbers its layers from _1 on (time_distributed_1, ...)
        model = build(keras, inserted=False)
        rng = np.random.default_rng(3)
        for v in model.weights:
            v.assign(rng.standard_normal(tuple(v.shape)).astype("float32"))
        model.save_weights(os.path.join(OUT, "old.h5"))
        truth = {v.name.rsplit(":", 1)[0]: np.asarray(v.numpy()).tolist() for v in model.weights}
        with open(os.path.join(OUT, "truth.json"), "w") as f:
            json.dump(truth, f)
        return
    import keras

    from ckpt_doctor.model.load import load_model

    model = build(keras, inserted=True)
    if MODE == "spec":
        load_model(model).save(os.path.join(OUT, "model.spec.json"))
        return
    with open(os.path.join(OUT, "truth.json")) as f:
        truth = {k: np.asarray(v, "float32") for k, v in json.load(f).items()}
    with open(sys.argv[3]) as f:
        exec(f.read(), {"model": model})  # noqa: S102 - the printed fix, verbatim
    # every Keras 3 variable: the name of the file's value it holds, or None
    held = {v.path: next((k for k, t in truth.items() if t.shape == tuple(v.shape) and np.array_equal(v.numpy(), t)),
                         None) for v in model.weights}
    print(json.dumps(held))


if __name__ == "__main__":
    main()
