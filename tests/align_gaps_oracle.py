"""Subprocess oracle for the alignment-gap tests in tests/test_align_generalise.py (run once per session).

Writes each case with the real frameworks into OUTDIR/<case>/: the checkpoint, ``model.spec.json`` (ckpt_doctor's
spec of the live model) and ``truth.json``: {model variable: [checkpoint key, transform]} found by identical
values (the model holds exactly the entry's value up to an axis permutation or an order-preserving reshape), after
the framework's own load or a conversion whose outputs were checked against the source model. Usage:
``python align_gaps_oracle.py OUTDIR``.
"""

import itertools
import json
import os
import sys
import zlib

import numpy as np


def distinct(seed, shape):
    return np.random.default_rng(zlib.crc32(seed.encode())).standard_normal(tuple(shape)).astype("float32")


def fill_keras(model, seed):
    for i, v in enumerate(model.weights):
        v.assign(distinct(f"{seed}|{i}", v.shape))


def fill_torch(module, seed):
    import torch

    with torch.no_grad():
        for k, t in module.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.from_numpy(distinct(f"{seed}|{k}", t.shape)))


def truth(stored: dict, values: dict) -> dict:
    """{model name: [checkpoint key, transform]} for values found in exactly one entry."""
    out = {}
    for m, v in values.items():
        hits = []
        for c, u in stored.items():
            if u.size != v.size or u.size == 0 or u.dtype.kind != "f":
                continue
            if u.shape == v.shape and np.array_equal(u, v):
                hits.append((c, None))
                continue
            if u.ndim == v.ndim and u.ndim > 1:
                p = next((p for p in itertools.permutations(range(u.ndim))
                          if u.transpose(p).shape == v.shape and np.array_equal(u.transpose(p), v)), None)
                if p is not None:
                    hits.append((c, "transpose" if p == (1, 0) else "permute(" + ",".join(map(str, p)) + ")"))
                    continue
            if np.array_equal(u.reshape(-1), v.reshape(-1)):
                hits.append((c, "reshape(" + ",".join(map(str, v.shape)) + ")"))
        if len(hits) == 1:
            out[m] = list(hits[0])
    return out


def save(d, stored, spec_model, values, **kw):
    import ckpt_doctor

    ckpt_doctor.load_model(spec_model, **kw).save(os.path.join(d, "model.spec.json"))
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth(stored, values), f, indent=1)


def read_h5(path):
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def torch_values(module):
    return {k: t.detach().numpy().copy() for k, t in module.state_dict().items() if t.dtype.is_floating_point}


def keras_values(model):
    return {v.path: np.asarray(v.numpy()) for v in model.weights}


def prelu(d):
    """PyTorch nn.PReLU(C) ``prelu1.weight`` (C,) -> Keras 3 PReLU(shared_axes=[1, 2]) ``prelu1/alpha`` (1, 1, C)
    and a Dense PReLU ``prelu_fc/alpha`` (C,), same layer names (an MTCNN-style port)."""
    import keras
    import torch
    import torch.nn as nn

    net = nn.Module()
    net.conv1, net.prelu1 = nn.Conv2d(3, 8, 3), nn.PReLU(8)
    net.conv2, net.prelu2 = nn.Conv2d(8, 16, 3), nn.PReLU(16)
    net.fc, net.prelu_fc = nn.Linear(16, 6), nn.PReLU(6)
    fill_torch(net, "prelu")
    ck = os.path.join(d, "model.pt")
    torch.save(net.state_dict(), ck)
    inp = keras.Input((12, 12, 3))
    x = keras.layers.PReLU(shared_axes=[1, 2], name="prelu1")(keras.layers.Conv2D(8, 3, name="conv1")(inp))
    x = keras.layers.PReLU(shared_axes=[1, 2], name="prelu2")(keras.layers.Conv2D(16, 3, name="conv2")(x))
    x = keras.layers.Dense(6, name="fc")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, keras.layers.PReLU(name="prelu_fc")(x))
    fill_keras(model, "k")
    sd = torch_values(net)
    for n in ("conv1", "conv2"):  # the port
        model.get_layer(n).set_weights([sd[n + ".weight"].transpose(2, 3, 1, 0), sd[n + ".bias"]])
    for n in ("prelu1", "prelu2"):
        model.get_layer(n).set_weights([sd[n + ".weight"].reshape(1, 1, -1)])
    model.get_layer("fc").set_weights([sd["fc.weight"].T, sd["fc.bias"]])
    model.get_layer("prelu_fc").set_weights([sd["prelu_fc.weight"]])
    save(d, sd, model, keras_values(model))


def slim(d):
    """tf-slim-style TF1 checkpoint (``conv1/weights``, ``conv1/biases``, ``BatchNorm`` without gamma) -> a PyTorch
    port that keeps the scope names (``conv1.weight``, ``conv1.BatchNorm.running_mean``)."""
    import tensorflow as tf
    import torch
    import torch.nn as nn

    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("net"):
        cin = 3
        for i, c in enumerate((8, 16), 1):
            with tf.compat.v1.variable_scope(f"conv{i}"):
                tf.compat.v1.get_variable("weights", (3, 3, cin, c))
                with tf.compat.v1.variable_scope("BatchNorm"):
                    for v in ("beta", "moving_mean", "moving_variance"):
                        tf.compat.v1.get_variable(v, (c,))
            cin = c
        with tf.compat.v1.variable_scope("logits"):
            tf.compat.v1.get_variable("weights", (16, 10))
            tf.compat.v1.get_variable("biases", (10,))
        with tf.compat.v1.Session(graph=g) as s:
            for v in tf.compat.v1.global_variables():
                v.load(distinct("slim" + v.op.name, v.shape), s)
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    r = tf.train.load_checkpoint(prefix)
    stored = {k: r.get_tensor(k) for k in r.get_variable_to_shape_map()}
    net = nn.Module()
    cin = 3
    for i, c in enumerate((8, 16), 1):
        blk = nn.Module()
        blk.weight = nn.Parameter(torch.zeros(c, cin, 3, 3))
        blk.BatchNorm = nn.BatchNorm2d(c)
        net.add_module(f"conv{i}", blk)
        cin = c
    net.logits = nn.Linear(16, 10)
    fill_torch(net, "port")
    with torch.no_grad():  # the port's conversion (BatchNorm.weight stays fresh: slim kept no gamma)
        for i in (1, 2):
            blk = getattr(net, f"conv{i}")
            blk.weight.copy_(torch.from_numpy(stored[f"net/conv{i}/weights"].transpose(3, 2, 0, 1).copy()))
            blk.BatchNorm.bias.copy_(torch.from_numpy(stored[f"net/conv{i}/BatchNorm/beta"]))
            blk.BatchNorm.running_mean.copy_(torch.from_numpy(stored[f"net/conv{i}/BatchNorm/moving_mean"]))
            blk.BatchNorm.running_var.copy_(torch.from_numpy(stored[f"net/conv{i}/BatchNorm/moving_variance"]))
        net.logits.weight.copy_(torch.from_numpy(stored["net/logits/weights"].T.copy()))
        net.logits.bias.copy_(torch.from_numpy(stored["net/logits/biases"]))
    save(d, stored, net, torch_values(net))


