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
