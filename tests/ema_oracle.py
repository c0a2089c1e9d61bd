"""The TensorFlow side of tests/test_diagnose.py's moving-average note, run in a subprocess (legacy Keras layers).

`write DIR`: a TF1 training graph whose trainable variables tf.train.ExponentialMovingAverage averages, saved by a
Saver (DIR/train/model.ckpt: variables and averages), and the spec of an evaluation graph without the averages
(DIR/eval.spec.json). `check DIR`: restores the evaluation graph as the note says (a Saver over
`ema.variables_to_restore()`) and prints, as JSON, whether every variable then holds its average, not its value.
"""

import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def net():
    x = tf1.placeholder(tf.float32, [None, 4])
    with tf1.variable_scope("net"):
        tf1.layers.dense(tf1.layers.dense(x, 8, name="fc1"), 2, name="fc2")


def write(out: str) -> None:
    import ckpt_doctor

    with tf.Graph().as_default():
        net()
        ema = tf1.train.ExponentialMovingAverage(0.5)
        update = ema.apply(tf1.trainable_variables())
        with tf1.Session() as s:
            s.run(tf1.global_variables_initializer())
            for v in tf1.trainable_variables():  # values and averages apart
                s.run(v.assign(v + 1.0))
            s.run(update)
            tf1.train.Saver().save(s, os.path.join(out, "train", "model.ckpt"))
    with tf.Graph().as_default() as g:
        net()
        ckpt_doctor.load_model(g).save(os.path.join(out, "eval.spec.json"))


def check(out: str) -> None:
    ckpt = os.path.join(out, "train", "model.ckpt")
    reader = tf1.train.NewCheckpointReader(ckpt)
    with tf.Graph().as_default():
        net()
        ema = tf1.train.ExponentialMovingAverage(0.5)
        with tf1.Session() as s:
            tf1.train.Saver(ema.variables_to_restore()).restore(s, ckpt)
            got = {v.op.name: s.run(v) for v in tf1.global_variables()}
    averages = all(np.array_equal(got[n], reader.get_tensor(n + "/ExponentialMovingAverage")) for n in got)
    values_differ = all(not np.array_equal(reader.get_tensor(n), reader.get_tensor(n + "/ExponentialMovingAverage"))
                        for n in got)
    print(json.dumps({"variables": sorted(got), "hold_averages": averages, "values_differ": values_differ}))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