def rnn(d, kind):
    """Keras 3 Embedding + LSTM/GRU + Dense ``.weights.h5`` -> a PyTorch twin. The conversion (checked by outputs):
    LSTM weights transposed (gates i,f,c,o = i,f,g,o), Keras' one bias into b_ih and b_hh zeroed; GRU gate blocks
    reordered (z,r,h -> r,z,n) and its [2, 3h] bias split."""
    import keras
    import torch
    import torch.nn as nn

    inp = keras.Input((7,), dtype="int32")
    x = getattr(keras.layers, kind)(5, name=kind.lower())(keras.layers.Embedding(20, 6, name="embed")(inp))
    src = keras.Model(inp, keras.layers.Dense(3, name="head")(x))
    fill_keras(src, kind)
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 6)
            setattr(self, kind.lower(), getattr(nn, kind)(6, 5, batch_first=True))
            self.head = nn.Linear(5, 3)

        def forward(self, t):
            return self.head(getattr(self, kind.lower())(self.embed(t))[0][:, -1])

    net = Net()
    fill_torch(net, "twin")
    cell = getattr(net, kind.lower())
    kern, rec, bias = src.get_layer(kind.lower()).get_weights()

    def blocks(a):  # Keras GRU z,r,h -> PyTorch r,z,n along the gate axis
        z, r, h = np.split(a, 3, axis=-1)
        return np.concatenate([r, z, h], axis=-1)

    def put(t, a):
        t.copy_(torch.from_numpy(np.ascontiguousarray(a)))

    with torch.no_grad():
        put(net.embed.weight, src.get_layer("embed").get_weights()[0])
        put(net.head.weight, src.get_layer("head").get_weights()[0].T)
        put(net.head.bias, src.get_layer("head").get_weights()[1])
        if kind == "LSTM":
            put(cell.weight_ih_l0, kern.T)
            put(cell.weight_hh_l0, rec.T)
            put(cell.bias_ih_l0, bias)
            cell.bias_hh_l0.zero_()
        else:
            put(cell.weight_ih_l0, blocks(kern).T)
            put(cell.weight_hh_l0, blocks(rec).T)
            put(cell.bias_ih_l0, blocks(bias[0]))
            put(cell.bias_hh_l0, blocks(bias[1]))
    t = np.random.default_rng(0).integers(0, 20, (4, 7))
    assert np.allclose(np.asarray(src(t)), net(torch.from_numpy(t)).detach().numpy(), atol=1e-4), kind
    save(d, read_h5(ck), net, torch_values(net))


def dense_chain(names):
    """A Keras 3 model of Dense layers of one shape, named ``names``."""
    import keras

    inp = keras.Input((8,))
    x = inp
    for n in names:
        x = keras.layers.Dense(8, name=n)(x)
    return keras.Model(inp, x)


def keras3_inserted(d):
    """Keras 3 ``.weights.h5`` of Dense d1, d2, d3 (equal shapes) -> the model with Dense ``ins`` inserted after d1,
    names kept. The truth is Keras' own load_weights (by path: ins takes d2's values, d2 takes d3's, d3 fails)."""
    src = dense_chain(["d1", "d2", "d3"])
    fill_keras(src, "src")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    tgt = dense_chain(["d1", "ins", "d2", "d3"])
    fill_keras(tgt, "tgt")
    try:
        tgt.load_weights(ck)
    except ValueError:  # d3 finds no `layers/dense_3`: Keras raises after loading the rest
        pass
    save(d, read_h5(ck), tgt, keras_values(tgt))


