"""A TF1 lookup table kept by the code's own name (``tf.compat.v1.get_variable("table")`` under ``embedding/``, as
a text CNN in held-out 16 does) is the token table of a PyTorch ``nn.Embedding`` (``embed.weight``): [vocab, dim] in
both, no transform. ``table`` was no leaf the inference knew, so the value stayed unused and the embedding new.
TensorFlow writes the file (a child process); the printed torch fix, run as printed, gives the model the table."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

TF = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    rng = np.random.default_rng(0)
    with tf.compat.v1.variable_scope("embedding"):
        tf.compat.v1.get_variable("table", initializer=rng.standard_normal((30, 8)).astype("float32"))
    with tf.compat.v1.variable_scope("proj"):
        tf.compat.v1.get_variable("kernel", initializer=rng.standard_normal((8, 4)).astype("float32"))
        tf.compat.v1.get_variable("bias", initializer=rng.standard_normal(4).astype("float32"))
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver().save(sess, os.path.join(sys.argv[1], "model.ckpt"))
    """)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(30, 8)
        self.proj = torch.nn.Linear(8, 4)


def test_a_tf1_table_is_the_embeddings_token_table_and_the_printed_fix_loads_it(tmp_path):
    subprocess.run([sys.executable, "-c", TF, str(tmp_path)], check=True, timeout=300)
    model = Net()
    a = ckpt_doctor.align(str(tmp_path / "model.ckpt"), model)
    paired = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert paired["embed.weight"] == ("embedding/table", None), paired
    assert paired["proj.weight"] == ("proj/kernel", "transpose"), paired
    assert not a.missing and not a.ambiguous and not a.unused
    exec(a.torch_code(), {"model": model})
    values = ckpt_doctor.open_checkpoint(str(tmp_path / "model.ckpt"))
    np.testing.assert_array_equal(model.embed.weight.detach().numpy(), values["embedding/table"].read())
    np.testing.assert_array_equal(model.proj.weight.detach().numpy(), values["proj/kernel"].read().T)


K3 = textwrap.dedent("""\
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras

    class Positions(keras.layers.Layer):  # a user's own layer: a learned table of add_weight, added to its input
        def build(self, shape):
            self.table = self.add_weight(shape=(shape[1], shape[2]), name="table")
        def call(self, x):
            return x + self.table

    x = keras.Input((16, 16))
    y = keras.layers.Dense(4)(keras.layers.Flatten()(Positions()(x)))
    keras.Model(x, y).save_weights(sys.argv[1])
""")


def test_a_square_matrix_of_a_users_own_keras3_layer_is_not_transposed_by_guess(tmp_path):
    # held-out 28 (glom, token-shift ports): a Keras 3 layer of the user's own class keeps a [16, 16] table, a
    # PyTorch nn.Embedding the same [16, 16]. A rank-2 variable by position was read as a Dense kernel and paired
    # transposed: the model would get the table transposed. No name says whether the user's matrix is a table or a
    # kernel, and a square one fits both ways: not paired.
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    path = tmp_path / "m.weights.h5"
    subprocess.run([sys.executable, "-c", K3, str(path)], check=True, capture_output=True, timeout=300)
    ckpt = ckpt_doctor.open_checkpoint(path)
    assert {e.name: e.shape for e in ckpt.values()}["layers/positions/vars/0"] == (16, 16)
    spec = ModelSpec([VariableSpec("positions.weight", (16, 16), "float32", index=0),
                      VariableSpec("dense.weight", (4, 256), "float32", index=1),
                      VariableSpec("dense.bias", (4,), "float32", index=2)], framework="torch", source="<twin>")
    a = ckpt_doctor.align(ckpt, spec)
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got.get("dense.weight") == ("layers/dense/vars/0", "transpose")
    assert "positions.weight" not in got and [x.model for x in a.ambiguous] == ["positions.weight"]
