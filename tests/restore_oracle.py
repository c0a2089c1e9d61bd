"""Run as a subprocess (TensorFlow stays out of pytest): verified restores into real TF1 sessions, TF2 tf.Modules,
Keras 3 and tf-keras models. Checkpoints are written by TensorFlow; the values a restore claims are read back by
TensorFlow here, independently of ckpt-doctor's own verification, and printed for the test to compare.

    python tests/restore_oracle.py WORKDIR  ->  prints one JSON line
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))

import numpy as np  # noqa: E402
import seed_models  # noqa: E402
import tensorflow as tf  # noqa: E402
from seed_scope_rename import save_original  # noqa: E402

import ckpt_doctor  # noqa: E402
from ckpt_doctor.errors import RestoreError  # noqa: E402

v1 = tf.compat.v1


def summary(report):
    return {"ok": report.ok, "headline": report.headline(),
            "check": {o.variable.name: o.check for o in report.variables},
            "status": {o.variable.name: o.status for o in report.variables}, "entries": report.entries}


def refused(call) -> dict:
    try:
        call()
    except RestoreError as e:
        return {"raised": True, "message": str(e), "assigned": e.report.assigned}
    return {"raised": False}


def tf1_seed(work):
    prefix = save_original(work)
    out = {}
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_changed()
        sess.run(v1.global_variables_initializer())
        initial = {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}
        out["none"] = refused(lambda: ckpt_doctor.restore(sess, prefix, rules=None))
        out["untouched_after_refusal"] = {v.op.name: sess.run(v).tolist() for v in v1.global_variables()} == initial
        out["auto"] = summary(ckpt_doctor.restore(sess, prefix))
        out["values"] = {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}
    out["expected"] = {f"different_model_scope/{k}": v.tolist() for k, v in seed_models.TRAINED.items()}
    return out


def _build_with_adam(scope):
    seed_models._build(scope)
    x = v1.get_default_graph().get_tensor_by_name("x:0")
    loss = tf.reduce_sum(tf.square(v1.get_collection("prediction")[0] - 1.0))
    return x, v1.train.AdamOptimizer(0.1).minimize(loss)


def tf1_slots(work):
    prefix = os.path.join(work, "slots", "model.ckpt")
    with tf.Graph().as_default(), v1.Session() as sess:
        x, step = _build_with_adam("model_scope")
        sess.run(v1.global_variables_initializer())
        for _ in range(3):
            sess.run(step, {x: np.arange(8, dtype=np.float32).reshape(4, 2)})
        prefix = v1.train.Saver().save(sess, prefix)
    reader = tf.train.load_checkpoint(prefix)
    expected = {k.replace("model_scope/", "different_model_scope/"): reader.get_tensor(k).tolist()
                for k in reader.get_variable_to_shape_map()}
    with tf.Graph().as_default(), v1.Session() as sess:
        _build_with_adam("different_model_scope")
        sess.run(v1.global_variables_initializer())
        report = ckpt_doctor.restore(sess, prefix)
        values = {v.op.name: sess.run(v).tolist() for v in v1.global_variables()}
    return {"auto": summary(report), "values": values, "expected": expected,
            "kinds": {o.variable.name: o.variable.kind for o in report.variables}}


class Original(tf.Module):
    def __init__(self):
        super().__init__()
        self.model_scope = tf.Module()
        self.model_scope.weight = tf.Variable(seed_models.TRAINED["weight"])
        self.model_scope.bias = tf.Variable(seed_models.TRAINED["bias"])


class Changed(tf.Module):
    def __init__(self):
        super().__init__()
        self.different_model_scope = tf.Module()
        self.different_model_scope.weight = tf.Variable(tf.zeros([2, 1]))
        self.different_model_scope.bias = tf.Variable(tf.zeros([1]))


def tf2_module(work):
    path = tf.train.Checkpoint(model=Original()).write(os.path.join(work, "tf2", "ckpt"))
    out = {"none": refused(lambda: ckpt_doctor.restore(Changed(), path, rules=None))}
    changed = Changed()
    out["auto"] = summary(ckpt_doctor.restore(changed, path))
    out["values"] = {"weight": changed.different_model_scope.weight.numpy().tolist(),
                     "bias": changed.different_model_scope.bias.numpy().tolist()}
    out["expected"] = {k: v.tolist() for k, v in seed_models.TRAINED.items()}
    with ckpt_doctor.guard(strict=False) as g:
        tf.train.Checkpoint(model=Changed()).restore(path)  # TF's own restore: silent
    out["guard"] = [{"call": e.call, "not_restored": e.not_restored, "unused": e.unused} for e in g.events]
    out["guard_removed"] = "restore" in tf.train.Checkpoint.__dict__ and \
        tf.train.Checkpoint.restore.__module__.startswith("tensorflow")
    return out


def tf1_guard(work):
    prefix = save_original(os.path.join(work, "guard"))
    with tf.Graph().as_default(), v1.Session() as sess:
        seed_models.build_original()
        sess.run(v1.global_variables_initializer())
        with ckpt_doctor.guard(strict=True) as g:
            v1.train.Saver().restore(sess, prefix)
        return [{"call": e.call, "ok": e.ok, "checked": e.checked} for e in g.events]


def keras_case(keras, work, tag):
    """The seed scenario in Keras: the block attribute `model_scope` renamed to `different_model_scope`."""
    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(16)
            self.head = keras.layers.Dense(8)

        def call(self, x):
            return self.head(self.dense(x))

    class Old(keras.Model):
        def __init__(self):
            super().__init__()
            self.model_scope = Block()

        def call(self, x):
            return self.model_scope(x)

    class New(keras.Model):
        def __init__(self):
            super().__init__()
            self.different_model_scope = Block()

        def call(self, x):
            return self.different_model_scope(x)

    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    old = Old()
    y = np.asarray(old(x))
    path = tf.train.Checkpoint(model=old).write(os.path.join(work, tag, "ckpt"))
    new = New()
    new(x)
    out = {"none": refused(lambda: ckpt_doctor.restore(new, path, rules=None))}
    out["auto"] = summary(ckpt_doctor.restore(new, path))
    out["same_output"] = bool(np.array_equal(np.asarray(new(x)), y))

    # deferred: `head` not built when restore is called
    partial = New()
    partial.different_model_scope.dense(x)
    out["deferred_strict"] = refused(lambda: ckpt_doctor.restore(partial, path))
    report = ckpt_doctor.restore(partial, path, strict=False)
    out["deferred"] = summary(report)
    out["deferred_notes"] = report.entry_notes
    # guard around Keras' own load_weights; then user code re-initialises the head
    weights = os.path.join(work, tag, "new.weights.h5" if tag == "keras3" else "new.h5")
    new.save_weights(weights)
    # Keras' own weights file (legacy HDF5 by layer order, Keras 3 by object tree) into a fresh Sequential model,
    # without rules (a nested subclassed model such as New does not pair from a weights file yet)
    def sequential():
        model = keras.Sequential([keras.layers.Dense(3), keras.layers.BatchNormalization(), keras.layers.Dense(2)])
        model(x)
        return model

    saved, fresh = sequential(), sequential()
    seq_weights = os.path.join(work, tag, "seq.weights.h5" if tag == "keras3" else "seq.h5")
    saved.save_weights(seq_weights)
    out["from_weights_file"] = summary(ckpt_doctor.restore(fresh, seq_weights, rules=None))
    out["from_weights_file_same"] = all(np.array_equal(np.asarray(a), np.asarray(b))
                                        for a, b in zip(saved.weights, fresh.weights, strict=True))
    other = New()
    other(x)
    with ckpt_doctor.guard(strict=False) as g:
        other.load_weights(weights)
        head = other.different_model_scope.head
        head.kernel.assign(head.kernel_initializer(head.kernel.shape))
    out["guard"] = [{"call": e.call, "ok": e.ok, "checked": e.checked, "reinitialised": e.reinitialised}
                    for e in g.events]
    out["check_after_reinit"] = ckpt_doctor.check_restored(other, path).to_json()

    partial(x)  # built now: ckpt-doctor deferred nothing, the head keeps its initializer
    out["deferred_head_is_initial"] = not np.array_equal(np.asarray(partial.different_model_scope.head.kernel),
                                                         np.asarray(old.model_scope.head.kernel))
    return out


def main() -> None:
    work = sys.argv[1]
    out = {"tf1_seed": tf1_seed(work), "tf1_slots": tf1_slots(work), "tf2_module": tf2_module(work),
           "tf1_guard": tf1_guard(work)}
    import keras

    out["keras3"] = keras_case(keras, work, "keras3")
    import tf_keras

    out["tf_keras"] = keras_case(tf_keras, work, "tf_keras")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