def convnext(d):
    """keras.applications ConvNeXt (ConvNeXt-Tiny's depths 3,3,9,3, narrow widths) ``.weights.h5`` -> a
    torchvision-style twin (``features.S.B.layer_scale`` [C,1,1], ``features.S.B.block.{0,2,3,5}``)."""
    import torch
    import torch.nn as nn
    from keras.src.applications.convnext import ConvNeXt

    depths, dims = (3, 3, 9, 3), (8, 16, 24, 32)
    src = ConvNeXt(depths=depths, projection_dims=list(dims), name="convnext_tiny", weights=None,
                   input_shape=(32, 32, 3), classes=10, include_preprocessing=False)
    fill_keras(src, "cnx")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.block = nn.Sequential(nn.Conv2d(c, c, 7, padding=3, groups=c), nn.Identity(), nn.LayerNorm(c),
                                       nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c), nn.Identity())
            self.layer_scale = nn.Parameter(torch.ones(c, 1, 1))

    feats = [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), nn.LayerNorm(dims[0]))]
    for s, (n, c) in enumerate(zip(depths, dims, strict=True)):
        feats.append(nn.Sequential(*[Block(c) for _ in range(n)]))
        if s < 3:
            feats.append(nn.Sequential(nn.LayerNorm(c), nn.Conv2d(c, dims[s + 1], 2, 2)))
    twin = nn.Module()
    twin.features = nn.Sequential(*feats)
    twin.classifier = nn.Sequential(nn.LayerNorm(dims[-1]), nn.Flatten(1), nn.Linear(dims[-1], 10))
    fill_torch(twin, "twin")
    L = {layer.name: layer for layer in src.layers}

    def put(t, a):
        with torch.no_grad():
            t.copy_(torch.from_numpy(np.ascontiguousarray(a)))

    def conv(mod, w):
        put(mod.weight, w[0].transpose(3, 2, 0, 1))
        put(mod.bias, w[1])

    def plain(mod, w, transpose=False):
        put(mod.weight, w[0].T if transpose else w[0])
        put(mod.bias, w[1])

    stem = L["convnext_tiny_stem"].layers
    conv(twin.features[0][0], stem[0].get_weights())
    plain(twin.features[0][1], stem[1].get_weights())
    for s, n in enumerate(depths):
        for b in range(n):
            blk, p = twin.features[2 * s + 1][b], f"convnext_tiny_stage_{s}_block_{b}"
            conv(blk.block[0], L[p + "_depthwise_conv"].get_weights())
            plain(blk.block[2], L[p + "_layernorm"].get_weights())
            plain(blk.block[3], L[p + "_pointwise_conv_1"].get_weights(), True)
            plain(blk.block[5], L[p + "_pointwise_conv_2"].get_weights(), True)
            put(blk.layer_scale, L[p + "_layer_scale"].get_weights()[0].reshape(-1, 1, 1))
        if s < 3:
            ds = L[f"convnext_tiny_downsampling_block_{s}"].layers
            plain(twin.features[2 * s + 2][0], ds[0].get_weights())
            conv(twin.features[2 * s + 2][1], ds[1].get_weights())
    plain(twin.classifier[0], L["convnext_tiny_head_layernorm"].get_weights())
    plain(twin.classifier[2], L["convnext_tiny_head_dense"].get_weights(), True)
    save(d, read_h5(ck), twin, torch_values(twin))


def keras3_block_removed(d):
    """Keras 3 ``.weights.h5`` of named Dense layers fc_in, fc_1, fc_2, fc_out (equal shapes, paths ``layers/dense``
    .. ``layers/dense_3``) -> the model without fc_2. Keras' load_weights by path gives ``fc_out`` fc_2's values (its
    path is ``layers/dense_2`` now); the file saved ``fc_out`` at ``layers/dense_3``. The truth: the values the names
    say."""
    src = dense_chain(["fc_in", "fc_1", "fc_2", "fc_out"])
    fill_keras(src, "src")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    tgt = dense_chain(["fc_in", "fc_1", "fc_out"])
    fill_keras(tgt, "tgt")
    for layer in tgt.layers[1:]:
        layer.set_weights(src.get_layer(layer.name).get_weights())
    save(d, read_h5(ck), tgt, keras_values(tgt))


