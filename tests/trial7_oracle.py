#!/usr/bin/env python
"""Oracle for tests/test_trial7_findings.py: what a seventh new user saved with TensorFlow and Keras 3, and what the
names ckpt-doctor prints do when TensorFlow is given them verbatim.

    python tests/trial7_oracle.py OUTDIR   # writes the files below OUTDIR and OUTDIR/trial7.json

opt/: tf.train.Checkpoint(step=..., opt=<Keras 3 Adam after one step>, net=<functional model>) and lso/: the same with a
mixed_float16 LossScaleOptimizer; net_only/: the same net alone (the keys that are the model's). v1s/: a TF1 Saver
V1 save in shards (write_version=V1, sharded=True), what tf.train.latest_checkpoint returns, the name `ckpt-doctor
latest` prints, and whether tf.train.load_checkpoint and Saver.restore take that name and restore every value.
v1/: a V1 save in one file with its .meta. sm/: tf.saved_model.save into sm/ep01, sm/ep02 (one per epoch).
mgr/: a CheckpointManager directory; mgr_lost/: a copy whose newest data shard is deleted, what
tf.train.latest_checkpoint returns for it and what restoring that raises. functional.weights.h5 and
subclassed.weights.h5: `align --rewrite` (run here) from a Functional model to a subclassed one (k3sub.py), and
whether Keras 3 load_weights of what it wrote holds every value.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

OUT = os.path.abspath(sys.argv[1])
os.makedirs(OUT, exist_ok=True)


def _keys(prefix: str) -> list[str]:
    import tensorflow as tf

    return sorted(name for name, _ in tf.train.list_variables(prefix))


def keras_optimizer_part() -> dict:
    import keras
    import tensorflow as tf

    def net():
        inp = keras.Input((4,))
        return keras.Model(inp, keras.layers.Dense(2, name="d")(keras.layers.Dense(3, name="e")(inp)))

    def one_step(model, opt, scaled=False):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.cast(model(tf.ones([4, 4])), tf.float32))
            if scaled:
                loss = opt.scale_loss(loss)
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True))

    out = {}
    model, opt = net(), keras.optimizers.Adam(0.1)
    one_step(model, opt)
    out["opt"] = tf.train.Checkpoint(step=tf.Variable(1, dtype=tf.int64), opt=opt, net=model).save(f"{OUT}/opt/ck")
    out["net_only"] = tf.train.Checkpoint(net=model).save(f"{OUT}/net_only/ck")
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model, opt = net(), keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(0.1))
        one_step(model, opt, scaled=True)
        out["lso"] = tf.train.Checkpoint(opt=opt, net=model).save(f"{OUT}/lso/ck")
        out["lso_net_only"] = tf.train.Checkpoint(net=model).save(f"{OUT}/lso_net_only/ck")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return {name: {"prefix": prefix, "keys": _keys(prefix)} for name, prefix in out.items()}


def tf1_part() -> dict:
    import numpy as np
    import tensorflow as tf
    from tensorflow.core.protobuf import saver_pb2

    from ckpt_doctor.cli import main

    v1 = tf.compat.v1
    facts: dict = {}
    with tf.Graph().as_default():
        gs = v1.train.get_or_create_global_step()
        with v1.variable_scope("net"):
            w = v1.get_variable("w", [6, 4], partitioner=v1.fixed_size_partitioner(3))
            b = v1.get_variable("b", [4], initializer=v1.random_normal_initializer())
        update = [v.assign_add(tf.ones_like(v)) for v in [*w, b]] + [gs.assign_add(1)]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(update)
            saved = {v.op.name if getattr(v, "_save_slice_info", None) is None else v._save_slice_info.full_name:
                     None for v in v1.global_variables()}
            values = {v.name: sess.run(v) for v in v1.global_variables()}
            for d in ("v1s", "v1"):
                os.makedirs(f"{OUT}/{d}", exist_ok=True)
            v1.train.Saver(write_version=saver_pb2.SaverDef.V1, sharded=True).save(sess, f"{OUT}/v1s/model.ckpt",
                                                                                   global_step=gs)
            v1.train.Saver(write_version=saver_pb2.SaverDef.V1).save(sess, f"{OUT}/v1/model.ckpt")
            facts["tf_latest"] = tf.train.latest_checkpoint(f"{OUT}/v1s")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                facts["latest_exit"] = main(["latest", f"{OUT}/v1s"])
            name = facts["printed"] = printed.getvalue().strip()
            try:
                facts["load_checkpoint_keys"] = sorted(tf.train.load_checkpoint(name).get_variable_to_shape_map())
            except Exception as e:  # noqa: BLE001 - what TensorFlow says about the printed name is the finding
                facts["load_checkpoint_keys"] = f"{type(e).__name__}: {e}"
            sess.run(v1.global_variables_initializer())  # fresh values again, then the verbatim restore
            try:
                v1.train.Saver().restore(sess, name)
                facts["restored"] = all(np.array_equal(sess.run(v), values[v.name]) for v in v1.global_variables())
            except Exception as e:  # noqa: BLE001
                facts["restored"] = f"{type(e).__name__}: {e}"
    facts["saved_names"] = sorted(saved)
    facts["v1_keys"] = _keys(f"{OUT}/v1/model.ckpt")
    return facts


def saved_model_part() -> dict:
    import tensorflow as tf

    class Net(tf.Module):
        def __init__(self):
            self.w = tf.Variable(tf.ones([3, 2]))

    for epoch in (1, 2):
        tf.saved_model.save(Net(), f"{OUT}/sm/ep{epoch:02d}")
    return {"keys": _keys(f"{OUT}/sm/ep02/variables/variables")}


def manager_part() -> dict:
    import tensorflow as tf

    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(w=tf.Variable(tf.ones([2])), step=step)
    manager = tf.train.CheckpointManager(ckpt, f"{OUT}/mgr", max_to_keep=2, step_counter=step)
    for i in range(3):
        step.assign(i)
        manager.save()
    # the newest save's data shard lost: what TensorFlow's latest_checkpoint returns and a restore of it does
    import shutil

    shutil.copytree(f"{OUT}/mgr", f"{OUT}/mgr_lost")
    latest = tf.train.latest_checkpoint(f"{OUT}/mgr_lost")
    for name in os.listdir(f"{OUT}/mgr_lost"):
        if name.startswith(os.path.basename(latest) + ".data-"):
            os.remove(f"{OUT}/mgr_lost/{name}")
    lost_latest = tf.train.latest_checkpoint(f"{OUT}/mgr_lost")
    try:
        tf.train.Checkpoint(w=tf.Variable(tf.zeros([2])), step=tf.Variable(0, dtype=tf.int64)).restore(lost_latest)
        restore = "ok"
    except Exception as e:  # noqa: BLE001 - what TensorFlow raises is the fact
        restore = type(e).__name__
    return {"latest": latest, "lost_latest": lost_latest, "lost_restore": restore}


SUBCLASSED = '''import keras


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.enc = keras.layers.Dense(3)
        self.dec = keras.layers.Dense(2)

    def call(self, x):
        return self.dec(self.enc(x))


def net():
    model = Net()
    model(keras.ops.ones((1, 4)))
    return model
'''


def keras3_rewrite_part() -> dict:
    """A Functional model's save_weights, `align --rewrite OUT.weights.h5` for a subclassed model of the same layers
    (run in this process, where Keras is), and what Keras 3 load_weights(OUT) then holds."""
    import keras
    import numpy as np

    from ckpt_doctor.cli import main

    inp = keras.Input((4,))
    functional = keras.Model(inp, keras.layers.Dense(2, name="d")(keras.layers.Dense(3, name="e")(inp)))
    functional.save_weights(f"{OUT}/functional.weights.h5")
    with open(f"{OUT}/k3sub.py", "w") as f:
        f.write(SUBCLASSED)
    out = f"{OUT}/subclassed.weights.h5"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["align", f"{OUT}/functional.weights.h5", "--model", f"{OUT}/k3sub.py:net", "--rewrite", out])
    sys.path.insert(0, OUT)
    import k3sub

    model = k3sub.net()
    loaded = None
    if os.path.exists(out):
        model.load_weights(out)  # verbatim: the file align wrote
        loaded = all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, functional.weights,
                                                                            strict=True))
    return {"exit": code, "stderr": err.getvalue(), "loaded": loaded}


def lead_part() -> dict:
    """What the lead fixed of the trial's match/ findings. byname/: a tf-keras HDF5 file of layers `e` [4, 3] and `d`
    [3, 2], and the spec of the same model with `e` widened to 5 (`d/kernel` [5, 2], only `d/bias` fits): whether
    load_weights(by_name=True) raises and assigns nothing. ema/: a TF1 graph under `model/` with
    ExponentialMovingAverage, rebuilt under `net/`: the fix ckpt-doctor prints, its init_from_checkpoint part run
    verbatim, and whether every variable then holds its checkpoint value. The spec of the `net/` graph is saved."""
    import numpy as np
    import tensorflow as tf
    import tf_keras

    import ckpt_doctor
    from ckpt_doctor.report.diagnose import render

    out: dict = {}

    def dense(units):
        inp = tf_keras.Input((4,))
        x = tf_keras.layers.Dense(units, name="e")(inp)
        return tf_keras.Model(inp, tf_keras.layers.Dense(2, name="d")(x))

    os.makedirs(f"{OUT}/byname", exist_ok=True)
    dense(3).save_weights(f"{OUT}/byname/w.h5")
    model = dense(5)
    ckpt_doctor.load_model(model).save(f"{OUT}/byname/model.spec.json")
    before = [w.numpy().copy() for w in model.weights]
    try:
        model.load_weights(f"{OUT}/byname/w.h5", by_name=True)
        raised = None
    except ValueError as e:
        raised = str(e)[:200]
    out["byname"] = {"raised": raised, "unchanged": all(np.array_equal(b, w.numpy())
                                                        for b, w in zip(before, model.weights, strict=True))}

    class Sub(tf_keras.Model):  # the same layers as `dense(3)`, as attributes
        def __init__(self):
            super().__init__()
            self.e, self.d = tf_keras.layers.Dense(3, name="e"), tf_keras.layers.Dense(2, name="d")

        def call(self, x):
            return self.d(self.e(x))

    dense(3).save_weights(f"{OUT}/tfk/w")  # TF format: `layer_with_weights-0/kernel`, ...
    sub = Sub()
    sub(tf.ones([1, 4]))
    ckpt_doctor.load_model(sub).save(f"{OUT}/tfk/model.spec.json")
    try:
        sub.load_weights(f"{OUT}/tfk/w")
        raised = None
    except AssertionError as e:
        raised = str(e)[:200]
    out["tfk"] = {"prefix": f"{OUT}/tfk/w", "raised": raised}

    class Net(tf.Module):  # a dict attribute, its key renamed later
        def __init__(self, key):
            super().__init__()
            self.d = {key: tf.Variable(tf.random.normal([3, 2])), "b": tf.Variable(tf.random.normal([2]))}
            self.w = tf.Variable(tf.random.normal([4, 4]))

    saved_dir = f"{OUT}/dictkey"
    tf.train.CheckpointManager(tf.train.Checkpoint(model=Net("a")), saved_dir, max_to_keep=1).save()
    ckpt_doctor.load_model(Net("alpha")).save(f"{OUT}/dictkey.spec.json")

    v1 = tf.compat.v1

    def graph(scope):
        with v1.variable_scope(scope):
            w, b = v1.get_variable("w", [3, 2]), v1.get_variable("b", [2])
        return tf.train.ExponentialMovingAverage(0.9).apply([w, b])

    prefix = f"{OUT}/ema/model.ckpt"
    with tf.Graph().as_default():
        update = graph("model")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(update)
            v1.train.Saver().save(sess, prefix)
    reader = tf.train.load_checkpoint(prefix)
    with tf.Graph().as_default():
        graph("net")
        spec = ckpt_doctor.load_model(v1.get_default_graph())
        spec.save(f"{OUT}/ema/model.spec.json")
        d = ckpt_doctor.diagnose(prefix, spec)
        lines = render(d, ckpt_doctor.align(d.checkpoint, d.model, load_with=d.loader.name)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix ("))
    fix = []
    for line in lines[start + 1:]:
        if line and not line.startswith("  "):
            break
        fix.append(line[2:])
    init_part = "\n".join(fix).split("# or, before running the initializer", 1)[1].split("\n", 1)[1]
    error = None
    with tf.Graph().as_default():
        graph("net")
        try:
            exec(init_part, {"tf": tf, "CHECKPOINT": prefix})  # verbatim
        except ValueError as e:  # (what TensorFlow said to the names of the averages)
            error = str(e)[:300]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            restored = error is None and all(
                np.array_equal(sess.run(v), reader.get_tensor(v.op.name.replace("net/", "model/", 1)))
                for v in v1.global_variables())
    out["ema"] = {"prefix": prefix, "init_part": init_part, "restored": restored, "error": error}
    return out


result = {"keras_rewrite": keras3_rewrite_part(), "keras": keras_optimizer_part(), "tf1": tf1_part(),
          "saved_model": saved_model_part(),
          "manager": manager_part(), "lead": lead_part()}
with open(os.path.join(OUT, "trial7.json"), "w") as f:
    json.dump(result, f, indent=1)
