#!/usr/bin/env python
"""Oracle for tests/test_trial3_findings.py: what a third new user did with real tf-keras, written down.

    TF_USE_LEGACY_KERAS=1 python tests/trial3_oracle.py OUTDIR   # writes OUTDIR/trial3.json

w.h5: tf-keras ``save_weights`` of a functional model Dense(8) -> Dense(4) -> Dense(1) (legacy HDF5, which
tf-keras loads by the order of the layers with weights, as the deepcut package ships its weights);
extra.spec.json: the same model with one more Dense(3) before a new output layer, as a user edits it; trial3.json:
the file's ``layer_names`` (read with h5py) and what tf-keras ``load_weights`` raises for the edited model.

k3.weights.h5: Keras 3 ``save_weights`` of Dense -> BatchNormalization -> Dense; tfk.spec.json: the same layers in
tf-keras, whose ``load_weights`` reads Keras 3 files through its own copy of the saving walk; trial3.json records
how many of its weights then hold the saved values.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)


def main() -> None:
    import h5py
    import tf_keras as keras

    from ckpt_doctor.model.load import load_model

    def build(extra: bool):
        x = inputs = keras.Input((5,))
        x = keras.layers.Dense(8)(x)
        x = keras.layers.Dense(4)(x)
        if extra:
            x = keras.layers.Dense(3, name="added")(x)
        return keras.Model(inputs, keras.layers.Dense(1)(x))

    path = os.path.join(OUT, "w.h5")
    build(False).save_weights(path)
    edited = build(True)
    load_model(edited).save(os.path.join(OUT, "extra.spec.json"))
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["layer_names"]]
    try:
        edited.load_weights(path)
        error = None
    except ValueError as e:
        error = str(e)
    result = {"layer_names": names, "load_error": error, "k3_into_tf_keras": k3_into_tf_keras(keras)}
    with open(os.path.join(OUT, "trial3.json"), "w") as f:
        json.dump(result, f)


def k3_into_tf_keras(tf_keras) -> dict:
    """Keras 3 saves k3.weights.h5; a tf-keras model of the same layers loads it with load_weights (tf-keras has
    the same saving walk). Which of its weights then hold the Keras 3 model's values."""
    import keras
    import numpy as np

    from ckpt_doctor.model.load import load_model

    def layers(k):
        x = inputs = k.Input((5,))
        x = k.layers.Dense(8)(x)
        x = k.layers.BatchNormalization()(x)
        return k.Model(inputs, k.layers.Dense(1)(x))

    saved = layers(keras)
    for i, w in enumerate(saved.weights):
        w.assign(np.full(w.shape, i + 0.5, "float32"))
    path = os.path.join(OUT, "k3.weights.h5")
    saved.save_weights(path)
    model = layers(tf_keras)
    load_model(model).save(os.path.join(OUT, "tfk.spec.json"))
    model.load_weights(path)
    pairs = zip(model.weights, saved.weights, strict=True)
    return {"weights": len(model.weights), "loaded": sum(bool(np.array_equal(a.numpy(), b.numpy())) for a, b in pairs)}


main()