def slim_mobilenet(d):
    """A TF1 checkpoint in tf-slim's MobileNet layout (``MobilenetV1/Conv2d_0/weights``, ``Conv2d_1_depthwise/
    depthwise_weights``, each norm nested in its layer: ``Conv2d_1_depthwise/BatchNorm/gamma``; TF keeps no order,
    keys are sorted) -> a PyTorch port named as Hugging Face's MobileNetV1 (``conv_stem``, ``layer.0`` ..): no name
    in common, widths that repeat. The port's conversion is the published one (load_tf_weights_in_mobilenet_v1's
    map: depthwise i -> layer 2(i-1), pointwise i -> layer 2(i-1)+1; HWIO -> OIHW, depthwise [h, w, C, 1] ->
    [C, 1, h, w])."""
    import tensorflow as tf
    import torch
    import torch.nn as nn

    widths = (8, 16, 16, 32, 32)
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.variable_scope("MobilenetV1"):
        def conv_bn(scope, leaf, shape):
            with tf.compat.v1.variable_scope(scope):
                tf.compat.v1.get_variable(leaf, shape)
                with tf.compat.v1.variable_scope("BatchNorm"):
                    for v in ("gamma", "beta", "moving_mean", "moving_variance"):
                        tf.compat.v1.get_variable(v, (shape[-1] if leaf == "weights" else shape[2],),
                                                  trainable=not v.startswith("moving_"))  # (as slim's batch_norm)

        conv_bn("Conv2d_0", "weights", (3, 3, 3, widths[0]))
        for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False), 1):
            conv_bn(f"Conv2d_{i}_depthwise", "depthwise_weights", (3, 3, a, 1))
            conv_bn(f"Conv2d_{i}_pointwise", "weights", (1, 1, a, b))
        with tf.compat.v1.Session(graph=g) as s:
            for v in tf.compat.v1.global_variables():
                v.load(distinct("slimmb" + v.op.name, v.shape), s)
            prefix = tf.compat.v1.train.Saver().save(s, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    r = tf.train.load_checkpoint(prefix)
    stored = {k: r.get_tensor(k) for k in r.get_variable_to_shape_map()}

    def unit(cin, cout, groups=1, k=3):
        u = nn.Module()
        u.convolution = nn.Conv2d(cin, cout, k, groups=groups, bias=False)
        u.normalization = nn.BatchNorm2d(cout)
        return u

    net = nn.Module()
    net.conv_stem = unit(3, widths[0])
    net.layer = nn.ModuleList()
    for a, b in zip(widths, widths[1:], strict=False):
        net.layer.append(unit(a, a, groups=a))
        net.layer.append(unit(a, b, k=1))
    fill_torch(net, "port")
    with torch.no_grad():
        def copy(u, scope, leaf, depthwise=False):
            w = stored[f"MobilenetV1/{scope}/{leaf}"].transpose((2, 3, 0, 1) if depthwise else (3, 2, 0, 1))
            u.convolution.weight.copy_(torch.from_numpy(w.copy()))
            for tv, pv in (("gamma", u.normalization.weight), ("beta", u.normalization.bias),
                           ("moving_mean", u.normalization.running_mean),
                           ("moving_variance", u.normalization.running_var)):
                pv.copy_(torch.from_numpy(stored[f"MobilenetV1/{scope}/BatchNorm/{tv}"]))

        copy(net.conv_stem, "Conv2d_0", "weights")
        for i in range(1, len(widths)):
            copy(net.layer[2 * (i - 1)], f"Conv2d_{i}_depthwise", "depthwise_weights", depthwise=True)
            copy(net.layer[2 * (i - 1) + 1], f"Conv2d_{i}_pointwise", "weights")
    save(d, stored, net, torch_values(net))
    # the same graph trained with tf.compat.v1.train.ExponentialMovingAverage: beside each trainable variable, its
    # average (``Conv2d_0/weights/ExponentialMovingAverage``, other values than the trained ones)
    with g.as_default():
        ema = tf.compat.v1.train.ExponentialMovingAverage(0.999)
        ema.apply(tf.compat.v1.trainable_variables())
        with tf.compat.v1.Session(graph=g) as s:
            for v in tf.compat.v1.global_variables():
                v.load(distinct("slimmb" + v.op.name, v.shape), s)
            os.makedirs(os.path.join(d, "ema"))
            tf.compat.v1.train.Saver().save(s, os.path.join(d, "ema", "model.ckpt"), write_meta_graph=False)


def mbconv(d):
    """keras.applications EfficientNet's naming and layer order (``stem_conv``, ``block1b_dwconv``, ``block1b_bn``,
    ``block1b_se_reduce``/``_se_expand`` with biases, ``block1b_project_conv`` and ``_project_bn``; the squeeze-excite
    expansion as wide as the projection), a Keras 3 legacy ``.h5`` -> a PyTorch twin named as Hugging Face's
    EfficientNet (``embeddings.convolution``, ``blocks.0.depthwise_conv.depthwise_norm``). The twin's conversion is
    the published one (transformers' EfficientNet converter: gamma -> weight, HWIO -> OIHW, depthwise -> groups)."""
    import keras
    import torch
    import torch.nn as nn

    L, c, n = keras.layers, 16, 3
    inp = keras.Input((8, 8, c))
    x = L.BatchNormalization(name="stem_bn")(L.Conv2D(c, 3, padding="same", use_bias=False, name="stem_conv")(inp))
    for b in "abc"[:n]:
        x = L.BatchNormalization(name=f"block1{b}_bn")(
            L.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"block1{b}_dwconv")(x))
        se = L.Reshape((1, 1, c))(L.GlobalAveragePooling2D()(x))
        se = L.Conv2D(c, 1, name=f"block1{b}_se_expand")(L.Conv2D(4, 1, name=f"block1{b}_se_reduce")(se))
        x = L.Multiply()([x, se])
        x = L.BatchNormalization(name=f"block1{b}_project_bn")(
            L.Conv2D(c, 1, use_bias=False, name=f"block1{b}_project_conv")(x))
    src = keras.Model(inp, x)
    fill_keras(src, "mb")
    ck = os.path.join(d, "model.h5")
    src.save(ck)
    stored = {w.path: np.asarray(w.numpy()) for w in src.weights}

    def bn():
        return nn.BatchNorm2d(c)

    def block():
        m = nn.Module()
        m.depthwise_conv = nn.Module()
        m.depthwise_conv.depthwise_conv = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        m.depthwise_conv.depthwise_norm = bn()
        m.squeeze_excite = nn.Module()
        m.squeeze_excite.reduce, m.squeeze_excite.expand = nn.Conv2d(c, 4, 1), nn.Conv2d(4, c, 1)
        m.projection = nn.Module()
        m.projection.project_conv, m.projection.project_bn = nn.Conv2d(c, c, 1, bias=False), bn()
        return m

    net = nn.Module()
    net.embeddings = nn.Module()
    net.embeddings.convolution, net.embeddings.batchnorm = nn.Conv2d(c, c, 3, padding=1, bias=False), bn()
    net.blocks = nn.ModuleList([block() for _ in range(n)])
    fill_torch(net, "twin")

    def conv(module, name, perm=(3, 2, 0, 1)):
        module.weight.copy_(torch.from_numpy(stored[f"{name}/kernel"].transpose(perm).copy()))
        if module.bias is not None:
            module.bias.copy_(torch.from_numpy(stored[f"{name}/bias"]))

    def norm(module, name):
        for tv, pv in (("gamma", module.weight), ("beta", module.bias), ("moving_mean", module.running_mean),
                       ("moving_variance", module.running_var)):
            pv.copy_(torch.from_numpy(stored[f"{name}/{tv}"]))

    with torch.no_grad():
        conv(net.embeddings.convolution, "stem_conv")
        norm(net.embeddings.batchnorm, "stem_bn")
        for m, b in zip(net.blocks, "abc", strict=False):
            conv(m.depthwise_conv.depthwise_conv, f"block1{b}_dwconv", (2, 3, 0, 1))
            norm(m.depthwise_conv.depthwise_norm, f"block1{b}_bn")
            conv(m.squeeze_excite.reduce, f"block1{b}_se_reduce")
            conv(m.squeeze_excite.expand, f"block1{b}_se_expand")
            conv(m.projection.project_conv, f"block1{b}_project_conv")
            norm(m.projection.project_bn, f"block1{b}_project_bn")
    save(d, stored, net, torch_values(net))  # (the file's weight names are Keras' variable paths)


