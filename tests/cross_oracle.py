"""Subprocess script (TensorFlow stays out of pytest): write a small CNN+MLP with tf-keras to HDF5 and record its
output on a fixed input, so that a PyTorch twin restored through ckpt-doctor can be checked against it.

    python tests/cross_oracle.py OUTDIR
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402


def main() -> None:
    out = sys.argv[1]
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, input_shape=(8, 8, 2), name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(),
        keras.layers.Dense(5, name="fc"),
    ])
    bn = model.get_layer("bn")  # non-trivial statistics, so a wrong pairing would show
    bn.set_weights([w + np.arange(w.size, dtype=w.dtype).reshape(w.shape) * 0.1 + (0.5 if i == 3 else 0)
                    for i, w in enumerate(bn.get_weights())])
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 2)).astype(np.float32)
    y = model(x, training=False).numpy()
    model.save_weights(os.path.join(out, "keras.h5"))
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    print(json.dumps({"weights": [w.name for w in model.weights]}))


if __name__ == "__main__":
    main()
