#!/usr/bin/env python
"""tf-keras and Keras 3 as the oracle for legacy ``.h5`` files of one Keras generation restored into models of the
other. Run as a script, never imported by the test process (TensorFlow and Keras stay out of pytest)::

    TF_USE_LEGACY_KERAS=1 python tests/keras_generations_oracle.py OUT CASE write  # OUT/CASE.h5 by tf-keras,
                                                                   #   OUT/CASE.truth.json (values by name)
    python tests/keras_generations_oracle.py OUT CASE spec         # OUT/CASE.spec.json: the changed Keras 3 model
    python tests/keras_generations_oracle.py OUT CASE fix CODE     # a fresh changed Keras 3 model as `model`, CODE
                                                                   #   run verbatim: the file value each variable holds

Cases:
    td    ``TimeDistributed`` layers (tf-keras: ``time_distributed_3/kernel``; Keras 3: ``time_distributed/dense/
          kernel``) among convolutions, a Dense inserted before the output (Keras' loader by layer order refuses it)
    head  a Dense and its head (tf-keras: ``dense``, ``dense_1``) against a Keras 3 model built in a session that
          made two Dense layers before (``dense_2``), its head replaced by two layers (``dense_3``, ``dense_4``)
    dw    a DepthwiseConv2D in tf-keras' TF format (``layer_with_weights-1/depthwise_kernel``) against Keras 3, which
          calls that variable ``kernel``, a new head after the output
    objects  keras.applications' MobileNet (alpha 0.25, no top) saved by ``tf.train.Checkpoint(model=model)``
          (``model/layer_with_weights-1/...``: the model under its attribute) against the same Keras 3 model
    nested  Keras 3 to Keras 3 (``.weights.h5``): a layer of blocks whose inner layers have one name in every block
          (keras-tcn's ``residual_block_k/conv1D_0``), then a head; a Dense inserted before the head takes the head's
          path (``layers/dense``), while the file names the head's layer by its own name too
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
OUT, CASE, MODE = sys.argv[1], sys.argv[2], sys.argv[3]


def td(keras, changed: bool):
    L = keras.layers
    i = keras.Input((5, 4))
    x = L.BatchNormalization()(L.Conv1D(4, 1)(L.Conv1D(4, 1)(i)))  # layers that names pair, as in deepcut's model
    for _ in range(3):  # wrapped layers of one shape: names alone must tell them apart
        x = L.TimeDistributed(L.Dense(4))(x)
    x = L.Flatten()(x)
    if changed:
        x = L.Dense(20)(x)  # new: Keras' legacy loader by layer order refuses the file (layer counts differ)
    return keras.Model(i, L.Dense(2)(x))


def head(keras, changed: bool):
    L = keras.layers
    i = keras.Input((6,))
    x = L.Dense(4)(i)
    if changed:
        x = L.Dense(3)(x)  # a new head (dense_3, dense_4): no shape of the old one's kernel
    return keras.Model(i, L.Dense(2)(x))


def dw(keras, changed: bool):
    L = keras.layers
    i = keras.Input((8, 8, 3))
    x = L.BatchNormalization()(L.DepthwiseConv2D(3, use_bias=False)(L.Conv2D(4, 3)(i)))
    x = L.Dense(2)(L.GlobalAveragePooling2D()(x))
    return keras.Model(i, L.Dense(3)(x) if changed else x)  # a new head after the file's layers


def nested(keras, changed: bool):
    L = keras.layers

    class Block(L.Layer):  # keras-tcn's residual block: its layers are named alike in every block
        def __init__(self, **kw):
            super().__init__(**kw)
            self.conv1D_0 = L.Conv1D(4, 3, padding="same", name="conv1D_0")
            self.conv1D_1 = L.Conv1D(4, 3, padding="same", name="conv1D_1")

        def call(self, x):
            return self.conv1D_1(self.conv1D_0(x))

    class Blocks(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.residual_block_0, self.residual_block_1 = Block(), Block()

        def call(self, x):
            return self.residual_block_1(self.residual_block_0(x))

    i = keras.Input((6, 4))
    x = L.GlobalAveragePooling1D()(Blocks(name="tcn")(i))
    if changed:
        x = L.Dense(4, name="extra")(x)  # inserted: Keras 3's path for the head moves on (layers/dense_1)
    return keras.Model(i, L.Dense(1, name="head")(x))


def wrapped(keras, changed: bool):
    L = keras.layers

    def base():
        i = keras.Input((16,))
        x = L.BatchNormalization(name="bn")(L.Dense(32, activation="relu", name="enc")(i))
        return keras.Model(i, L.Dense(4, name="head")(x), name="net")

    if not changed:
        return base()
    i = keras.Input((16,))
    return keras.Model(i, base()(i), name="outer")  # the saved model, used as a layer of a Functional model


def objects(keras, changed: bool):
    return keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None)


def main() -> None:
    build = {"td": td, "head": head, "dw": dw, "objects": objects, "nested": nested, "wrapped": wrapped}[CASE]
    if MODE == "write":
        if CASE in ("nested", "wrapped"):
            import keras
        else:
            import tf_keras as keras

        if CASE == "td":
            build(keras, changed=False)  # the file's session numbers its layers from _1 on (time_distributed_1, ...)
        model = build(keras, changed=False)
        rng = np.random.default_rng(3)
        for v in model.weights:
            v.assign(rng.standard_normal(tuple(v.shape)).astype("float32"))
        # (dw: tf-keras' TF format, object paths layer_with_weights-N/depthwise_kernel; the others a legacy .h5)
        suffix = ".weights.h5" if CASE in ("nested", "wrapped") else ".h5"
        if CASE == "objects":
            import tensorflow as tf

            tf.train.Checkpoint(model=model).write(os.path.join(OUT, "objects", "ckpt"))
        else:
            model.save_weights(os.path.join(OUT, "dw", "ckpt") if CASE == "dw" else os.path.join(OUT, CASE + suffix))
        keras3 = CASE in ("nested", "wrapped")
        truth = {f"{v.path}@{i}" if keras3 else v.name.rsplit(":", 1)[0]: np.asarray(v.numpy()).tolist()
                 for i, v in enumerate(model.weights)}  # (Keras 3 paths of layers named alike repeat)
        with open(os.path.join(OUT, f"{CASE}.truth.json"), "w") as f:
            json.dump(truth, f)
        return
    import keras

    from ckpt_doctor.model.load import load_model

    if CASE == "head":
        build(keras, changed=False)  # Keras 3's session made two Dense layers first: this model's are dense_2 ...
    model = build(keras, changed=True)
    if MODE == "spec":
        load_model(model).save(os.path.join(OUT, f"{CASE}.spec.json"))
        return
    with open(os.path.join(OUT, f"{CASE}.truth.json")) as f:
        truth = {k: np.asarray(v, "float32") for k, v in json.load(f).items()}
    with open(sys.argv[4]) as f:
        exec(f.read(), {"model": model})  # noqa: S102 - the printed fix, verbatim
    # every Keras 3 variable: the name of the file's value it holds, or None
    held = {v.path: next((k for k, t in truth.items() if t.shape == tuple(v.shape) and np.array_equal(v.numpy(), t)),
                         None) for v in model.weights}
    print(json.dumps(held))


if __name__ == "__main__":
    main()
