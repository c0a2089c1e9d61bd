"""A depthwise convolution with a depth multiplier (held-out 20: a Keras 3 DepthwiseConv1D with ``depth_multiplier=2``
into PyTorch, a TF1 ``separable_conv1d`` likewise): TF's kernel ``[*k, C, M]`` is PyTorch's grouped ``[C * M, 1,
*k]``, output channel ``c * M + m`` filtering input channel ``c``. Only ``M = 1`` was known, so the kernel went
unused and the PyTorch weight kept its initial value. Keras runs in a child process; the outputs of both models,
after the printed fixes run as printed (Keras into PyTorch and PyTorch into Keras), are the oracle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

# argv: out dir, the PyTorch file for the Keras model. Writes keras.weights.h5 and x/y of the Keras model as it
# was saved; prints what the printed fix from the PyTorch file gave the Keras model.
CHILD = textwrap.dedent("""\
    import json, sys
    import numpy as np, keras
    import ckpt_doctor

    def build(seed):
        keras.utils.set_random_seed(seed)
        one = keras.Input((12, 4))
        two = keras.Input((6, 6, 3))
        a = keras.layers.DepthwiseConv1D(5, depth_multiplier=2, padding="same", name="dw1")(one)
        a = keras.layers.Conv1D(8, 1, name="pw1")(a)
        b = keras.layers.DepthwiseConv2D(3, depth_multiplier=3, padding="same", name="dw2")(two)
        return keras.Model([one, two], [a, b])

    out, torch_file = sys.argv[1], sys.argv[2]
    saved = build(1)
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 12, 4), dtype=np.float32), rng.standard_normal((2, 6, 6, 3), dtype=np.float32)
    y1, y2 = (np.asarray(t) for t in saved([x1, x2]))
    saved.save_weights(out + "/keras.weights.h5")
    np.savez(out + "/io.npz", x1=x1, x2=x2, y1=y1, y2=y2)
    model = build(2)
    a = ckpt_doctor.align(torch_file, model)
    exec(a.tf2_assign_code(), {"model": model})
    z1, z2 = (np.asarray(t) for t in model([x1, x2]))
    print(json.dumps({"pairs": {p.model: [p.checkpoint, p.transform] for p in a.pairs},
                      "missing": a.missing, "z1": z1.tolist(), "z2": z2.tolist()}))
    """)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dw1 = torch.nn.Conv1d(4, 8, 5, padding=2, groups=4)
        self.pw1 = torch.nn.Conv1d(8, 8, 1)
        self.dw2 = torch.nn.Conv2d(3, 9, 3, padding=1, groups=3)

    def forward(self, x1, x2):  # channels last in and out, as Keras
        return (self.pw1(self.dw1(x1.transpose(1, 2))).transpose(1, 2),
                self.dw2(x2.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


def test_a_depth_multiplier_pairs_both_ways_and_the_printed_fixes_reproduce_the_outputs(tmp_path):
    torch.manual_seed(0)
    source = Net()
    torch.save(source.state_dict(), tmp_path / "net.pt")
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), str(tmp_path / "net.pt")], capture_output=True,
                          text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    keras_got = json.loads(done.stdout.strip().splitlines()[-1])
    io = np.load(tmp_path / "io.npz")
    x1, x2 = torch.from_numpy(io["x1"]), torch.from_numpy(io["x2"])

    # PyTorch into Keras: every value, the depthwise kernels reshaped then permuted
    assert not keras_got["missing"], keras_got
    assert keras_got["pairs"]["dw1/kernel"] == ["dw1.weight", "reshape(4,2,5)+permute(2,0,1)"], keras_got
    assert keras_got["pairs"]["dw2/kernel"] == ["dw2.weight", "reshape(3,3,3,3)+permute(2,3,0,1)"], keras_got
    with torch.no_grad():
        y1, y2 = source(x1, x2)
    np.testing.assert_allclose(np.array(keras_got["z1"]), y1.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.array(keras_got["z2"]), y2.numpy(), rtol=1e-5, atol=1e-5)

    # Keras into PyTorch: permuted then reshaped
    a = ckpt_doctor.align(str(tmp_path / "keras.weights.h5"), Net())
    assert not a.missing and not a.unused and not a.ambiguous, (a.missing, a.unused, a.ambiguous)
    transforms = {p.model: p.transform for p in a.pairs}
    assert transforms["dw1.weight"] == "permute(1,2,0)+reshape(8,1,5)"
    assert transforms["dw2.weight"] == "permute(2,3,0,1)+reshape(9,1,3,3)"
    model = Net()
    exec(a.torch_code(), {"model": model})
    with torch.no_grad():
        z1, z2 = model(x1, x2)
    np.testing.assert_allclose(z1.numpy(), io["y1"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z2.numpy(), io["y2"], rtol=1e-5, atol=1e-5)