def numbers_kept(d, removed=False):
    """A TF1 checkpoint (``tf.compat.v1.train.Saver``) named as musicnn's vgg: a norm, then units ``1CNN`` ..
    ``4CNN`` of equal convs (but the first), each followed by an auto-numbered ``batch_normalization_k`` -> a Keras 3
    port that keeps every number in another spelling (``conv1`` .., ``bn0`` ..), values in order. ``removed``: the
    port has one equal unit fewer (``conv1`` .. ``conv3``): which one went, no name says."""
    import keras
    import tensorflow as tf

    shapes = {"batch_normalization": 1}
    order = ["batch_normalization"]
    for k in range(1, 5):
        order += [f"{k}CNN", f"batch_normalization_{k}"]
    g = tf.Graph()
    with g.as_default():
        for name in order:
            with tf.compat.v1.variable_scope(name):
                if name.endswith("CNN"):
                    cin = 1 if name == "1CNN" else 8
                    tf.compat.v1.get_variable("kernel", initializer=distinct(name + "k", (3, 3, cin, 8)))
                    tf.compat.v1.get_variable("bias", initializer=distinct(name + "b", (8,)))
                else:
                    width = shapes.get(name, 8)
                    for leaf in ("gamma", "beta", "moving_mean", "moving_variance"):
                        tf.compat.v1.get_variable(leaf, initializer=distinct(name + leaf, (width,)))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            ck = saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    reader = tf.train.load_checkpoint(ck)
    stored = {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}
    units = 3 if removed else 4
    L = keras.layers
    i = keras.Input((16, 16, 1))
    x = L.BatchNormalization(name="bn0")(i)
    for k in range(1, units + 1):
        x = L.BatchNormalization(name=f"bn{k}")(L.Conv2D(8, 3, padding="same", name=f"conv{k}")(x))
    model = keras.Model(i, x)
    source = {"bn0": "batch_normalization"}  # construction: unit k of the file (the removed port skips unit 3)
    for k in range(1, units + 1):
        s = k + 1 if removed and k >= 3 else k
        source[f"conv{k}"], source[f"bn{k}"] = f"{s}CNN", f"batch_normalization_{s}"
    for layer in model.layers[1:]:
        leaves = ("kernel", "bias") if layer.name.startswith("conv") else ("gamma", "beta", "moving_mean",
                                                                              "moving_variance")
        layer.set_weights([stored[f"{source[layer.name]}/{leaf}"] for leaf in leaves])
    save(d, stored, model, keras_values(model))


def positional_blocks(d):
    """keras.applications' naming: equal blocks named by their position (``block1a_expand`` .. ``block1d_expand``),
    Keras 3 ``.weights.h5`` -> the same builder with one block fewer, so ``block1c`` now holds what was ``block1d``
    (construction: block 1b removed). Which block went, no file says."""
    import keras

    def build(letters):
        L = keras.layers
        i = keras.Input((5,))
        x = L.Dense(8, name="stem")(i)
        for letter in letters:
            x = L.Dense(8, name=f"block1{letter}_project")(L.Dense(8, name=f"block1{letter}_expand")(x))
        return keras.Model(i, L.Dense(3, name="head")(x))

    src = build("abcd")
    fill_keras(src, "src")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    tgt = build("abc")
    fill_keras(tgt, "tgt")
    for layer in tgt.layers[1:]:
        name = layer.name.replace("block1c", "block1d").replace("block1b", "block1c")
        layer.set_weights(src.get_layer(name).get_weights())
    save(d, read_h5(ck), tgt, keras_values(tgt))


def two_changes(d):
    """A TF1 checkpoint (``tf.compat.v1.train.Saver``) of auto-numbered Dense layers ``dense`` .. ``dense_5`` -> a
    Keras 3 model with two layers inserted (a first layer, and a copy of an equal layer among two equal ones): the
    numbers move by one from the start and by two further on. No single renumbering explains it; the layers' order
    does, but for the equal neighbours, where either may be the new one (construction: the copy is ``dense_5``)."""
    import keras
    import tensorflow as tf

    widths = [(4, 6), (6, 6), (6, 5), (5, 5), (5, 5), (5, 7)]  # (in, out) of the file's layers
    g = tf.Graph()
    with g.as_default():
        for k, (cin, cout) in enumerate(widths):
            with tf.compat.v1.variable_scope("dense" if k == 0 else f"dense_{k}"):
                tf.compat.v1.get_variable("kernel", initializer=distinct(f"{k}k", (cin, cout)))
                tf.compat.v1.get_variable("bias", initializer=distinct(f"{k}b", (cout,)))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            ck = saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    reader = tf.train.load_checkpoint(ck)
    stored = {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}
    source = [None, 0, 1, 2, 3, None, 4, 5]  # the model's layers: the file's layer each one is, None if new
    L = keras.layers
    i = keras.Input((4,))
    x = i
    for k, s in enumerate(source):
        x = L.Dense(4 if k == 0 else 5 if s is None else widths[s][1], name="dense" if k == 0 else f"dense_{k}")(x)
    model = keras.Model(i, x)
    fill_keras(model, "two_changes")
    for k, s in enumerate(source):
        if s is not None:
            name = "dense" if s == 0 else f"dense_{s}"
            model.get_layer("dense" if k == 0 else f"dense_{k}").set_weights(
                [stored[f"{name}/kernel"], stored[f"{name}/bias"]])
    save(d, stored, model, keras_values(model))


