"""Subprocess oracle for tests/test_align_parallel.py (run once per session; TensorFlow and torch stay out of pytest).

``python parallel_oracle.py OUTDIR`` writes each case into OUTDIR/<case>/: the checkpoint the real framework wrote,
``model.spec.json`` (ckpt_doctor's spec of the live model), ``truth.json`` ({model variable: [checkpoint key,
transform]} found by identical values after the conversion) and ``values.npz`` (the converted model's values).
``python parallel_oracle.py fix CASEDIR FIXFILE`` builds the case's model afresh, runs the printed fix verbatim and
reports (stdout JSON) every variable whose value differs from the converted model's.

Cases:

* ``lists``: a tf.Module holding parallel lists of sub-modules, ``_convs[i]`` (``w`` HWIO, ``b``) and ``_norms[i]``
  (``scale``, ``offset`` and the moving statistics as Sonnet's ``ExponentialMovingAverage`` keeps them: ``_counter``,
  ``_hidden`` and the debiased ``average``, ``[1, 1, 1, C]``), saved by ``tf.train.Checkpoint``; a PyTorch twin nests
  each pair as one block (``stages.3.conv``, ``stages.3.norm``). Widths repeat (6, 6, 6): only the lists' common
  index tells the equal blocks apart. The conversion is checked by computation: the twin in eval mode computes what
  the TF module computes with the averages as its statistics.
* ``lists_removed``: the same checkpoint, a twin with one of the three equal blocks left out (which one, no file
  says).
* ``kerasorder``: a tf-keras functional model whose layer order differs from its PyTorch twin's creation order only
  where two branches meet, saved by tf-keras ``save_weights`` (TF format: ``layer_with_weights-N`` keys, numbered in
  the model's layer order), every layer renamed; Keras lists the right branch's norm after the right branch's conv
  and the left branch's output conv, both of its width.
* ``k3renamed``: a Keras 3 ``.keras`` of a model whose layers are ``src_...``, with a head -> the body built as
  ``enc_...`` without the head and with a final norm of the head norm's width under a name of its own, which Keras 3
  loads with the head norm's values (by class rank); ``k3renamed_kept``: that norm named ``enc_head_norm``.
* ``norms``: Keras 3 blocks with ``layer_norm_1``/``layer_norm_2`` -> a PyTorch twin with transformers' ViT names
  (``layernorm_before``/``layernorm_after``), checked by computation.
"""

import json
import os
import sys
import zlib

import numpy as np
from align_gaps_oracle import truth  # tests/ is this script's directory

WIDTHS = (4, 4, 6, 6, 6)


def distinct(seed, shape):
    return np.random.default_rng(zlib.crc32(seed.encode())).standard_normal(tuple(shape)).astype("float32")


def save(d, stored, model, values):
    import ckpt_doctor

    ckpt_doctor.load_model(model).save(os.path.join(d, "model.spec.json"))
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth(stored, values), f, indent=1)
    np.savez(os.path.join(d, "values.npz"), **values)


def torch_values(module):
    return {k: t.detach().numpy().copy() for k, t in module.state_dict().items() if t.dtype.is_floating_point}


# -- parallel lists --------------------------------------------------------------------------------------------------

def tf_lists():
    import tensorflow as tf

    class EMA(tf.Module):  # the variables of Sonnet's ExponentialMovingAverage
        def __init__(self, shape, name, seed):
            super().__init__(name=name)
            with self.name_scope:
                self._counter = tf.Variable(tf.constant(7, tf.int64), name="counter")
                self._hidden = tf.Variable(distinct(seed + "h", shape), name="hidden")
                self.average = tf.Variable(np.abs(distinct(seed + "a", shape)) + 0.5, name="average")

    class Conv(tf.Module):
        def __init__(self, cin, cout, name):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(distinct(name + "w", (3, 3, cin, cout)), name="w")
                self.b = tf.Variable(distinct(name + "b", (cout,)), name="b")

        def __call__(self, x):
            return tf.nn.conv2d(x, self.w, 1, "SAME") + self.b

    class Norm(tf.Module):
        def __init__(self, c, name):
            super().__init__(name=name)
            with self.name_scope:
                self.scale = tf.Variable(distinct(name + "s", (c,)), name="scale")
                self.offset = tf.Variable(distinct(name + "o", (c,)), name="offset")
                self.moving_mean = EMA((1, 1, 1, c), "moving_mean", name + "m")
                self.moving_variance = EMA((1, 1, 1, c), "moving_variance", name + "v")

        def __call__(self, x):
            return tf.nn.batch_normalization(x, self.moving_mean.average, self.moving_variance.average,
                                             self.offset, self.scale, 1e-3)

    class Net(tf.Module):
        def __init__(self):
            super().__init__(name="tower")
            with self.name_scope:
                cin, self._convs, self._norms = 3, [], []
                for i, c in enumerate(WIDTHS):
                    self._convs.append(Conv(cin, c, f"conv_{i}"))
                    self._norms.append(Norm(c, f"norm_{i}"))
                    cin = c

        def __call__(self, x):
            for conv, norm in zip(self._convs, self._norms, strict=True):
                x = tf.nn.relu(norm(conv(x)))
            return x

    return tf, Net()


