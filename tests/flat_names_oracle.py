"""The framework side of tests/test_align_generalise.py's joined-scope names, run in subprocesses.

`tf1 DIR` (TF_USE_LEGACY_KERAS=1): tf_keras' MobileNetV3Small (minimalistic, weights=None) built in a TF1 graph,
each weight set to a distinct value, saved by a Saver (DIR/model.ckpt: tf_keras' scoped layer names,
`expanded_conv/depthwise/BatchNorm/gamma`); the weights' names in the model's order in DIR/tf1.json.
`keras3 DIR`: Keras 3's MobileNetV3Small of the same configuration (`expanded_conv_depthwise_bn/gamma`), its spec in
DIR/model.spec.json and its weights' names in order in DIR/keras3.json. The two builders create the same layers in
the same order, so the i-th weights are one value (the truth; shapes are checked too).
"""

import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
CONFIG = {"input_shape": (32, 32, 3), "minimalistic": True, "weights": None, "classes": 10, "alpha": 0.75,
          "include_preprocessing": False}


def tf1(out: str) -> None:
    import numpy as np
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    with tf.Graph().as_default():
        model = tf.keras.applications.MobileNetV3Small(**CONFIG)
        with tf1.Session() as s:
            s.run(tf1.global_variables_initializer())
            for i, v in enumerate(model.weights):
                s.run(v.assign(np.full(v.shape, i, v.dtype.as_numpy_dtype)))
            tf1.train.Saver().save(s, os.path.join(out, "model.ckpt"))
        names = [(v.name.split(":")[0], list(v.shape)) for v in model.weights]
    with open(os.path.join(out, "tf1.json"), "w") as f:
        json.dump(names, f)


def keras3(out: str) -> None:
    import keras

    import ckpt_doctor

    model = keras.applications.MobileNetV3Small(**CONFIG)
    spec = ckpt_doctor.load_model(model)
    spec.save(os.path.join(out, "model.spec.json"))
    with open(os.path.join(out, "keras3.json"), "w") as f:
        json.dump([(v.name, list(v.shape)) for v in spec.variables], f)


if __name__ == "__main__":
    {"tf1": tf1, "keras3": keras3}[sys.argv[1]](sys.argv[2])