def effnet_pt(d):
    """keras.applications EfficientNet's naming (``stem_conv``/``stem_bn``, ``block2a_expand_conv``/``_expand_bn``,
    ``_dwconv``/``_bn``, squeeze-excite, ``_project_conv``/``_project_bn``), a Keras 3 ``.weights.h5`` -> a PyTorch
    twin named as efficientnet_pytorch names it (``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv``, ``_bn0``,
    ``_depthwise_conv``, ``_bn1``, ``_se_reduce``, ``_se_expand``, ``_project_conv``, ``_bn2``): the norms' names
    say nothing of the conv they follow but for their place right after it; values copied from Keras."""
    import keras
    import torch
    import torch.nn as nn

    L, c, e = keras.layers, 8, 16  # block width, expanded width (expand_bn and bn are equally wide)
    inp = keras.Input((8, 8, 3))
    x = L.BatchNormalization(name="stem_bn")(L.Conv2D(c, 3, padding="same", use_bias=False, name="stem_conv")(inp))
    for b in ("2a", "2b"):
        x = L.BatchNormalization(name=f"block{b}_expand_bn")(
            L.Conv2D(e, 1, use_bias=False, name=f"block{b}_expand_conv")(x))
        x = L.BatchNormalization(name=f"block{b}_bn")(
            L.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"block{b}_dwconv")(x))
        se = L.Reshape((1, 1, e))(L.GlobalAveragePooling2D()(x))
        se = L.Conv2D(e, 1, name=f"block{b}_se_expand")(L.Conv2D(4, 1, name=f"block{b}_se_reduce")(se))
        x = L.Multiply()([x, se])
        x = L.BatchNormalization(name=f"block{b}_project_bn")(
            L.Conv2D(c, 1, use_bias=False, name=f"block{b}_project_conv")(x))
    src = keras.Model(inp, x)
    fill_keras(src, "effnet_pt")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self._expand_conv, self._bn0 = nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e)
            self._depthwise_conv, self._bn1 = nn.Conv2d(e, e, 3, groups=e, bias=False), nn.BatchNorm2d(e)
            self._se_reduce, self._se_expand = nn.Conv2d(e, 4, 1), nn.Conv2d(4, e, 1)
            self._project_conv, self._bn2 = nn.Conv2d(e, c, 1, bias=False), nn.BatchNorm2d(c)

    net = nn.Module()
    net._conv_stem, net._bn0 = nn.Conv2d(3, c, 3, bias=False), nn.BatchNorm2d(c)
    net._blocks = nn.ModuleList([Block(), Block()])

    def put(module, layer, perm=(3, 2, 0, 1)):
        weights = src.get_layer(layer).get_weights()
        with torch.no_grad():
            if isinstance(module, nn.BatchNorm2d):
                for t, w in zip((module.weight, module.bias, module.running_mean, module.running_var), weights,
                                strict=True):
                    t.copy_(torch.from_numpy(w))
            else:
                module.weight.copy_(torch.from_numpy(weights[0].transpose(perm).copy()))
                if module.bias is not None:
                    module.bias.copy_(torch.from_numpy(weights[1]))

    put(net._conv_stem, "stem_conv")
    put(net._bn0, "stem_bn")
    for block, b in zip(net._blocks, ("2a", "2b"), strict=True):
        for module, layer in ((block._expand_conv, "expand_conv"), (block._bn0, "expand_bn"), (block._bn1, "bn"),
                              (block._se_reduce, "se_reduce"), (block._se_expand, "se_expand"),
                              (block._project_conv, "project_conv"), (block._bn2, "project_bn")):
            put(module, f"block{b}_{layer}")
        put(block._depthwise_conv, f"block{b}_dwconv", (2, 3, 0, 1))
    save(d, stored, net, torch_values(net))
    # the same values in a TF1 checkpoint (tf.compat.v1 Saver): its keys sorted, no order kept; its own truth
    import tensorflow as tf

    os.makedirs(os.path.join(d, "tf1"), exist_ok=True)
    values = [(layer.name, w.name.rsplit("/", 1)[-1], np.asarray(w.numpy())) for layer in src.layers
              for w in layer.weights]
    g = tf.Graph()
    with g.as_default():
        for layer, leaf, value in values:
            with tf.compat.v1.variable_scope(layer, reuse=tf.compat.v1.AUTO_REUSE):
                tf.compat.v1.get_variable(leaf, initializer=value)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            ck = saver.save(sess, os.path.join(d, "tf1", "model.ckpt"), write_meta_graph=False)
    reader = tf.train.load_checkpoint(ck)
    with open(os.path.join(d, "tf1", "truth.json"), "w") as f:
        json.dump(truth({k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}, torch_values(net)), f)


def lstm_stack(d):
    """Two Keras 3 LSTM layers (auto-numbered names of another session: ``lstm_3``, ``lstm_4``), a ``.weights.h5``
    -> a PyTorch ``nn.LSTM(num_layers=2)`` named ``encoder``: no name in common; values copied (kernels transposed,
    Keras' one bias into ``bias_ih``, ``bias_hh`` zero)."""
    import keras
    import torch
    import torch.nn as nn

    L = keras.layers
    inp = keras.Input((5, 6))
    x = L.LSTM(7, return_sequences=True, name="lstm_4")(L.LSTM(7, return_sequences=True, name="lstm_3")(inp))
    src = keras.Model(inp, x)
    fill_keras(src, "lstm_stack")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    net = nn.Module()
    net.encoder = nn.LSTM(6, 7, num_layers=2, batch_first=True)
    with torch.no_grad():
        for k, layer in enumerate(("lstm_3", "lstm_4")):
            kernel, recurrent, bias = src.get_layer(layer).get_weights()
            getattr(net.encoder, f"weight_ih_l{k}").copy_(torch.from_numpy(kernel.T.copy()))
            getattr(net.encoder, f"weight_hh_l{k}").copy_(torch.from_numpy(recurrent.T.copy()))
            getattr(net.encoder, f"bias_ih_l{k}").copy_(torch.from_numpy(bias))
            getattr(net.encoder, f"bias_hh_l{k}").zero_()
    save(d, read_h5(ck), net, torch_values(net))


