"""The framework side of tests/test_trial10_findings.py, run in a subprocess (TensorFlow, Keras and torch never enter
pytest).

`tf1 DIR`: a TF1 graph built inside `variable_scope("old_scope")`, with a variable split by
`fixed_size_partitioner(2)`, bfloat16/float16/int8/0-d/empty variables, a ref variable, Adam (made inside the scope,
so its slots of the partitioned variable are saved one part each, under names of their own) and a moving average,
trained one step and saved by `Saver` at DIR/run/model.ckpt-10; DIR/tf1_model.py builds the same graph under
"new_scope"; a partitioned variable and its Adam slots, made in its scope, in a legacy V1 file at DIR/v1/model.ckpt.
`tf1_restore DIR PREFIX`: `Saver().restore` of PREFIX into the "new_scope" graph, every value compared with what
`Saver().restore` of DIR/run/model.ckpt-10 gives the "old_scope" graph; prints the names that differ as JSON.
`tf2 DIR`: a Keras 3 Sequential trained with Adam, saved by `tf.train.CheckpointManager` of
`tf.train.Checkpoint(model=, optimizer=, step=)` in DIR/run (the optimizer also tracks the model's variables, so
their keys are `optimizer/_trainable_variables/N`); DIR/tf2_spec.json describes the same model with a
BatchNormalization inserted before its last layer, as `tf.train.Checkpoint(model=m)` sees it.
`tf2_restore DIR PREFIX`: `tf.train.Checkpoint(model=m).restore(PREFIX)` into that new model; prints JSON: whether its
first and last Dense layers hold the saved values.
`ema DIR`: a Keras 3 model trained by `train_on_batch` with `Adam(use_ema=True)`, saved by
`tf.train.Checkpoint(model=, optimizer=).save` in DIR/run; its spec in DIR/spec.json; the weights that a restore of
model and optimizer followed by `optimizer.finalize_variable_values` gives, in DIR/finalized.npz.
`dcp DIR`: `torch.distributed.checkpoint.save({"model": {"a.weight", "a.bias"}})` in DIR/dcp (one process).
`torch DIR`: a torch.compile'd module wrapped in DataParallel, trained one Adam step, saved as
`{"model": ..., "optimizer": ..., "epoch": 3}` at DIR/ckpt.pt; the plain module's state-dict keys in DIR/keys.json.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_TF1_MODEL = '''
import tensorflow as tf
tf1 = tf.compat.v1


def graph(scope):
    with tf1.variable_scope(scope):
        w = tf1.get_variable("w", [6, 4], partitioner=tf1.fixed_size_partitioner(2))
        b = tf1.get_variable("b", [4], initializer=tf1.zeros_initializer())
        tf1.get_variable("emb", [3, 2], dtype=tf.bfloat16)
        tf1.get_variable("h16", [2], dtype=tf.float16)
        tf1.get_variable("q8", [5], dtype=tf.int8, initializer=tf1.ones_initializer())
        tf1.get_variable("scal", [], initializer=tf1.constant_initializer(3.0))
        tf1.get_variable("empty", [0, 4])
        ref = tf1.Variable(tf.ones([2]), name="refvar", use_resource=False)
        step = tf1.train.get_or_create_global_step()
        loss = tf.reduce_sum(tf.matmul(tf.ones([1, 6]), w) + b) + tf.reduce_sum(ref)
        train = tf1.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        with tf.control_dependencies([train]):
            train = tf1.train.ExponentialMovingAverage(0.9).apply([b])
    return train


def build():
    graph("new_scope")
'''


def _tf1_module(out: str):
    import importlib.util

    path = os.path.join(out, "tf1_model.py")
    with open(path, "w") as f:
        f.write(_TF1_MODEL)
    spec = importlib.util.spec_from_file_location("tf1_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tf1(out: str) -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    train = _tf1_module(out).graph("old_scope")
    with v1.Session() as s:
        s.run(v1.global_variables_initializer())
        s.run(train)
        v1.train.Saver().save(s, os.path.join(out, "run", "model.ckpt"), global_step=10)
    with tf.Graph().as_default(), v1.Session() as s:  # the same slots in a legacy V1 file (no bfloat16 there)
        with v1.variable_scope("sc"):
            w = v1.get_variable("w", [6, 4], partitioner=v1.fixed_size_partitioner(2))
            train = v1.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(w))
        s.run(v1.global_variables_initializer())
        s.run(train)
        os.makedirs(os.path.join(out, "v1"))
        v1.train.Saver(write_version=v1.train.SaverDef.V1).save(s, os.path.join(out, "v1", "model.ckpt"))


def tf1_restore(out: str, prefix: str) -> None:
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    module = _tf1_module(out)

    def values(scope: str, checkpoint: str) -> dict:
        with tf.Graph().as_default(), v1.Session() as s:
            module.graph(scope)
            v1.train.Saver().restore(s, checkpoint)
            return {v.op.name.replace(scope, "SCOPE"): s.run(v) for v in v1.global_variables()}

    want = values("old_scope", os.path.join(out, "run", "model.ckpt-10"))
    got = values("new_scope", prefix)
    print(json.dumps(sorted(k for k in want if not np.array_equal(want[k], got.get(k)))))


def _tf2_model(insert: bool):
    import keras

    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="d1")]
    if insert:
        layers.append(keras.layers.BatchNormalization(name="bn"))
    return keras.Sequential([*layers, keras.layers.Dense(3, name="out")])


def tf2(out: str) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    from ckpt_doctor.model import load_model

    keras.utils.set_random_seed(0)
    model, optimizer = _tf2_model(False), keras.optimizers.Adam()
    model.compile(optimizer, "mse")
    model.fit(np.ones((8, 4)), np.ones((8, 3)), verbose=0, epochs=2)
    step = tf.Variable(7, dtype=tf.int64)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model, optimizer=optimizer, step=step),
                                         os.path.join(out, "run"), max_to_keep=3)
    for _ in range(3):
        step.assign_add(1)
        manager.save()
    np.savez(os.path.join(out, "tf2_values.npz"), *[v.numpy() for v in model.weights])
    load_model(tf.train.Checkpoint(model=_tf2_model(True))).save(os.path.join(out, "tf2_spec.json"))


def tf2_restore(out: str, prefix: str) -> None:
    import numpy as np
    import tensorflow as tf

    model = _tf2_model(True)
    tf.train.Checkpoint(model=model).restore(prefix).expect_partial()
    with np.load(os.path.join(out, "tf2_values.npz")) as saved:
        old = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    first, last = model.layers[0], model.layers[-1]
    print(json.dumps({"first": bool(np.array_equal(first.kernel.numpy(), old[0])
                                    and np.array_equal(first.bias.numpy(), old[1])),
                      "last": bool(np.array_equal(last.kernel.numpy(), old[2])
                                   and np.array_equal(last.bias.numpy(), old[3]))}))


def ema(out: str) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    from ckpt_doctor.model import load_model

    keras.utils.set_random_seed(0)
    model, optimizer = _tf2_model(False), keras.optimizers.Adam(use_ema=True)
    model.compile(optimizer, "mse")
    for _ in range(3):  # train_on_batch: the averages stay apart from the weights (fit's end would copy them in)
        model.train_on_batch(np.ones((8, 4)), np.ones((8, 3)))
    saved = tf.train.Checkpoint(model=model, optimizer=optimizer).save(os.path.join(out, "run", "ckpt"))
    load_model(tf.train.Checkpoint(model=_tf2_model(False))).save(os.path.join(out, "spec.json"))
    restored, again = _tf2_model(False), keras.optimizers.Adam(use_ema=True)
    again.build(restored.trainable_variables)
    tf.train.Checkpoint(model=restored, optimizer=again).restore(saved).assert_consumed()
    again.finalize_variable_values(restored.trainable_variables)
    np.savez(os.path.join(out, "finalized.npz"), *[v.numpy() for v in restored.trainable_variables])


def torch_checkpoint(out: str) -> None:
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn, self.fc = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.bn(self.conv(x)).mean((2, 3)))

    torch.manual_seed(0)
    net = Net()
    model = nn.DataParallel(torch.compile(net))
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    optimizer.step()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
               os.path.join(out, "ckpt.pt"))
    with open(os.path.join(out, "keys.json"), "w") as f:
        json.dump(list(net.state_dict()), f)


def dcp(out: str) -> None:
    import torch
    import torch.distributed.checkpoint as checkpoint

    torch.manual_seed(0)
    state = {"a.weight": torch.randn(64, 32), "a.bias": torch.randn(32)}
    checkpoint.save({"model": state}, checkpoint_id=os.path.join(out, "dcp"))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"tf1": tf1, "tf1_restore": tf1_restore, "tf2": tf2, "tf2_restore": tf2_restore,
     "torch": torch_checkpoint, "ema": ema, "dcp": dcp}[command](*args)
