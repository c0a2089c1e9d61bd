"""A TF1 graph holding two models, one trained (it has optimizer slots) and one beside it that nothing trained, both
built with ``tf.compat.v1.layers`` (held-out 16: a U-Net built after another model, under a tower scope): the trained
model's layers are numbered after the other's, and its first layers have the other's shapes. Restoring into the
trained model built alone, "every number moves down by three" and "the first layers keep their numbers, the rest
move" explain as many values; the slots tell the two apart: only the trained layers have them. TensorFlow writes
the file and restores with the var_list ckpt-doctor prints (a child process), and compares every value."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import ckpt_doctor

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

TF = textwrap.dedent("""\
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.path.insert(0, sys.argv[3])
    import numpy as np, tensorflow as tf
    from ckpt_doctor.model.load import load_model
    tf.compat.v1.disable_eager_execution()
    dense = tf.compat.v1.layers.dense
    out, mode = sys.argv[1], sys.argv[2]

    def model(x, widths):
        for w in widths:
            x = dense(x, w, activation=tf.nn.relu)
        return x

    WIDTHS = (8, 8, 6, 4)
    if mode == "write":
        x = tf.compat.v1.placeholder(tf.float32, (None, 5))
        model(x, (8, 8, 3))  # another model first, untrained: dense .. dense_2 (its first two of the same shapes)
        y = model(x, WIDTHS)  # the trained one: dense_3 .. dense_6
        step = tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(y))
        rng = np.random.default_rng(0)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(step, {x: rng.standard_normal((3, 5)).astype("float32")})
            tf.compat.v1.train.Saver().save(sess, os.path.join(out, "model.ckpt"))
            values = {v.op.name: sess.run(v).tolist() for v in tf.compat.v1.trainable_variables()}
        with open(os.path.join(out, "values.json"), "w") as f:
            json.dump(values, f)
        tf.compat.v1.reset_default_graph()
        model(tf.compat.v1.placeholder(tf.float32, (None, 5)), WIDTHS)
        load_model(None).save(os.path.join(out, "model.spec.json"))
    else:  # the printed fix, verbatim, in the trained model built alone: every value the trained layer's
        model(tf.compat.v1.placeholder(tf.float32, (None, 5)), WIDTHS)
        with open(os.path.join(out, "values.json")) as f:
            saved = json.load(f)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            scope = {"sess": sess, "tf": tf}
            with open(os.path.join(out, "fix.py")) as f:
                exec(f.read(), scope)
            for v in tf.compat.v1.trainable_variables():
                layer, leaf = v.op.name.split("/")
                k = int(layer.split("_")[1]) if "_" in layer else 0
                assert np.array_equal(sess.run(v), np.asarray(saved[f"dense_{k + 3}/{leaf}"], "float32")), v.op.name
        print("restored")
    """)


def test_the_trained_model_beside_an_untrained_one_is_told_by_its_optimizer_slots(tmp_path):
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")  # tf.compat.v1.layers are tf_keras'
    subprocess.run([sys.executable, "-c", TF, str(tmp_path), "write", SRC], check=True, timeout=300, env=env)
    a = ckpt_doctor.align(str(tmp_path / "model.ckpt"), str(tmp_path / "model.spec.json"))
    paired = {p.model: p.checkpoint for p in a.pairs}
    assert paired == {f"{'dense' if k == 0 else f'dense_{k}'}/{leaf}": f"dense_{k + 3}/{leaf}"
                      for k in range(4) for leaf in ("kernel", "bias")}, paired
    assert not a.ambiguous and not a.missing
    assert any("optimizer was training" in s for s in a.sentences), a.sentences
    (tmp_path / "fix.py").write_text(a.saver_var_list_code())  # as printed: it names the checkpoint itself
    done = subprocess.run([sys.executable, "-c", TF, str(tmp_path), "fix", SRC], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0 and "restored" in done.stdout, done.stderr[-2000:]
