#!/usr/bin/env python
"""Keras 3 as the oracle for a model nested in another (a backbone inside a detector). Run as a script, never
imported by the test process (TensorFlow and Keras stay out of pytest)::

    python tests/nested_oracle.py OUT write   # det.weights.h5 (the detector's file), backbone.spec.json (a fresh
                                              #   backbone, as ckpt-doctor describes it), detector.spec.json,
                                              #   truth.json: the detector's backbone values, in order
    python tests/nested_oracle.py OUT load FILE  # a fresh backbone: load_weights(FILE); which values equal the truth
    python tests/nested_oracle.py OUT fix CODE   # a fresh backbone as `model`, the printed fix in CODE run verbatim

The detector's top level lists its head's layers beside the backbone, so their Keras paths (``layers/conv2d_1``)
coincide with the backbone's own: Keras 3 loading the detector's file into the backbone by path takes the head's
values where shapes agree.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
OUT, MODE = sys.argv[1], sys.argv[2]


def backbone(keras):
    L = keras.layers
    i = keras.Input((8, 8, 3))
    x = L.Conv2D(4, 3, padding="same")(i)
    x = L.BatchNormalization()(x)
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.Conv2D(4, 1)(x)
    return keras.Model(i, x)


def detector(keras, bb):
    L = keras.layers
    i = keras.Input((8, 8, 3))
    h = L.Conv2D(4, 3, padding="same")(bb(i))  # paths layers/conv2d, layers/conv2d_1 ...: the backbone's too
    h = L.Conv2D(4, 3, padding="same")(h)
    h = L.BatchNormalization()(h)
    return keras.Model(i, L.Conv2D(2, 1)(h))


def main() -> None:
    import keras

    from ckpt_doctor.model.load import load_model

    if MODE == "write":
        bb = backbone(keras)
        det = detector(keras, bb)
        rng = np.random.default_rng(5)
        for v in det.weights:
            v.assign(rng.standard_normal(tuple(v.shape)).astype("float32"))
        det.save_weights(os.path.join(OUT, "det.weights.h5"))
        bb.save_weights(os.path.join(OUT, "bb.weights.h5"))
        fresh = backbone(keras)
        spec = load_model(fresh)
        spec.save(os.path.join(OUT, "backbone.spec.json"))
        names = [v.name for v in spec.variables]
        assert len(names) == len(bb.weights)
        truth = [np.asarray(v.numpy()).tolist() for v in bb.weights]  # in the backbone's order: names are per session
        load_model(detector(keras, backbone(keras))).save(os.path.join(OUT, "detector.spec.json"))
        with open(os.path.join(OUT, "truth.json"), "w") as f:
            json.dump({"values": truth}, f)
    else:
        with open(os.path.join(OUT, "truth.json")) as f:
            truth = json.load(f)["values"]
        fresh = backbone(keras)
        raised = None
        try:
            if MODE == "fix":
                with open(sys.argv[3]) as f:
                    exec(f.read(), {"model": fresh})  # noqa: S102 - the printed fix, verbatim
            else:
                fresh.load_weights(sys.argv[3])
        except Exception as e:  # the framework's verdict is part of the record
            raised = type(e).__name__
        equal = {v.path: bool(np.array_equal(v.numpy(), np.asarray(t, "float32")))
                 for v, t in zip(fresh.weights, truth, strict=True)}
        print(json.dumps({"raised": raised, "equal": equal}))


if __name__ == "__main__":
    main()
