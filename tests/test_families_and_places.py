"""What held-out 22 and the mutation probe found, each with the real framework as the oracle.

- A leftover element of an equal family under a prefix rename (an EMA copy ``ema.`` of six equal layers into a model
  ``net.`` with one layer fewer and a new head): a part of the leftover element (its attention output: a dense and a
  norm) fitted the new head's ``transform`` by shape and was paired into it, which also made "numbers kept" look
  better than "one removed". A part of a numbered element no longer moves out of its family on its own.
- Two blocks removed at once (axial attention's depth 3 -> 2: an attention and a feed-forward block per layer, under
  the same names): the exact names were taken as proof; a shift by two is now weighed.
- A Lightning module's Sequential (``model.0`` .. ``model.3``) written out as named attributes (``stem``, ``attn1``,
  ``proj``, ``attn2``) beside a new head: the positions pair in place. The printed fix runs.
- A numbered layer nested one level deeper on one side (LPIPS' ``lin3.model.1``, Keras' ``lin_3``) keeps its number.
- A list of raw variables (``cells/N/w``) keeps its element numbers into a ``ModuleList``.
- From TensorFlow (a child process writes the files and the outputs): a ``tf.Module`` of square ``w`` matrices into
  ``nn.Linear`` (TF's ``x @ w``: transposed), a Keras 3 Sequential saved by ``tf.train.Checkpoint`` (its
  ``_operations/N`` keys keep the layer order) into a PyTorch twin with other names, and a TF1 graph's packed
  ``qkv/kernel`` into ``nn.MultiheadAttention``'s ``in_proj_weight``. The printed PyTorch fix runs; the twin's
  outputs are TensorFlow's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ckpt_doctor  # noqa: E402

nn = torch.nn


class Layer(nn.Module):
    def __init__(self, dim: int = 8):
        super().__init__()
        self.attention = nn.Module()
        self.attention.query, self.attention.key = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.attention.output = nn.Module()
        self.attention.output.dense, self.attention.output.LayerNorm = nn.Linear(dim, dim), nn.LayerNorm(dim)
        self.output = nn.Module()
        self.output.dense, self.output.LayerNorm = nn.Linear(dim, dim), nn.LayerNorm(dim)


class Encoder(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer() for _ in range(n))


class WithHead(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.net = Encoder(n)
        self.cls = nn.Module()
        self.cls.transform = nn.Module()
        self.cls.transform.dense, self.cls.transform.LayerNorm = nn.Linear(8, 8), nn.LayerNorm(8)


def test_a_leftover_element_of_an_equal_family_gives_no_part_of_itself_to_a_new_head(tmp_path):
    torch.manual_seed(0)
    ema = nn.Module()
    ema.ema = Encoder(6)
    torch.save(ema.state_dict(), tmp_path / "ema.pt")
    a = ckpt_doctor.align(str(tmp_path / "ema.pt"), WithHead(5))
    head = [n for n in WithHead(5).state_dict() if n.startswith("cls.")]
    assert all(p.model not in head for p in a.pairs), [p for p in a.pairs if p.model in head]
    assert set(head) <= set(a.missing)
    # which of the six equal layers went, no file says: no layer is paired by its kept number
    layers = [n for n in WithHead(5).state_dict() if n.startswith("net.encoder.layer.")]
    assert not any(p.model in layers for p in a.pairs)
    assert {x.model for x in a.ambiguous} == set(layers)


class Axial(nn.Module):  # depth layers, each an attention and a feed-forward block
    def __init__(self, depth: int, dim: int = 8):
        super().__init__()
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.ModuleDict({"qkv": nn.Linear(dim, 3 * dim), "out": nn.Linear(dim, dim)}))
            self.blocks.append(nn.ModuleDict({"up": nn.Linear(dim, 4 * dim), "down": nn.Linear(4 * dim, dim)}))


def test_two_blocks_removed_at_once_leave_the_names_unproven(tmp_path):
    torch.save(Axial(3).state_dict(), tmp_path / "deep.pt")
    a = ckpt_doctor.align(str(tmp_path / "deep.pt"), Axial(2))
    # blocks 0..3 of the model are blocks 0..3, 0,1 + 4,5, or 2..5 of the file: the same names prove none of them
    assert not a.pairs, a.pairs
    assert {x.model for x in a.ambiguous} == set(Axial(2).state_dict())
    both = {x.model: x.candidates for x in a.ambiguous}
    assert both["blocks.0.qkv.weight"] == ["blocks.0.qkv.weight", "blocks.2.qkv.weight"]
    assert both["blocks.2.qkv.weight"] == ["blocks.2.qkv.weight", "blocks.4.qkv.weight"]


class Attention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.to_q, self.to_kv, self.to_out = nn.Linear(dim, dim, bias=False), nn.Linear(dim, 2 * dim), \
            nn.Linear(dim, dim)

    def forward(self, x):
        q, kv = self.to_q(x), self.to_kv(x)
        k, v = kv.chunk(2, dim=-1)
        return self.to_out(torch.softmax(q @ k.transpose(-1, -2), -1) @ v)


class Named(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.attn1, self.proj, self.attn2 = nn.Linear(3, 8), Attention(8), nn.Linear(8, 12), Attention(12)
        self.classifier = nn.Linear(12, 4)

    def body(self, x):
        return self.attn2(self.proj(self.attn1(self.stem(x))))


def test_positions_written_out_as_named_attributes_pair_in_place_and_the_fix_runs(tmp_path):
    torch.manual_seed(0)
    lightning = nn.Module()
    lightning.model = nn.Sequential(nn.Linear(3, 8), Attention(8), nn.Linear(8, 12), Attention(12))
    torch.save(lightning.state_dict(), tmp_path / "epoch=3-step=40.pt")
    model = Named()
    a = ckpt_doctor.align(str(tmp_path / "epoch=3-step=40.pt"), model)
    got = {p.model: p.checkpoint for p in a.pairs}
    for i, name in enumerate(("stem", "attn1", "proj", "attn2")):
        for key in getattr(model, name).state_dict():
            assert got[f"{name}.{key}"] == f"model.{i}.{key}"
    assert a.missing == ["classifier.weight", "classifier.bias"] and not a.ambiguous and not a.unused
    exec(a.torch_code(), {"model": model})
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        np.testing.assert_allclose(model.body(x).numpy(), lightning.model(x).numpy(), rtol=1e-6, atol=1e-6)


ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")}
ENV.pop("TF_USE_LEGACY_KERAS", None)

# argv: out dir. Writes three checkpoints and, per model, its input and TensorFlow's output (io_*.npz).
CHILD = textwrap.dedent("""\
    import os, sys
    import numpy as np, tensorflow as tf, keras
    out = sys.argv[1]
    rng = np.random.default_rng(0)

    def var(shape):
        return tf.Variable(rng.standard_normal(shape).astype(np.float32))

    class Mlp(tf.Module):  # square `w` only: x @ w, as TF computes
        def __init__(self):
            super().__init__()
            self.blocks = [{"w": var((16, 16)), "b": var((16,))} for _ in range(2)]

        def __call__(self, x):
            for b in self.blocks:
                x = tf.nn.relu(x @ b["w"] + b["b"])
            return x

    mlp = Mlp()
    x = rng.standard_normal((3, 16)).astype(np.float32)
    np.savez(out + "/io_mlp.npz", x=x, y=mlp(x).numpy())
    tf.train.Checkpoint(model=mlp).write(out + "/mlp/ckpt")

    keras.utils.set_random_seed(1)
    net = keras.Sequential([keras.Input((9, 9, 4)), keras.layers.Conv2D(12, 3, strides=2),
                            keras.layers.BatchNormalization(), keras.layers.ReLU(),
                            keras.layers.Conv2DTranspose(6, 3, strides=2), keras.layers.Conv2D(5, 1)])
    for v in net.weights:
        v.assign(rng.standard_normal(v.shape).astype(np.float32) * 0.5 + (1.0 if "variance" in v.path else 0.0))
    x = rng.standard_normal((2, 9, 9, 4)).astype(np.float32)
    np.savez(out + "/io_net.npz", x=x, y=np.asarray(net(x, training=False)))
    tf.train.Checkpoint(net=net).write(out + "/net/ckpt")

    class Cells(tf.Module):  # a list of raw variables: nothing after an element's number but the leaf
        def __init__(self):
            super().__init__()
            self.cells = [{"w": var((3, 3)), "b": var((3,))} for _ in range(40)]

        def __call__(self, x):
            for c in self.cells:
                x = tf.tanh(x @ c["w"] + c["b"])
            return x

    cells = Cells()
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.savez(out + "/io_cells.npz", x=x, y=cells(x).numpy())
    tf.train.Checkpoint(model=cells).write(out + "/cells/ckpt")

    g = tf.Graph()
    with g.as_default():
        values = {}
        with tf.compat.v1.variable_scope("encoder/block_0/attn"):
            for scope, shape in (("qkv", (16, 48)), ("out", (16, 16))):
                with tf.compat.v1.variable_scope(scope):
                    for leaf, s in (("kernel", shape), ("bias", shape[1:])):
                        values[f"{scope}/{leaf}"] = rng.standard_normal(s).astype(np.float32)
                        tf.compat.v1.get_variable(leaf, initializer=values[f"{scope}/{leaf}"])
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver.save(sess, out + "/attn/model.ckpt")
    np.savez(out + "/io_attn.npz", **{k.replace("/", "_"): v for k, v in values.items()})
    """)


@pytest.fixture(scope="module")
def tf_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("tf_places")
    done = subprocess.run([sys.executable, "-c", CHILD, str(out)], capture_output=True, text=True, timeout=600,
                          env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_square_w_matrices_of_a_tf_module_are_x_at_w_into_nn_linear(tf_files):
    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(16, 16) for _ in range(2))

        def forward(self, x):
            for layer in self.layers:
                x = torch.relu(layer(x))
            return x

    model = Twin()
    a = ckpt_doctor.align(str(tf_files / "mlp" / "ckpt"), model)
    assert {p.model: p.transform for p in a.pairs if p.model.endswith("weight")} == \
        {"layers.0.weight": "transpose", "layers.1.weight": "transpose"}
    exec(a.torch_code(), {"model": model})
    io = np.load(tf_files / "io_mlp.npz")
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(io["x"])).numpy(), io["y"], rtol=1e-5, atol=1e-5)


def test_a_keras3_sequential_in_a_tf_checkpoint_keeps_its_layer_order_for_a_twin_named_otherwise(tf_files):
    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 12, 3, stride=2)
            self.bn = nn.BatchNorm2d(12, eps=1e-3)
            self.up = nn.ConvTranspose2d(12, 6, 3, stride=2)
            self.proj = nn.Conv2d(6, 5, 1)

        def forward(self, x):  # channels last in and out, as Keras
            y = self.proj(self.up(torch.relu(self.bn(self.conv(x.permute(0, 3, 1, 2))))))
            return y.permute(0, 2, 3, 1)

    model = Twin().eval()
    a = ckpt_doctor.align(str(tf_files / "net" / "ckpt"), model)
    assert not a.ambiguous and not a.unused, (a.ambiguous, a.unused)
    assert not a.missing and len(a.pairs) == 10, (a.missing, a.pairs)
    exec(a.torch_code(), {"model": model})
    io = np.load(tf_files / "io_net.npz")
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(io["x"])).numpy(), io["y"], rtol=1e-4, atol=1e-4)


def test_a_packed_qkv_kernel_is_multihead_attentions_in_proj_weight_transposed(tf_files):
    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Module()])
            self.layers[0].self_attn = nn.MultiheadAttention(16, 2, batch_first=True)

    model = Twin()
    a = ckpt_doctor.align(str(tf_files / "attn" / "model.ckpt"), model)
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got["layers.0.self_attn.in_proj_weight"] == ("encoder/block_0/attn/qkv/kernel", "transpose")
    assert got["layers.0.self_attn.in_proj_bias"] == ("encoder/block_0/attn/qkv/bias", None)
    assert got["layers.0.self_attn.out_proj.weight"] == ("encoder/block_0/attn/out/kernel", "transpose")
    assert not a.missing and not a.unused and not a.ambiguous
    exec(a.torch_code(), {"model": model})
    io = np.load(tf_files / "io_attn.npz")
    attn = model.layers[0].self_attn
    x = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    with torch.no_grad():  # TF's x @ kernel + bias is PyTorch's packed projection
        np.testing.assert_allclose(nn.functional.linear(torch.from_numpy(x), attn.in_proj_weight,
                                                        attn.in_proj_bias).numpy(),
                                   x @ io["qkv_kernel"] + io["qkv_bias"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(attn.out_proj(torch.from_numpy(x)).numpy(), x @ io["out_kernel"] + io["out_bias"],
                                   rtol=1e-5, atol=1e-5)


class NetLin(nn.Module):  # LPIPS' head per VGG stage: a dropout and a 1x1 conv in a Sequential
    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))


class Lpips(nn.Module):
    def __init__(self):
        super().__init__()
        for i, c in enumerate((64, 128, 256, 512, 512)):
            setattr(self, f"lin{i}", NetLin(c))


def test_a_numbered_layer_nested_one_level_deeper_keeps_its_number_both_ways(tmp_path):
    """A new user's try (IQA_pytorch's LPIPSvgg.pt, ``lin0.model.1.weight`` .. ``lin4``, two of 512 channels) into
    a Keras rebuild (``lin_0`` .. ``lin_4``): ``lin_3`` and ``lin_4`` were a tie between the two 512-channel values,
    the number being read after the nested Sequential's ``1``. Both directions, from files PyTorch and NumPy wrote."""
    from ckpt_doctor.model.spec import ModelSpec, VariableSpec

    torch.manual_seed(0)
    torch.save(Lpips().state_dict(), tmp_path / "lpips.pt")
    channels = (64, 128, 256, 512, 512)
    keras_like = ModelSpec([VariableSpec(name=f"lin_{i}/kernel", shape=(1, 1, c, 1), dtype="float32", index=i)
                            for i, c in enumerate(channels)], framework="tf2", restore="name", source="<rebuild>")
    a = ckpt_doctor.align(str(tmp_path / "lpips.pt"), keras_like)
    assert {p.model: p.checkpoint for p in a.pairs} == {f"lin_{i}/kernel": f"lin{i}.model.1.weight" for i in range(5)}
    assert not a.ambiguous and not a.missing and not a.unused

    rng = np.random.default_rng(0)
    values = {f"lin_{i}/kernel": rng.standard_normal((1, 1, c, 1)).astype(np.float32) for i, c in enumerate(channels)}
    np.savez(tmp_path / "lin.npz", **values)
    model = Lpips()
    a = ckpt_doctor.align(str(tmp_path / "lin.npz"), model)
    assert {p.model: p.checkpoint for p in a.pairs} == {f"lin{i}.model.1.weight": f"lin_{i}/kernel" for i in range(5)}
    assert not a.ambiguous and not a.missing and not a.unused
    exec(a.torch_code(), {"model": model})
    for i in range(5):
        np.testing.assert_array_equal(getattr(model, f"lin{i}").model[1].weight.detach().numpy().reshape(-1),
                                      values[f"lin_{i}/kernel"].reshape(-1))