def torch_twin(widths):
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self, cin, c):
            super().__init__()
            self.conv, self.norm = nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c, eps=1e-3)

        def forward(self, x):
            return self.norm(self.conv(x)).relu()

    net = nn.Sequential()
    net.stages = nn.ModuleList()
    cin = 3
    for c in widths:
        net.stages.append(Block(cin, c))
        cin = c
    return net


def lists(d, keep=(0, 1, 2, 3, 4)):
    import torch

    tf, net = tf_lists()
    prefix = tf.train.Checkpoint(model=net).write(os.path.join(d, "ckpt"))
    r = tf.train.load_checkpoint(prefix)
    stored = {k: r.get_tensor(k) for k in r.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    keep = list(keep)
    twin = torch_twin([WIDTHS[i] for i in keep])
    with torch.no_grad():  # the conversion: kernels HWIO -> OIHW, the averages as the running statistics
        for blk, i in zip(twin.stages, keep, strict=True):
            if i and i - 1 not in keep:
                break  # a removed block changes the next one's input width: the rest stays fresh
            conv, norm = net._convs[i], net._norms[i]
            blk.conv.weight.copy_(torch.from_numpy(conv.w.numpy().transpose(3, 2, 0, 1).copy()))
            blk.conv.bias.copy_(torch.from_numpy(conv.b.numpy()))
            blk.norm.weight.copy_(torch.from_numpy(norm.scale.numpy()))
            blk.norm.bias.copy_(torch.from_numpy(norm.offset.numpy()))
            blk.norm.running_mean.copy_(torch.from_numpy(norm.moving_mean.average.numpy().reshape(-1)))
            blk.norm.running_var.copy_(torch.from_numpy(norm.moving_variance.average.numpy().reshape(-1)))
    if len(keep) == len(WIDTHS):  # the conversion computes what the TF module computes
        x = distinct("x", (2, 8, 8, 3))
        want = net(tf.constant(x)).numpy()
        got = twin.stages.eval()
        out = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        for blk in got:
            out = blk(out)
        np.testing.assert_allclose(out.detach().numpy().transpose(0, 2, 3, 1), want, rtol=1e-3,
                                   atol=1e-4 * float(np.abs(want).max()))
    save(d, stored, twin, torch_values(twin))


def lists_removed(d):
    lists(d, keep=(0, 1, 2, 4))


# -- tf-keras layer order ----------------------------------------------------------------------------------------------

def kerasorder(d):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as K
    import torch
    import torch.nn as nn

    inp = K.Input((16, 12, 1))  # Keras' own layer names (``conv2d_3``, ``batch_normalization_1``)
    x = K.layers.BatchNormalization()(inp)
    h = K.layers.BatchNormalization()(K.layers.Conv2D(8, (3, 5), padding="same")(x))
    stem = h
    a = K.layers.Conv2D(12, (5, 5), padding="same")(h)
    b = K.layers.BatchNormalization()(K.layers.Conv2D(16, (3, 3), padding="same")(h))
    a_out = K.layers.Conv2D(16, (3, 3), padding="same")(a)  # as wide as the right branch's norm, listed between
    b_out = K.layers.Conv2D(1, (3, 5), padding="same")(K.layers.Concatenate()([b, a_out]))
    del stem
    src = K.Model(inp, [a_out, b_out])
    for i, v in enumerate(src.weights):
        v.assign(np.abs(distinct(f"k|{i}", v.shape)) + 0.5 if "variance" in v.name else distinct(f"k|{i}", v.shape))
    src.save_weights(os.path.join(d, "ckpt"))  # TF format: layer_with_weights-N in src.layers' order
    layers = [la for la in src.layers if la.weights]  # layer_with_weights-N is layers[N]
    names = [la.name for la in layers]
    # Keras lists the right branch's conv before the left branch's output conv; the twin creates them the other way
    assert [la.get_weights()[0].shape for la in layers[3:7]] == [(5, 5, 8, 12), (3, 3, 8, 16), (3, 3, 12, 16),
                                                                  (16,)], names
    twin = nn.Module()
    twin.norm_in = nn.BatchNorm2d(1, eps=1e-3)
    twin.stem = nn.Module()
    twin.stem.conv, twin.stem.norm = nn.Conv2d(1, 8, (3, 5), padding="same"), nn.BatchNorm2d(8, eps=1e-3)
    twin.left = nn.Module()
    twin.left.conv, twin.left.head = nn.Conv2d(8, 12, 5, padding="same"), nn.Conv2d(12, 16, 3, padding="same")
    twin.right = nn.Module()
    twin.right.conv, twin.right.norm = nn.Conv2d(8, 16, 3, padding="same"), nn.BatchNorm2d(16, eps=1e-3)
    twin.right.head = nn.Conv2d(32, 1, (3, 5), padding="same")
    with torch.no_grad():
        def conv(m, layer):
            k, b = src.get_layer(layer).get_weights()
            m.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            m.bias.copy_(torch.from_numpy(b))

        def bn(m, layer):
            g, be, mu, var = src.get_layer(layer).get_weights()
            for t, a in zip((m.weight, m.bias, m.running_mean, m.running_var), (g, be, mu, var), strict=True):
                t.copy_(torch.from_numpy(a))

        bn(twin.norm_in, names[0])
        conv(twin.stem.conv, names[1])
        bn(twin.stem.norm, names[2])
        conv(twin.left.conv, names[3])
        conv(twin.right.conv, names[4])
        conv(twin.left.head, names[5])
        bn(twin.right.norm, names[6])
        conv(twin.right.head, names[7])
    import tensorflow as tf

    r = tf.train.load_checkpoint(os.path.join(d, "ckpt"))
    stored = {k: r.get_tensor(k) for k in r.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    save(d, stored, twin, torch_values(twin))


# -- Keras 3: a model built under another name, its head left out -------------------------------------------------

def k3renamed(d, final="layer_normalization"):
    """Keras 3 ``.keras`` of a functional model whose layers are named ``src_...`` with a head (a LayerNormalization
    ``src_head_norm``, a Dense) -> the same body named ``enc_...`` without the head but with a final
    LayerNormalization of its own (``final``), of the head norm's width. Keras 3 loads by class rank: the head norm's
    values go into the final norm (checked); truth: the values Keras' own ``load_weights`` put into the model."""
    os.environ.pop("TF_USE_LEGACY_KERAS", None)
    import keras

    def build(prefix, head):
        inp = keras.Input((8, 8, 3))
        x = keras.layers.Conv2D(6, 3, name=f"{prefix}_stem_conv")(inp)
        x = keras.layers.LayerNormalization(name=f"{prefix}_stem_norm")(x)
        for i in range(2):
            y = keras.layers.Dense(12, name=f"{prefix}_block_{i}_expand")(x)
            x = keras.layers.Dense(6, name=f"{prefix}_block_{i}_project")(y) + x
            x = keras.layers.LayerNormalization(name=f"{prefix}_block_{i}_norm")(x)
        x = keras.layers.GlobalAveragePooling2D(name=f"{prefix}_pool")(x)
        if head:
            x = keras.layers.LayerNormalization(name=f"{prefix}_head_norm")(x)
            x = keras.layers.Dense(4, name=f"{prefix}_head_dense")(x)
        else:
            x = keras.layers.LayerNormalization(**({"name": final} if final else {}))(x)
        return keras.Model(inp, x, name=prefix)

    src = build("src", True)
    for i, v in enumerate(src.weights):
        v.assign(distinct(f"s|{i}", v.shape))
    ck = os.path.join(d, "ckpt")
    src.save(ck + ".keras")
    os.rename(ck + ".keras", ck)
    tgt = build("enc", False)
    for i, v in enumerate(tgt.weights):
        v.assign(distinct(f"t|{i}", v.shape))
    before = [np.array(v.numpy()) for v in tgt.weights]
    import shutil

    shutil.copy(ck, ck + ".keras")
    tgt.load_weights(ck + ".keras")  # Keras' own load: by class rank
    os.remove(ck + ".keras")
    assert not any(np.array_equal(a, v.numpy()) for a, v in zip(before, tgt.weights, strict=True))
    head = src.get_layer("src_head_norm").get_weights()[0]
    assert np.array_equal(tgt.weights[-2].numpy(), head)  # the final norm took the head norm's values
    import io
    import zipfile

    import h5py

    stored = {}
    with zipfile.ZipFile(ck) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        f.visititems(lambda n, o: stored.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    save(d, stored, tgt, {v.path: np.asarray(v.numpy()) for v in tgt.weights})


def k3renamed_kept(d):
    k3renamed(d, final="enc_head_norm")


# -- a block's two norms: numbered on one side, before/after on the other ---------------------------------------------

def norms(d):
    """Keras 3 ``.weights.h5`` of pre-norm blocks (a layer ``Block`` with ``attention``, ``layer_norm_1``,
    ``layer_norm_2``, ``mlp_in``, ``mlp_out``) -> a PyTorch twin named as transformers' ViT/DeiT (``attention``,
    ``layernorm_before``, ``layernorm_after``, ``intermediate``, ``output``). The conversion is checked by
    computation (the twin computes what the Keras model computes)."""
    os.environ.pop("TF_USE_LEGACY_KERAS", None)
    import keras
    import torch
    import torch.nn as nn

    width = 8

    class Block(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.attention = keras.layers.Dense(width, name="attention")
            self.layer_norm_1 = keras.layers.LayerNormalization(epsilon=1e-6, name="layer_norm_1")
            self.layer_norm_2 = keras.layers.LayerNormalization(epsilon=1e-6, name="layer_norm_2")
            self.mlp_in = keras.layers.Dense(2 * width, name="mlp_in")
            self.mlp_out = keras.layers.Dense(width, name="mlp_out")

        def build(self, shape):
            for layer, s in ((self.layer_norm_1, shape), (self.attention, shape), (self.layer_norm_2, shape),
                             (self.mlp_in, shape), (self.mlp_out, shape[:-1] + (2 * width,))):
                layer.build(s)

        def call(self, x):
            x = x + self.attention(self.layer_norm_1(x))
            return x + self.mlp_out(keras.activations.gelu(self.mlp_in(self.layer_norm_2(x)), approximate=False))

    inp = keras.Input((5, width))
    x = inp
    for i in range(2):
        x = Block(name=f"block_{i}")(x)
    src = keras.Model(inp, x)
    for i, v in enumerate(src.weights):
        v.assign(distinct(f"n|{i}", v.shape))
    src.save_weights(os.path.join(d, "ckpt.weights.h5"))
    os.rename(os.path.join(d, "ckpt.weights.h5"), os.path.join(d, "ckpt"))

    class TBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.Linear(width, width)
            self.intermediate = nn.Linear(width, 2 * width)
            self.output = nn.Linear(2 * width, width)
            self.layernorm_before = nn.LayerNorm(width, eps=1e-6)
            self.layernorm_after = nn.LayerNorm(width, eps=1e-6)

        def forward(self, x):
            x = x + self.attention(self.layernorm_before(x))
            return x + self.output(nn.functional.gelu(self.intermediate(self.layernorm_after(x))))

    twin = nn.Module()
    twin.layer = nn.ModuleList([TBlock(), TBlock()])
    with torch.no_grad():
        for i, blk in enumerate(twin.layer):
            k = src.get_layer(f"block_{i}")
            for t, layer in ((blk.attention, k.attention), (blk.intermediate, k.mlp_in), (blk.output, k.mlp_out)):
                t.weight.copy_(torch.from_numpy(layer.kernel.numpy().T.copy()))
                t.bias.copy_(torch.from_numpy(layer.bias.numpy()))
            for t, layer in ((blk.layernorm_before, k.layer_norm_1), (blk.layernorm_after, k.layer_norm_2)):
                t.weight.copy_(torch.from_numpy(layer.gamma.numpy()))
                t.bias.copy_(torch.from_numpy(layer.beta.numpy()))
    x = distinct("nx", (2, 5, width))
    out = torch.from_numpy(x)
    for blk in twin.layer:
        out = blk(out)
    want = np.asarray(src(x))
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))
    import h5py

    stored = {}
    with h5py.File(os.path.join(d, "ckpt"), "r") as f:
        f.visititems(lambda n, o: stored.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    save(d, stored, twin, torch_values(twin))


CASES = {"lists": lists, "lists_removed": lists_removed, "kerasorder": kerasorder, "k3renamed": k3renamed,
         "k3renamed_kept": k3renamed_kept, "norms": norms}
TWINS = {"lists": lambda: torch_twin(WIDTHS)}


def run_fix(case_dir, fix_file):
    """Fill a fresh model of the case by the printed fix, verbatim; print the variables whose values differ."""
    model = TWINS[os.path.basename(case_dir.rstrip("/"))]()
    code = open(fix_file).read()
    exec(code, {"model": model})  # noqa: S102 - the printed fix, verbatim
    want = np.load(os.path.join(case_dir, "values.npz"))
    got = torch_values(model)
    print(json.dumps(sorted(k for k in want.files if not np.array_equal(want[k], got[k]))))


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    if sys.argv[1] == "fix":
        run_fix(sys.argv[2], sys.argv[3])
        sys.exit(0)
    out = sys.argv[1]
    for name, build in CASES.items():
        os.makedirs(os.path.join(out, name), exist_ok=True)
        build(os.path.join(out, name))
    print("ok")