def _torch_conv_bn(pair):
    """A Keras Conv2D (with bias) and its BatchNormalization as PyTorch's Conv2d and BatchNorm2d, with their values."""
    import torch
    import torch.nn as nn

    conv, bn = pair
    kh, _, cin, cout = conv.kernel.shape
    c, b = nn.Conv2d(cin, cout, kh, padding=kh // 2), nn.BatchNorm2d(cout)
    with torch.no_grad():
        c.weight.copy_(torch.from_numpy(np.asarray(conv.kernel.numpy()).transpose(3, 2, 0, 1).copy()))
        c.bias.copy_(torch.from_numpy(np.asarray(conv.bias.numpy())))
        for tv, pv in ((bn.gamma, b.weight), (bn.beta, b.bias), (bn.moving_mean, b.running_mean),
                       (bn.moving_variance, b.running_var)):
            pv.copy_(torch.from_numpy(np.asarray(tv.numpy())))
    return c, b


def resnet_block_removed(d):
    """keras.applications' ResNet blocks (``block1``: a shortcut conv created first, its norm; then 1x1, 3x3, 1x1 convs
    with norms; auto-numbered names ``conv2d_N``), a stage of five, in a Keras 3 ``.weights.h5`` (written in the
    model's layer order: the shortcut conv and the last conv before their two equally wide norms) -> a torchvision-
    style twin (``layer1.0.conv1`` .. ``downsample``, listed after the convs) whose stage lost its middle block
    (values copied from the other four). Which of the equal blocks went, no file says; the first block is unique."""
    import keras
    import torch.nn as nn

    L = keras.layers
    units = []  # (conv, its norm) in creation order

    def conv_bn(x, filters, k):
        conv, bn = L.Conv2D(filters, k, padding="same"), L.BatchNormalization()
        units.append((conv, bn))
        return bn(conv(x))

    def block(x, filters, shortcut_conv):
        shortcut = conv_bn(x, 4 * filters, 1) if shortcut_conv else x
        x = L.Activation("relu")(conv_bn(x, filters, 1))
        x = L.Activation("relu")(conv_bn(x, filters, 3))
        return L.Activation("relu")(L.Add()([shortcut, conv_bn(x, 4 * filters, 1)]))

    inp = keras.Input((8, 8, 3))
    x = L.Activation("relu")(conv_bn(inp, 8, 3))
    for k in range(5):
        x = block(x, 4, k == 0)
    src = keras.Model(inp, x)
    fill_keras(src, "resnet_block_removed")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)

    unit = _torch_conv_bn

    net = nn.Module()
    net.conv1, net.bn1 = unit(units[0])
    net.layer1 = nn.Sequential()
    stage = [units[1:5]] + [units[5 + 3 * k:8 + 3 * k] for k in range(4)]  # block 1: its shortcut first
    for k, us in enumerate(stage):
        if k == 2:
            continue  # the middle block removed
        b = nn.Module()
        b.conv1, b.bn1 = unit(us[-3])
        b.conv2, b.bn2 = unit(us[-2])
        b.conv3, b.bn3 = unit(us[-1])
        if k == 0:
            b.downsample = nn.Sequential(*unit(us[0]))
        net.layer1.append(b)
    save(d, read_h5(ck), net, torch_values(net))


def resnet_named_norms(d):
    """keras.applications' own ResNet code (``keras.src.applications.resnet``: ResNet50's first two stages, two blocks
    each, weights=None) names a conv and its norm alike but for the kind word (``conv2_block1_0_conv`` /
    ``conv2_block1_0_bn``); its Keras 3 ``.weights.h5`` lists each first block's shortcut conv and last conv before
    their two equally wide norms -> a torchvision-style twin (``layer1.0.conv1`` .. ``bn3``, ``downsample`` = conv,
    norm, created last). In the second stage the shortcut's input is wider than the last conv's, so the convs pair by
    shape; whose each norm is, only the names say. In the first, the two convs have equal shapes."""
    import torch.nn as nn
    from keras.src.applications import resnet

    def stacks(x):
        x = resnet.stack_residual_blocks_v1(x, 64, 2, stride1=1, name="conv2")  # ResNet50's widths, two blocks a stage
        return resnet.stack_residual_blocks_v1(x, 128, 2, name="conv3")

    src = resnet.ResNet(stacks, preact=False, use_bias=True, include_top=False, weights=None,
                        input_shape=(32, 32, 3), name="resnet_small")
    fill_keras(src, "resnet_named_norms")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)

    def unit(name):
        return _torch_conv_bn((src.get_layer(name + "_conv"), src.get_layer(name + "_bn")))

    net = nn.Module()
    net.conv1, net.bn1 = unit("conv1")
    for stage in (2, 3):
        layer = nn.Sequential()
        for k in (1, 2):
            b = nn.Module()
            for i in (1, 2, 3):
                c, n = unit(f"conv{stage}_block{k}_{i}")
                setattr(b, f"conv{i}", c)
                setattr(b, f"bn{i}", n)
            if k == 1:
                b.downsample = nn.Sequential(*unit(f"conv{stage}_block{k}_0"))
            layer.append(b)
        setattr(net, f"layer{stage - 1}", layer)
    save(d, read_h5(ck), net, torch_values(net))


def residual_stack(d):
    """A Keras 3 model whose residual blocks are a layer class of this test (``residual_block_N``: two causal
    Conv1D named ``conv1D_0``/``conv1D_1``, two auto-numbered LayerNormalization, a 1x1 ``matching_conv1D`` in the
    first block), saved as ``.weights.h5`` -> a PyTorch twin (``blocks.N.conv1``, ``norm1``, ``conv2``, ``norm2``,
    ``downsample``, created in that order; ``head``). The blocks keep their numbers; inside, the two sides number
    their convs and norms from 0 and from 1."""
    import keras
    import torch.nn as nn

    class ResidualBlock(keras.layers.Layer):
        def __init__(self, filters, first, **kw):
            super().__init__(**kw)
            self.filters, self.first = filters, first
            self.convs = [keras.layers.Conv1D(filters, 3, padding="causal", name=f"conv1D_{k}") for k in range(2)]
            self.norms = [keras.layers.LayerNormalization() for _ in range(2)]
            self.matching = keras.layers.Conv1D(filters, 1, name="matching_conv1D") if first else None

        def build(self, shape):
            x = shape
            for conv, norm in zip(self.convs, self.norms, strict=True):
                conv.build(x)
                x = conv.compute_output_shape(x)
                norm.build(x)
            if self.matching is not None:
                self.matching.build(shape)

        def call(self, x):
            y = x
            for conv, norm in zip(self.convs, self.norms, strict=True):
                y = keras.activations.relu(norm(conv(y)))
            return y + (self.matching(x) if self.matching is not None else x)

    inp = keras.Input((16, 3))
    x = inp
    for k in range(3):
        x = ResidualBlock(8, k == 0, name=f"residual_block_{k}")(x)
    out = keras.layers.Dense(4, name="dense")(x[:, -1])
    src = keras.Model(inp, out)
    fill_keras(src, "residual_stack")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)

    net = nn.Module()
    net.blocks = nn.ModuleList()
    for k in range(3):
        b = nn.Module()
        block = src.get_layer(f"residual_block_{k}")
        for i in (1, 2):
            conv, norm = nn.Conv1d(3 if k == 0 and i == 1 else 8, 8, 3), nn.LayerNorm(8)
            keras_conv, keras_norm = block.convs[i - 1], block.norms[i - 1]
            conv.weight.data[:] = torch_from(keras_conv.kernel.numpy().transpose(2, 1, 0))
            conv.bias.data[:] = torch_from(keras_conv.bias.numpy())
            norm.weight.data[:] = torch_from(keras_norm.gamma.numpy())
            norm.bias.data[:] = torch_from(keras_norm.beta.numpy())
            setattr(b, f"conv{i}", conv)
            setattr(b, f"norm{i}", norm)
        if k == 0:
            b.downsample = nn.Conv1d(3, 8, 1)
            b.downsample.weight.data[:] = torch_from(block.matching.kernel.numpy().transpose(2, 1, 0))
            b.downsample.bias.data[:] = torch_from(block.matching.bias.numpy())
        net.blocks.append(b)
    net.head = nn.Linear(8, 4)
    net.head.weight.data[:] = torch_from(src.get_layer("dense").kernel.numpy().T)
    net.head.bias.data[:] = torch_from(src.get_layer("dense").bias.numpy())
    save(d, read_h5(ck), net, torch_values(net))


