"""Child process for tests/test_object_aliases.py (needs TensorFlow and Keras 3): a Keras 3 model trained with
Adam and saved with tf.train.Checkpoint(model=..., optimizer=...), then restored into a changed model with a built
optimizer, as TensorFlow does it; prints what every weight ended with, as JSON.

    python object_aliases_oracle.py DIR CASE [remedy]

CASE ``frozen``: the second layer frozen (the optimizer lists one layer fewer); ``bn``: a BatchNormalization
inserted. ``remedy`` ``model-only`` restores tf.train.Checkpoint(model=model) instead, ``unbuilt`` restores
before the optimizer is built; a file ``fix.py`` in DIR (the printed fix) is run with ``model`` bound to the
tf.train.Checkpoint(model=..., optimizer=...) instead of restoring.
"""
import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ.pop("TF_USE_LEGACY_KERAS", None)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

d, case = sys.argv[1], sys.argv[2]
remedy = sys.argv[3] if len(sys.argv) > 3 else ""


def build(change):
    keras.utils.set_random_seed(len(change))
    i = keras.Input((4,))
    x = i
    for name in ("d1", "d2", "d3", "out"):
        if change == "bn" and name == "out":
            x = keras.layers.BatchNormalization(name="bn")(x)
        x = keras.layers.Dense(8, name=name, trainable=not (change == "frozen" and name == "d2"))(x)
    return keras.Model(i, x)


prefix = os.path.join(d, "old", "ckpt")
if not os.path.exists(prefix + ".index"):
    old, opt = build(""), keras.optimizers.Adam()
    old.compile(opt, "mse")
    old.fit(np.ones((8, 4)), np.ones((8, 8)), verbose=0)
    tf.train.Checkpoint(model=old, optimizer=opt).write(prefix)
    np.savez(os.path.join(d, "old.npz"), **{w.path: w.numpy() for w in old.weights})
saved = dict(np.load(os.path.join(d, "old.npz")))

new, opt = build(case), keras.optimizers.Adam()
new.compile(opt, "mse")
if remedy != "unbuilt":
    opt.build(new.trainable_variables)
root = tf.train.Checkpoint(model=new, optimizer=opt)
if not os.path.exists(os.path.join(d, f"{case}.json")):
    from ckpt_doctor.model import load_model

    load_model(root).save(os.path.join(d, f"{case}.json"))
error = None
try:
    if os.path.exists(os.path.join(d, "fix.py")):
        with open(os.path.join(d, "fix.py")) as f:
            exec(f.read(), {"model": root})
    elif remedy == "model-only":
        tf.train.Checkpoint(model=new).restore(prefix)
    else:
        root.restore(prefix)
        if remedy == "unbuilt":
            opt.build(new.trainable_variables)
except ValueError as e:
    error = str(e).splitlines()[0]
ended = {}
for w in new.weights:
    value = w.numpy()
    ended[w.path] = next((k for k, v in saved.items() if v.shape == value.shape and np.array_equal(v, value)), None)
print(json.dumps({"error": error, "ended": ended}))