def test_a_segment_inserted_in_names_does_not_pair_a_list_that_lost_an_element(tmp_path):
    """Held-out 23: a ``tf.Module``'s list of three equal blocks (``blocks/N/w``, ``b``, ``scale``) into a PyTorch
    twin with two, each ``fc`` and ``norm`` (the middle one dropped). ``blocks/1/b`` -> ``blocks.1.fc.bias`` looked
    like a segment (``fc``) inserted before the last part of two names and paired by its kept number; which block
    went, no file says."""
    rng = np.random.default_rng(0)
    values = {"net/proj/w": (6, 12), "net/proj/b": (12,), "net/head/w": (12, 3), "net/head/b": (3,)}
    for i in range(3):
        values.update({f"net/blocks/{i}/w": (12, 12), f"net/blocks/{i}/b": (12,), f"net/blocks/{i}/scale": (12,)})
    np.savez(tmp_path / "net.npz", **{k: rng.standard_normal(s).astype(np.float32) for k, s in values.items()})

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.norm = nn.Linear(12, 12), nn.LayerNorm(12, bias=False)

    model = nn.Module()
    model.proj, model.blocks, model.head = nn.Linear(6, 12), nn.ModuleList(Block() for _ in range(2)), nn.Linear(12, 3)
    a = ckpt_doctor.align(str(tmp_path / "net.npz"), model)
    assert not [p for p in a.pairs if p.model.startswith("blocks.")], a.pairs
    assert {x.model for x in a.ambiguous} == {n for n in model.state_dict() if n.startswith("blocks.")}
    assert {p.model for p in a.pairs} == {"proj.weight", "proj.bias", "head.weight", "head.bias"}


def test_a_list_of_raw_variables_keeps_its_element_numbers_into_a_module_list(tf_files):
    """Held-out 24: a ``tf.Module``'s list of 600 equal cells (``cells/N/w``, ``b``: the leaf right after the
    number) into a ``ModuleList`` of ``nn.Linear``: the names' common end was the leaf alone, which every element
    shares, so nothing was proposed and 1,200 values stayed unused. Here 40 cells; the printed fix runs."""
    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(3, 3) for _ in range(40))

        def forward(self, x):
            for block in self.blocks:
                x = torch.tanh(block(x))
            return x

    model = Twin()
    a = ckpt_doctor.align(str(tf_files / "cells" / "ckpt"), model)
    assert {p.model: p.checkpoint.split("/.ATTRIBUTES")[0] for p in a.pairs} == {
        f"blocks.{i}.{leaf}": f"model/cells/{i}/{short}" for i in range(40) for leaf, short in (("weight", "w"),
                                                                                             ("bias", "b"))}
    assert not a.ambiguous and not a.missing and not a.unused
    exec(a.torch_code(), {"model": model})
    io = np.load(tf_files / "io_cells.npz")
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(io["x"])).numpy(), io["y"], rtol=1e-5, atol=1e-5)