def torch_from(a):
    import torch

    return torch.from_numpy(np.ascontiguousarray(a))


def keras3_list_removed(d):
    """A Keras 3 sub-classed model keeping four equal blocks in a list (paths ``block_0`` .. ``block_3``), saved as
    ``.weights.h5`` -> the same model with three. Keras' load_weights by path gives the three blocks the first three
    saved; which block was removed is in no file. The truth: the first three (what Keras loads; scored only where
    something may be decided)."""
    import keras

    class Block(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.up, self.down = keras.layers.Dense(12), keras.layers.Dense(6)

        def call(self, x):
            return x + self.down(keras.activations.relu(self.up(x)))

    class Net(keras.Model):
        def __init__(self, n, **kw):
            super().__init__(**kw)
            self.stem = keras.layers.Dense(6)
            self.blocks = [Block() for _ in range(n)]
            self.head = keras.layers.Dense(3)

        def call(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            return self.head(x)

    src, tgt = Net(4), Net(3)
    src(np.zeros((1, 5), "float32"))
    tgt(np.zeros((1, 5), "float32"))
    fill_keras(src, "keras3_list_removed")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    tgt.load_weights(ck, skip_mismatch=True) if False else None  # (Keras refuses a file with more blocks: by hand)
    tgt.stem.set_weights(src.stem.get_weights())
    tgt.head.set_weights(src.head.get_weights())
    for a, b in zip(tgt.blocks, src.blocks, strict=False):
        a.set_weights(b.get_weights())
    save(d, read_h5(ck), tgt, keras_values(tgt))


def keras3_attributes(d):
    """A Keras 3 sub-classed model whose layers are attributes (``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``,
    ``classifier``): its ``.weights.h5`` lists them by attribute name, not as they compute -> a PyTorch
    ``nn.Sequential`` twin (``0``, ``1``, ``3``, ...; activations between them hold nothing). Truth: construction."""
    import keras
    import torch.nn as nn

    class Net(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.conv1 = keras.layers.Conv2D(8, 3, use_bias=False)
            self.bn1 = keras.layers.BatchNormalization()
            self.conv2 = keras.layers.Conv2D(16, 3, use_bias=False)
            self.bn2 = keras.layers.BatchNormalization()
            self.conv3 = keras.layers.Conv2D(16, 1)
            self.classifier = keras.layers.Dense(7)

        def call(self, x):
            x = keras.activations.relu(self.bn1(self.conv1(x)))
            x = keras.activations.relu(self.bn2(self.conv2(x)))
            return self.classifier(keras.ops.mean(self.conv3(x), axis=(1, 2)))

    src = Net()
    src(np.zeros((1, 12, 12, 3), "float32"))
    fill_keras(src, "keras3_attributes")
    ck = os.path.join(d, "model.weights.h5")
    src.save_weights(ck)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, bias=False),
                        nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 16, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(16, 7))
    for i, layer in ((0, src.conv1), (3, src.conv2), (6, src.conv3)):
        net[i].weight.data[:] = torch_from(layer.kernel.numpy().transpose(3, 2, 0, 1))
    net[6].bias.data[:] = torch_from(src.conv3.bias.numpy())
    for i, bn in ((1, src.bn1), (4, src.bn2)):
        for t, v in ((net[i].weight, bn.gamma), (net[i].bias, bn.beta), (net[i].running_mean, bn.moving_mean),
                     (net[i].running_var, bn.moving_variance)):
            t.data[:] = torch_from(v.numpy())
    net[9].weight.data[:] = torch_from(src.classifier.kernel.numpy().T)
    net[9].bias.data[:] = torch_from(src.classifier.bias.numpy())
    save(d, read_h5(ck), net, torch_values(net))


CASES = {"prelu": prelu, "slim": slim, "lstm": lambda d: rnn(d, "LSTM"), "gru": lambda d: rnn(d, "GRU"),
         "keras3_inserted": keras3_inserted, "convnext": convnext,
         "keras3_block_removed": keras3_block_removed, "slim_mobilenet": slim_mobilenet,
         "mbconv": mbconv, "numbers_kept": numbers_kept, "numbers_removed": lambda d: numbers_kept(d, True),
         "positional_blocks": positional_blocks, "two_changes": two_changes, "effnet_pt": effnet_pt,
         "lstm_stack": lstm_stack, "resnet_block_removed": resnet_block_removed,
         "resnet_named_norms": resnet_named_norms, "residual_stack": residual_stack,
         "keras3_list_removed": keras3_list_removed, "keras3_attributes": keras3_attributes}

if __name__ == "__main__":
    out = sys.argv[1]
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    for name, build in CASES.items():
        os.makedirs(os.path.join(out, name), exist_ok=True)
        build(os.path.join(out, name))
    print("ok")
